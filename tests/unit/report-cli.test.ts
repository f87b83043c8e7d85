// `clwb report` and loadResults: both formats from a results file or folder, refusal to overwrite,
// usage errors (exit 2), and bad input (exit 1) with a clear message naming the path.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../main/cli/index.ts';
import { WorkbenchError } from '../../main/engine/errors.ts';
import type { ResultsDocument } from '../../main/workbench/experiment-run.ts';
import { exportReport, loadResults, registerResultsReader } from '../../main/workbench/reports/index.ts';
import { tinyResults, writeResultsFolder } from '../fixtures/reports/results.ts';

const exec = promisify(execFile);

/** Runs main() in-process with captured output. */
async function clwb(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (sink: (s: string) => void) => ({ write: (s: string) => (sink(s), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const code = await main(argv, { stdout: stream((s) => (stdout += s)), stderr: stream((s) => (stderr += s)) });
  return { code, stdout, stderr };
}

let dir: string;
let results: string;
let document: ResultsDocument;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'clwb-report-cli-'));
  document = await tinyResults();
  results = await writeResultsFolder(path.join(dir, 'results'), document);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `content` (an object is written as JSON) to a fresh file and returns its path. */
async function file(name: string, content: unknown): Promise<string> {
  const target = path.join(dir, name);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, typeof content === 'string' ? content : JSON.stringify(content));
  return target;
}

describe('clwb report', () => {
  it('writes the CSV set and the PDF from a results folder, lists them, and refuses to overwrite without --force', async () => {
    const out = path.join(dir, 'out');
    const csv = path.join(out, 'report.csv');
    const pdf = path.join(out, 'report.pdf');
    const first = await clwb('report', results, '--csv', csv, '--pdf', pdf);
    expect(first.stderr).toContain(`report on "${document.experiment.name}": 2 strategies, 4 runs`);
    expect(first.code).toBe(0);
    const written = [csv, path.join(out, 'report-summary.csv'), path.join(out, 'report-cost.csv'), pdf];
    expect(first.stdout.trim().split('\n')).toEqual(written);
    for (const f of written) expect((await stat(f)).size).toBeGreaterThan(100);
    expect((await readFile(pdf)).subarray(0, 5).toString()).toBe('%PDF-');
    const { stdout: pdfText } = await exec('pdftotext', [pdf, '-']);
    // The reproducibility section points at the folder's experiment.json and prints this command
    // (long commands wrap between words, with a shell line continuation).
    const flat = pdfText.replace(/ \\\n\s*/g, ' ').replace(/\s+/g, ' ');
    expect(flat).toContain(`cd ${results} clwb run experiment.json`);
    expect(flat).toContain(`clwb report ${results} --csv ${csv} --pdf ${pdf}`);

    const before = await readFile(csv, 'utf8');
    const again = await clwb('report', results, '--csv', csv);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exist.*nothing was written.*pass --force to replace/);
    expect(again.stderr).toContain(csv);
    expect(await readFile(csv, 'utf8')).toBe(before);
    // One file in the way stops all outputs: the new PDF is not written either.
    const fresh = path.join(out, 'fresh.pdf');
    expect((await clwb('report', results, '--csv', csv, '--pdf', fresh)).code).toBe(1);
    await expect(stat(fresh)).rejects.toThrow();

    const forced = await clwb('report', path.join(results, 'results.json'), '--csv', csv, '--force');
    expect(forced.code).toBe(0);
  });

  it('reports only the strategies asked for and says so in the PDF', async () => {
    const csv = path.join(dir, 'only', 'cumulative.csv');
    const pdf = path.join(dir, 'only', 'cumulative.pdf');
    const result = await clwb('report', results, '--strategy', 'cumulative', '--csv', csv, '--pdf', pdf);
    expect(result.code).toBe(0);
    const rows = (await readFile(csv, 'utf8')).trim().split('\r\n').slice(1);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((row) => row.includes(',cumulative,Cumulative,'))).toBe(true);
    const { stdout } = await exec('pdftotext', [pdf, '-']);
    expect(stdout.replace(/\s+/g, ' ')).toContain('This report covers 1 of the 2 strategies with finished runs (2 of 4 runs)');

    const unknown = await clwb('report', results, '--strategy', 'ewc-typo', '--csv', path.join(dir, 'only', 'x.csv'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/\[UNKNOWN_ID\] No strategy "ewc-typo".*\(strategies: .*Cumulative/);
  });

  it('usage errors exit 2 with the usage text', async () => {
    for (const argv of [
      ['report', results],
      ['report', '--csv', 'x.csv'],
      ['report', results, 'other', '--csv', 'x.csv'],
      ['report', results, '--csv', 'x.csv', '--fast'],
      ['report', results, '--csv'],
      ['report', results, '--pdf', 'x.pdf', '--font', 'a.ttf'],
      ['report', results, '--csv', 'a.csv', '--csv', 'b.csv'],
    ]) {
      const result = await clwb(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr).toContain('clwb report <results.json | dir>');
    }
    expect((await clwb('help')).stdout).toContain('clwb report <results.json | dir> [options]');
  });

  it('bad input exits 1 with a message that names the path and says what is wrong', async () => {
    const out = ['--csv', path.join(dir, 'never.csv')];
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.json'), /\[IO\] Cannot read results .*missing\.json: no such file/],
      [await file('corrupt/results.json', '{"kind": "clwb-results", "runs": ['), /\[RESULTS_INVALID\] .*corrupt\/results\.json is not valid JSON/],
      [await file('kind.json', { ...document, kind: 'something-else' }), /kind\.json: not a CL Workbench results document \(kind is "something-else"/],
      [await file('newer.json', { ...document, schemaVersion: 99 }), /newer\.json: was written with results schema version 99, newer than this version reads \(1\)/],
      [await file('fields.json', { ...document, runs: [{ id: 'x' }], summary: 'no' }), /fields\.json: is not a valid results document: (?=.*\$\.runs\[0\]\.accuracyMatrix must be a non-empty matrix)(?=.*\$\.summary must be an array)/],
      [
        await file('empty.json', { ...document, runs: [], summary: [], failed: [{ id: '01-naive-s0', strategy: 'naive', label: 'Naive', seed: 0, error: { code: 'INTERNAL', message: 'out of memory' } }] }),
        /empty\.json: experiment ".*" has no finished runs \(1 failed: Naive seed 0: out of memory\); there is nothing to report/,
      ],
      [await file('not-results/notes.txt', 'hello'), /notes\.txt is not valid JSON/],
      [path.join(dir, 'not-results'), /not-results holds no results: expected results\.json/],
    ];
    for (const [source, message] of cases) {
      const result = await clwb('report', source, ...out);
      expect(result.code, source).toBe(1);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toContain('unexpected error');
    }
    await expect(stat(out[1])).rejects.toThrow();
  });

  it('--experiment must name the experiment of a results file', async () => {
    expect((await clwb('report', results, '--experiment', 'results', '--csv', path.join(dir, 'e1.csv'))).code).toBe(0);
    expect((await clwb('report', results, '--experiment', document.specHash.slice(0, 8), '--csv', path.join(dir, 'e2.csv'))).code).toBe(0);
    const wrong = await clwb('report', results, '--experiment', 'split-cifar', '--csv', path.join(dir, 'e3.csv'));
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`holds the experiment "${document.experiment.name}"`);
    expect(wrong.stderr).toContain('not "split-cifar"');
  });
});

