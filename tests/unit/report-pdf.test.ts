// The PDF report: A4 pages with page numbers, real text (pdftotext finds every strategy and its
// ACC as printed), vector charts (no raster images), no blank pages, 1 to 30 strategies.
// Needs poppler-utils (pdfinfo, pdftotext, pdftoppm, pdfimages), which .ci/run installs.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultsDocument } from '../../main/workbench/experiment-run.ts';
import { buildPdf, METRIC_DEFINITIONS, selectResults } from '../../main/workbench/reports/index.ts';
import { formatMeanSd, winAnsi } from '../../main/workbench/reports/text.ts';
import { AWKWARD_LABEL, manyStrategies, tinyResults } from '../fixtures/reports/results.ts';

const exec = promisify(execFile);

let dir: string;
let document: ResultsDocument;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-report-pdf-'));
  document = await tinyResults();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function save(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

async function pageInfo(file: string): Promise<{ pages: number; size: string }> {
  const { stdout } = await exec('pdfinfo', [file]);
  return { pages: Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]), size: /^Page size:\s+(.*)$/m.exec(stdout)?.[1] ?? '' };
}

/**
 * The PDF's text with runs of white space collapsed, so wrapped lines read as one. With `layout`,
 * pdftotext keeps each printed line together (a table row reads left to right).
 */
