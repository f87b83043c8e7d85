/**
 * The CSV report: three tidy tables (docs/reports.md lists every column).
 *   FILE               accuracy: one row per run x trained experience x evaluated experience
 *   FILE-summary.csv   summary: one row per strategy x metric (mean, sd, n over seeds)
 *   FILE-cost.csv      cost: one row per run (time, throughput, memory, parameters, buffer)
 * RFC 4180: comma-separated, CRLF line ends, a header row, fields quoted when they hold a comma,
 * quote, CR or LF (quotes doubled). UTF-8 without a byte-order mark. Numbers are written with
 * JavaScript's shortest round-trip form (String(x)), so parsing them gives back exactly the
 * numbers in results.json; a missing value (a metric undefined for one experience) is empty.
 */
import type { RunCost, RunResult } from '../../engine/run/result.ts';
import type { ResultsDocument } from '../experiment-run.ts';
import { COST_KEYS, METRIC_KEYS } from './select.ts';

export type CsvValue = string | number | null | undefined;

/** One RFC 4180 field. */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole RFC 4180 table: header row, then one line per row, every line ending in CRLF. */
export function csvTable(header: string[], rows: CsvValue[][]): string {
  return [header, ...rows].map((row) => `${row.map(csvField).join(',')}\r\n`).join('');
}

/** A strategy's parameters as canonical JSON (keys sorted), the "parameter set" column. */
export function paramsKey(params: Record<string, unknown>): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
    }
    return value;
  };
  return JSON.stringify(canonical(params ?? {}));
}

export interface CsvTables {
  /** The long accuracy table (written to FILE). */
  accuracy: string;
  /** Strategy x metric: mean, sd, n (FILE-summary.csv). */
  summary: string;
  /** One row per run: cost and final accuracy (FILE-cost.csv). */
  cost: string;
}

/** The file each table goes to, for the path given as --csv FILE. */
export function csvFileNames(file: string): Record<keyof CsvTables, string> {
  const stem = file.toLowerCase().endsWith('.csv') ? file.slice(0, -4) : file;
  return { accuracy: file, summary: `${stem}-summary.csv`, cost: `${stem}-cost.csv` };
}

export const ACCURACY_COLUMNS = [
  'experiment', 'spec_hash', 'run_id', 'strategy', 'label', 'params', 'seed', 'scenario',
  'trained_experience', 'evaluated_experience', 'evaluated_classes',
  'accuracy_class_il', 'accuracy_task_il', 'random_baseline_class_il', 'random_baseline_task_il',
];

export const SUMMARY_COLUMNS = ['experiment', 'spec_hash', 'strategy', 'label', 'params', 'group', 'metric', 'mean', 'sd', 'n', 'seeds'];

/** RunCost keys in the cost table, with their column names. */
export const COST_COLUMNS: [keyof RunCost, string][] = [
  ['trainSeconds', 'train_seconds'],
  ['evalSeconds', 'eval_seconds'],
  ['wallSeconds', 'wall_seconds'],
  ['trainedSamples', 'trained_samples'],
  ['samplesPerSecond', 'samples_per_second'],
  ['peakTensorBytes', 'peak_tensor_bytes'],
  ['peakTensors', 'peak_tensors'],
  ['parameters', 'parameters'],
  ['bufferSamples', 'buffer_samples'],
  ['bufferBytes', 'buffer_bytes'],
  ['extraForwardSamples', 'extra_forward_samples'],
  ['extraBackwardSamples', 'extra_backward_samples'],
];

const RUN_COLUMNS = ['experiment', 'spec_hash', 'run_id', 'strategy', 'label', 'params', 'seed', 'scenario', 'backend', 'device'];
export const COST_TABLE_COLUMNS = [...RUN_COLUMNS, ...COST_COLUMNS.map(([, column]) => column), 'acc_class_il', 'acc_task_il', 'started_at', 'finished_at'];

function experienceClasses(run: RunResult, j: number): string | undefined {
  const classes = (run.scenario as { experienceClasses?: unknown }).experienceClasses;
  if (!Array.isArray(classes) || !Array.isArray(classes[j])) return undefined;
  return (classes[j] as unknown[]).join(' ');
}

/** Builds the three tables of `document` (already narrowed with selectResults if wanted). */
export function buildCsv(document: ResultsDocument): CsvTables {
  const experiment = document.experiment.name;
  const hash = document.specHash;
  const scenario = document.experiment.scenario.type;

  const accuracyRows: CsvValue[][] = [];
  for (const run of document.runs) {
    const params = paramsKey(run.params);
    run.accuracyMatrix.forEach((row, i) => {
      row.forEach((value, j) => {
        accuracyRows.push([
          experiment, hash, run.id, run.strategy, run.label, params, run.seed, scenario,
          i + 1, j + 1, experienceClasses(run, j),
          value, run.taskAccuracyMatrix?.[i]?.[j], run.randomBaseline?.[j], run.taskRandomBaseline?.[j],
        ]);
      });
    });
  }

  const summaryRows: CsvValue[][] = [];
  for (const entry of document.summary) {
    const lead = [experiment, hash, entry.strategy, entry.label, paramsKey(entry.params)];
    const seeds = entry.seeds.join(' ');
    for (const key of METRIC_KEYS) summaryRows.push([...lead, 'class-il', key, entry.metrics[key].mean, entry.metrics[key].sd, entry.metrics[key].n, seeds]);
    if (entry.taskMetrics) for (const key of METRIC_KEYS) summaryRows.push([...lead, 'task-il', key, entry.taskMetrics[key].mean, entry.taskMetrics[key].sd, entry.taskMetrics[key].n, seeds]);
    for (const key of COST_KEYS) summaryRows.push([...lead, 'cost', key, entry.cost[key].mean, entry.cost[key].sd, entry.cost[key].n, seeds]);
  }

  const costRows: CsvValue[][] = document.runs.map((run) => [
    experiment, hash, run.id, run.strategy, run.label, paramsKey(run.params), run.seed, scenario, run.backend, run.device,
    ...COST_COLUMNS.map(([key]) => run.cost[key]),
    run.metrics.acc, run.taskMetrics?.acc, run.startedAt, run.finishedAt,
  ]);

  return {
    accuracy: csvTable(ACCURACY_COLUMNS, accuracyRows),
    summary: csvTable(SUMMARY_COLUMNS, summaryRows),
    cost: csvTable(COST_TABLE_COLUMNS, costRows),
  };
}
