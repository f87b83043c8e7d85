// The CSV report: RFC 4180 tables that parse back to exactly the numbers in results.json.
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkbenchError } from '../../main/engine/errors.ts';
import type { ResultsDocument } from '../../main/workbench/experiment-run.ts';
import { ACCURACY_COLUMNS, buildCsv, COST_TABLE_COLUMNS, csvField, csvFileNames, csvTable, selectResults, SUMMARY_COLUMNS } from '../../main/workbench/reports/index.ts';
import { AWKWARD_LABEL, manyStrategies, tinyResults } from '../fixtures/reports/results.ts';

/** A strict RFC 4180 reader: CRLF records, quoted fields with doubled quotes; anything else throws. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const endField = (field: string) => {
    row.push(field);
    if (text[i] === ',') {
      i++;
      return;
    }
    if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
      return;
    }
    throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 10))}`);
  };
  while (i < text.length) {
    if (text[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
      endField(field);
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') {
        if (text[end] === '"') throw new Error(`bare quote in an unquoted field at ${end}`);
        end++;
      }
      const field = text.slice(i, end);
      i = end;
      endField(field);
    }
  }
  if (row.length) throw new Error('last record does not end in CRLF');
  return rows;
}

/** Rows as objects keyed by the header; checks the header and that every row has its width. */
function table(text: string, columns: string[]): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual(columns);
  for (const row of rows) expect(row).toHaveLength(columns.length);
  return rows.map((row) => Object.fromEntries(header.map((name, k) => [name, row[k]])));
}

/** The number a field holds; '' is a missing value (null). Exactness is checked with Object.is. */
const value = (field: string): number | null => (field === '' ? null : Number(field));
const exact = (field: string, expected: number | null | undefined) => expect(Object.is(value(field), expected ?? null), `${field} vs ${expected}`).toBe(true);

let document: ResultsDocument;

beforeAll(async () => {
  document = await tinyResults();
});