async function text(file: string, layout = false): Promise<string> {
  const { stdout } = await exec('pdftotext', ['-enc', 'UTF-8', ...(layout ? ['-layout'] : []), file, '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.replace(/\s+/g, ' ');
}

/** Share of non-white pixels per page above the footer (a page with only its footer scores 0), at 50 dpi. */
async function inkPerPage(file: string): Promise<number[]> {
  const prefix = path.join(dir, `${path.basename(file, '.pdf')}-page`);
  await exec('pdftoppm', ['-r', '50', file, prefix]);
  const pages = (await readdir(dir)).filter((f) => f.startsWith(path.basename(prefix)) && f.endsWith('.ppm')).sort();
  const ink: number[] = [];
  for (const page of pages) {
    const data = await readFile(path.join(dir, page));
    // Binary PPM: "P6" width height maxval, each after white space, then RGB bytes.
    const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(data.subarray(0, 64).toString('latin1'));
    expect(header, page).not.toBeNull();
    const [whole, width, height] = [header![0], Number(header![1]), Number(header![2])];
    const pixels = data.subarray(whole.length);
    const rows = Math.floor(height * 0.92);
    let dark = 0;
    for (let p = 0; p < width * rows; p++) if (Math.min(pixels[3 * p], pixels[3 * p + 1], pixels[3 * p + 2]) < 235) dark++;
    ink.push(dark / (width * rows));
  }
  return ink;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('PDF report', () => {
  it('has A4 pages with page numbers, the title, date, version, environment, experiment, definitions and the re-run command', async () => {
    const file = await save('tiny.pdf', await buildPdf(document, { now: new Date('2026-03-04T05:06:07Z'), source: { path: '/data/out/results.json', folder: '/data/out', experimentFile: '/data/out/experiment.json' } }));
    const { pages, size } = await pageInfo(file);
    expect(size).toMatch(/^595\.2\d* x 841\.8\d* pts/);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBeLessThanOrEqual(8);
    const content = await text(file);
    for (let page = 1; page <= pages; page++) expect(content).toContain(`Page ${page} of ${pages}`);
    expect(content).toContain(winAnsi(document.experiment.name));
    expect(content).toContain('Report date: 2026-03-04 05:06:07 UTC');
    expect(content).toContain(`CL Workbench ${document.app.version}`);
    for (const fact of [document.environment.backend, document.environment.device, document.environment.cpuModel, document.environment.platform]) expect(content).toContain(fact);
    for (const heading of ['Summary', 'Final accuracy', 'Accuracy after each experience', 'Forgetting and backward transfer', 'Accuracy matrices, class-IL', 'Accuracy matrices, task-IL', 'Cost and accuracy', 'Experiment', 'Strategies and parameters', 'Environment', 'Metric definitions', 'Reproducibility']) {
      expect(content).toContain(heading);
    }
    expect(content).toContain('synthetic');
    expect(content).toContain('task-incremental, 3 experiences, 2 classes each');
    expect(content).toContain(`Seeds ${document.experiment.seeds.join(', ')}`);
    for (const { term } of METRIC_DEFINITIONS) expect(content).toContain(term);
    expect(content).toContain(document.specHash);
    expect(content).toContain('cd /data/out clwb run experiment.json --out rerun --backend wasm');
    // The appendix prints the resolved experiment; the non-Latin-1 letter is a JSON escape.
    expect(content).toContain('"schemaVersion": 1');
    expect(content).toContain('\\u03bb');
  });

  it('prints every strategy with its ACC as in the summary, best values marked, and chart text as real text', async () => {
    const file = await save('summary.pdf', await buildPdf(document));
    const content = await text(file);
    const rows = await text(file, true);
    for (const entry of document.summary) {
      const label = winAnsi(entry.label);
      // The summary row: number, name, then ACC (mean ± sd) first among the metrics.
      expect(rows).toMatch(new RegExp(`${escapeRegExp(label)} ${escapeRegExp(formatMeanSd(entry.metrics.acc))}`));
      expect(rows).toMatch(new RegExp(`${escapeRegExp(label)} ${escapeRegExp(formatMeanSd(entry.taskMetrics!.acc))}`));
    }
    // The standard fonts cannot draw λ: it is transliterated, the rest (ï, quotes, comma) kept.
    expect(content).toContain('Naïve, "quoted" lambda');
    expect(winAnsi(AWKWARD_LABEL)).toBe('Naïve, "quoted" lambda');
    // Chart axis names come from the SVG: drawn as text, not as pictures.
    expect(content).toContain('after training experience');
    expect(content).toContain('evaluated on experience');
    expect(content).toContain('Training time vs ACC');
    const { stdout } = await exec('pdfimages', ['-list', file]);
    expect(stdout.trim().split('\n')).toHaveLength(2); // the header lines only: charts are vectors
  });

  it('has no blank pages', async () => {
    const file = await save('ink.pdf', await buildPdf(document));
    const ink = await inkPerPage(file);
    expect(ink).toHaveLength((await pageInfo(file)).pages);
    for (const share of ink) expect(share).toBeGreaterThan(0.001);
  });

  it('renders 1 strategy with 1 seed', async () => {
    const run = document.runs[0];
    const one = selectResults(document, { runs: [run.id] });
    const file = await save('one.pdf', await buildPdf(one));
    const { pages } = await pageInfo(file);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(pages).toBeLessThanOrEqual(8);
    const content = await text(file, true);
    // n = 1: the mean alone, no "± 0".
    expect(content).toContain(`${winAnsi(run.label)} ${formatMeanSd({ mean: run.metrics.acc, sd: 0, n: 1 })}`);
    for (const share of await inkPerPage(file)) expect(share).toBeGreaterThan(0.001);
  });

  it('renders 30 strategies on a sane number of pages with every name and ACC', async () => {
    const many = manyStrategies(document, 30);
    const file = await save('many.pdf', await buildPdf(many));
    const { pages } = await pageInfo(file);
    expect(pages).toBeGreaterThanOrEqual(8);
    expect(pages).toBeLessThanOrEqual(30);
    const content = await text(file);
    for (const entry of many.summary) {
      expect(content).toContain(entry.label);
      expect(content).toContain(formatMeanSd(entry.metrics.acc));
    }
    const ink = await inkPerPage(file);
    expect(ink).toHaveLength(pages);
    for (const share of ink) expect(share).toBeGreaterThan(0.001);
  });

  it.skipIf(!existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'))('keeps any Unicode text when given TrueType fonts', async () => {
    const fonts = { regular: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', bold: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' };
    const file = await save('unicode.pdf', await buildPdf(document, { fonts }));
    const content = await text(file);
    expect(content).toContain(AWKWARD_LABEL);
    expect(content).toContain(formatMeanSd(document.summary[0].metrics.acc));
  });
});