describe('loadResults', () => {
  it('throws WorkbenchError with a code and details.path', async () => {
    const missing = path.join(dir, 'nope', 'results.json');
    await expect(loadResults(missing)).rejects.toMatchObject({ code: 'IO', details: { path: missing } });
    const bad = await file('bad-kind/results.json', { kind: 'x' });
    await expect(loadResults(path.dirname(bad))).rejects.toMatchObject({ code: 'RESULTS_INVALID', details: { path: bad } });
    const loaded = await loadResults(results);
    expect(loaded).toMatchObject({ path: path.join(results, 'results.json'), folder: results, experimentFile: path.join(results, 'experiment.json') });
    expect(loaded.document.runs).toHaveLength(document.runs.length);
  });

  it('reads folders through a registered reader (how project folders plug in), choosing the experiment by id', async () => {
    const project = path.join(dir, 'project');
    await file('project/project.json', { kind: 'fake-project' });
    const seen: (string | undefined)[] = [];
    const unregister = registerResultsReader({
      name: 'fake project',
      canRead: async (folder) => folder === project,
      read: async (folder, experiment) => {
        seen.push(experiment);
        if (experiment === 'broken') throw Object.assign(new Error('no experiment "broken" here'), { code: 'NOT_FOUND' });
        return { document, path: path.join(folder, 'experiments', `${experiment}.json`), folder };
      },
    });
    try {
      const loaded = await loadResults(project, { experiment: 'split-mnist' });
      expect(seen).toEqual(['split-mnist']);
      expect(loaded.path).toBe(path.join(project, 'experiments', 'split-mnist.json'));
      expect(loaded.experimentFile).toBeUndefined();
      const error = await loadResults(project, { experiment: 'broken' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WorkbenchError);
      expect((error as WorkbenchError).message).toBe(`${project} (fake project): no experiment "broken" here`);
      expect((error as WorkbenchError).details).toMatchObject({ path: project, reason: 'NOT_FOUND' });

      // Without a runnable experiment file, the PDF tells how to save the printed spec and re-run it.
      const pdf = path.join(dir, 'project-report.pdf');
      const written = await exportReport({ source: project, experiment: 'split-mnist', pdf });
      expect(written.files).toEqual([pdf]);
      const { stdout } = await exec('pdftotext', [pdf, '-']);
      expect(stdout.replace(/\s+/g, ' ')).toContain('Save the experiment printed in the appendix');
    } finally {
      unregister();
    }
  });

  it('exportReport needs an output and refuses to write two outputs to one file', async () => {
    await expect(exportReport({ source: results })).rejects.toThrow(/Nothing to export/);
    const same = path.join(dir, 'same.pdf');
    await expect(exportReport({ source: results, csv: same, pdf: same })).rejects.toThrow(/would both be written to/);
  });
});