describe('CSV report', () => {
  it('writes RFC 4180: CRLF records, quotes only where needed, doubled quotes, UTF-8 text without a BOM', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(-0)).toBe('0');
    expect(parseCsv(csvTable(['a', 'b'], [['x,"y"', 'λ\r\nz'], [1e-7, null]]))).toEqual([['a', 'b'], ['x,"y"', 'λ\r\nz'], ['1e-7', '']]);
    const tables = buildCsv(document);
    for (const text of Object.values(tables)) {
      expect(text.charCodeAt(0)).not.toBe(0xfeff);
      expect(text.endsWith('\r\n')).toBe(true);
      expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
    }
  });

  it('the long table has one row per run x trained x evaluated experience with exactly the accuracies of results.json', () => {
    const rows = table(buildCsv(document).accuracy, ACCURACY_COLUMNS);
    const expected = document.runs.reduce((n, run) => n + run.accuracyMatrix.flat().length, 0);
    expect(rows).toHaveLength(expected);
    let checked = 0;
    for (const run of document.runs) {
      const mine = rows.filter((r) => r.run_id === run.id);
      expect(mine).toHaveLength(run.accuracyMatrix.flat().length);
      for (const row of mine) {
        const i = Number(row.trained_experience) - 1;
        const j = Number(row.evaluated_experience) - 1;
        exact(row.accuracy_class_il, run.accuracyMatrix[i][j]);
        exact(row.accuracy_task_il, run.taskAccuracyMatrix![i][j]);
        exact(row.random_baseline_class_il, run.randomBaseline[j]);
        exact(row.random_baseline_task_il, run.taskRandomBaseline![j]);
        expect(row.experiment).toBe(document.experiment.name);
        expect(row.spec_hash).toBe(document.specHash);
        expect(row.strategy).toBe(run.strategy);
        expect(row.label).toBe(run.label);
        expect(JSON.parse(row.params)).toEqual(run.params);
        expect(Number(row.seed)).toBe(run.seed);
        expect(row.scenario).toBe('task-incremental');
        expect(row.evaluated_classes).toBe((run.scenario as { experienceClasses: number[][] }).experienceClasses[j].join(' '));
        checked++;
      }
    }
    expect(checked).toBe(expected);
    // The awkward label (comma, quotes, non-Latin-1) survives quoting.
    expect(rows.some((r) => r.label === AWKWARD_LABEL)).toBe(true);
  });

  it('the summary table has strategy x metric rows with exactly the mean, sd and n of results.json', () => {
    const rows = table(buildCsv(document).summary, SUMMARY_COLUMNS);
    let expected = 0;
    for (const entry of document.summary) {
      const groups = { 'class-il': entry.metrics, 'task-il': entry.taskMetrics!, cost: entry.cost } as Record<string, Record<string, { mean: number | null; sd: number | null; n: number }>>;
      for (const [group, metrics] of Object.entries(groups)) {
        for (const [metric, summary] of Object.entries(metrics)) {
          const row = rows.find((r) => r.label === entry.label && r.group === group && r.metric === metric);
          expect(row, `${entry.label} ${group} ${metric}`).toBeDefined();
          exact(row!.mean, summary.mean);
          exact(row!.sd, summary.sd);
          expect(Number(row!.n)).toBe(summary.n);
          expect(row!.seeds).toBe(entry.seeds.join(' '));
          expect(row!.strategy).toBe(entry.strategy);
          expected++;
        }
      }
    }
    expect(rows).toHaveLength(expected);
  });

  it('the cost table has one row per run with exactly its cost and final accuracy', () => {
    const rows = table(buildCsv(document).cost, COST_TABLE_COLUMNS);
    expect(rows).toHaveLength(document.runs.length);
    const columns: Record<string, string> = {
      trainSeconds: 'train_seconds', evalSeconds: 'eval_seconds', wallSeconds: 'wall_seconds', trainedSamples: 'trained_samples',
      samplesPerSecond: 'samples_per_second', peakTensorBytes: 'peak_tensor_bytes', peakTensors: 'peak_tensors', parameters: 'parameters',
      bufferSamples: 'buffer_samples', bufferBytes: 'buffer_bytes', extraForwardSamples: 'extra_forward_samples', extraBackwardSamples: 'extra_backward_samples',
    };
    for (const run of document.runs) {
      const row = rows.find((r) => r.run_id === run.id)!;
      // Every cost field of the run has a column.
      expect(Object.keys(run.cost).sort()).toEqual(Object.keys(columns).sort());
      for (const [key, column] of Object.entries(columns)) exact(row[column], run.cost[key as keyof typeof run.cost]);
      exact(row.acc_class_il, run.metrics.acc);
      exact(row.acc_task_il, run.taskMetrics!.acc);
      expect([row.backend, row.device, row.started_at, row.finished_at]).toEqual([run.backend, run.device, run.startedAt, run.finishedAt]);
    }
  });

  it('leaves task-IL columns empty for class-IL results and handles 30 strategies', () => {
    const classOnly: ResultsDocument = {
      ...document,
      runs: document.runs.map(({ taskAccuracyMatrix: _m, taskMetrics: _t, taskRandomBaseline: _b, ...run }) => run),
      summary: document.summary.map(({ taskMetrics: _t, ...entry }) => entry),
    };
    const tables = buildCsv(classOnly);
    const rows = table(tables.accuracy, ACCURACY_COLUMNS);
    expect(rows.every((r) => r.accuracy_task_il === '' && r.random_baseline_task_il === '')).toBe(true);
    expect(table(tables.summary, SUMMARY_COLUMNS).some((r) => r.group === 'task-il')).toBe(false);

    const many = manyStrategies(document, 30);
    const manyRows = table(buildCsv(many).accuracy, ACCURACY_COLUMNS);
    expect(new Set(manyRows.map((r) => r.label)).size).toBe(30);
    expect(manyRows).toHaveLength(many.runs.reduce((n, r) => n + r.accuracyMatrix.flat().length, 0));
  });

  it('names the files next to the one given', () => {
    expect(csvFileNames('out/report.csv')).toEqual({ accuracy: 'out/report.csv', summary: 'out/report-summary.csv', cost: 'out/report-cost.csv' });
    expect(csvFileNames('out/report')).toEqual({ accuracy: 'out/report', summary: 'out/report-summary.csv', cost: 'out/report-cost.csv' });
  });

  it('a selection keeps whole strategies as they are and recomputes a strategy that lost runs', () => {
    const [first, second] = document.summary;
    const byLabel = selectResults(document, { strategies: [second.label] });
    expect(byLabel.summary).toEqual([second]);
    expect(byLabel.runs.every((r) => r.label === second.label)).toBe(true);
    expect(selectResults(document, { strategies: [first.strategy] }).summary).toEqual([first]);
    // The experiment (and its hash, for the re-run command) stays whole.
    expect(byLabel.experiment).toBe(document.experiment);

    const run = document.runs.find((r) => r.label === first.label)!;
    const one = selectResults(document, { runs: [run.id] });
    expect(one.runs).toEqual([run]);
    expect(one.summary).toHaveLength(1);
    expect(one.summary[0].n).toBe(1);
    expect(one.summary[0].metrics.acc).toEqual({ mean: run.metrics.acc, sd: 0, n: 1 });
    expect(one.summary[0].taskMetrics!.acc).toEqual({ mean: run.taskMetrics!.acc, sd: 0, n: 1 });
    const rows = table(buildCsv(one).summary, SUMMARY_COLUMNS);
    exact(rows.find((r) => r.group === 'class-il' && r.metric === 'bwt')!.mean, run.metrics.bwt);

    for (const selection of [{ strategies: ['nope'] }, { runs: ['01-nope-s0'] }]) {
      expect(() => selectResults(document, selection)).toThrow(WorkbenchError);
      try {
        selectResults(document, selection);
      } catch (error) {
        expect((error as WorkbenchError).code).toBe('UNKNOWN_ID');
        expect((error as WorkbenchError).message).toMatch(/nope/);
      }
    }
    expect(() => selectResults(document, { strategies: [first.label], runs: [document.runs.find((r) => r.label === second.label)!.id] })).toThrow(/leaves no runs/);
  });
});
