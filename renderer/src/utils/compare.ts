/**
 * The compare table's model: strategies (or single runs) × metrics, mean ± sd over
 * seeds, sorting with a pinned baseline, the best value per metric, and the strategies'
 * configurations with "differences only". Pure and linear in the number of runs, so a
 * project with 1,000 runs builds and sorts in milliseconds (bench/compare-table.ts).
 */
import type { RunResult } from '../../../main/workbench/api/contract.ts';
import { formatBytes, formatCount, formatDuration, formatMetric, formatPercent } from './format.ts';
import { summarise, type Statistic } from './stats.ts';

export type MetricKey =
  | 'acc'
  | 'bwt'
  | 'fwt'
  | 'forgetting'
  | 'aia'
  | 'taskAcc'
  | 'taskForgetting'
  | 'trainSeconds'
  | 'samplesPerSecond'
  | 'peakTensorBytes'
  | 'parameters'
  | 'bufferSamples';

export interface MetricDef {
  key: MetricKey;
  label: string;
  group: 'Class-IL' | 'Task-IL' | 'Cost';
  better: 'higher' | 'lower';
  description: string;
  pick(run: RunResult): number | null;
  format(value: number | null): string;
}

const pct = (value: number | null) => formatPercent(value);
const signed = (value: number | null) => (value === null ? '–' : `${value > 0 ? '+' : ''}${formatMetric(value * 100, 1)} pp`);

export const METRICS: MetricDef[] = [
  { key: 'acc', label: 'ACC', group: 'Class-IL', better: 'higher', description: 'Average accuracy over all experiences after the last one (class-IL).', pick: (r) => r.metrics.acc, format: pct },
  { key: 'bwt', label: 'BWT', group: 'Class-IL', better: 'higher', description: 'Backward transfer: how training later experiences changed accuracy on earlier ones (negative = forgetting).', pick: (r) => r.metrics.bwt, format: signed },
  { key: 'fwt', label: 'FWT', group: 'Class-IL', better: 'higher', description: 'Forward transfer: accuracy on an experience before training it, above a random model.', pick: (r) => r.metrics.fwt, format: signed },
  { key: 'forgetting', label: 'Forgetting', group: 'Class-IL', better: 'lower', description: 'Mean drop from the best accuracy an experience ever had to its final accuracy.', pick: (r) => r.metrics.forgetting, format: pct },
  { key: 'aia', label: 'Avg. inc. ACC', group: 'Class-IL', better: 'higher', description: 'Average incremental accuracy: mean accuracy on the experiences seen, averaged over the stream.', pick: (r) => r.metrics.averageIncrementalAccuracy, format: pct },
  { key: 'taskAcc', label: 'Task-IL ACC', group: 'Task-IL', better: 'higher', description: 'ACC with the task id given at test time (task-IL scenarios).', pick: (r) => r.taskMetrics?.acc ?? null, format: pct },
  { key: 'taskForgetting', label: 'Task-IL forgetting', group: 'Task-IL', better: 'lower', description: 'Forgetting with the task id given at test time.', pick: (r) => r.taskMetrics?.forgetting ?? null, format: pct },
  { key: 'trainSeconds', label: 'Train time', group: 'Cost', better: 'lower', description: 'Seconds spent in training steps (evaluation excluded).', pick: (r) => r.cost.trainSeconds, format: (v) => formatDuration(v) },
  { key: 'samplesPerSecond', label: 'Samples/s', group: 'Cost', better: 'higher', description: 'Training throughput.', pick: (r) => r.cost.samplesPerSecond, format: (v) => formatCount(v) },
  { key: 'peakTensorBytes', label: 'Peak memory', group: 'Cost', better: 'lower', description: 'Highest tensor memory seen during training.', pick: (r) => r.cost.peakTensorBytes, format: (v) => formatBytes(v) },
  { key: 'parameters', label: 'Parameters', group: 'Cost', better: 'lower', description: 'Trainable parameters at the end.', pick: (r) => r.cost.parameters, format: (v) => formatCount(v) },
  { key: 'bufferSamples', label: 'Memory buffer', group: 'Cost', better: 'lower', description: 'Samples kept in a replay memory.', pick: (r) => r.cost.bufferSamples, format: (v) => formatCount(v) },
];

export const METRIC_BY_KEY = Object.fromEntries(METRICS.map((m) => [m.key, m])) as Record<MetricKey, MetricDef>;

export type GroupBy = 'strategy' | 'run';

export interface CompareRow {
  /** The strategy label (grouped) or the run id. */
  key: string;
  label: string;
  strategy: string;
  name: string;
  seeds: number[];
  n: number;
  runIds: string[];
  params: Record<string, unknown>;
  cells: Record<MetricKey, Statistic>;
}

/** One row per strategy label (mean ± sd over its seeds), or one per run. */
export function buildRows(runs: RunResult[], groupBy: GroupBy = 'strategy'): CompareRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const run of runs) {
    const key = groupBy === 'strategy' ? run.label : run.id;
    const list = groups.get(key);
    if (list) list.push(run);
    else groups.set(key, [run]);
  }
  const rows: CompareRow[] = [];
  for (const [key, group] of groups) {
    const first = group[0];
    const cells = {} as Record<MetricKey, Statistic>;
    for (const metric of METRICS) cells[metric.key] = summarise(group.map((run) => metric.pick(run)));
    rows.push({
      key,
      label: groupBy === 'strategy' ? first.label : `${first.label} · seed ${first.seed}`,
      strategy: first.strategy,
      name: first.name,
      seeds: group.map((r) => r.seed).sort((a, b) => a - b),
      n: group.length,
      runIds: group.map((r) => r.id),
      params: first.params,
      cells,
    });
  }
  return rows;
}

/** Metrics with at least one value (task-IL columns only appear for task-IL results). */
export function presentMetrics(rows: CompareRow[]): MetricDef[] {
  return METRICS.filter((metric) => rows.some((row) => row.cells[metric.key].mean !== null));
}

export type SortKey = MetricKey | 'label' | 'n';
export type SortOrder = 'ascending' | 'descending';

/** Sorted rows; missing values always last; the pinned row (the baseline) first. */
export function sortRows(rows: CompareRow[], key: SortKey | undefined, order: SortOrder = 'descending', pinned?: string): CompareRow[] {
  const sign = order === 'ascending' ? 1 : -1;
  let sorted = rows;
  if (key) {
    const value = (row: CompareRow): number | string | null => (key === 'label' ? row.label : key === 'n' ? row.n : row.cells[key].mean);
    sorted = rows
      .map((row, index) => ({ row, index, value: value(row) }))
      .sort((a, b) => {
        if (a.value === null && b.value === null) return a.index - b.index;
        if (a.value === null) return 1;
        if (b.value === null) return -1;
        const difference = typeof a.value === 'string' ? a.value.localeCompare(String(b.value)) : a.value - (b.value as number);
        return difference !== 0 ? sign * difference : a.index - b.index;
      })
      .map((item) => item.row);
  }
  if (pinned === undefined) return sorted;
  const baseline = sorted.find((row) => row.key === pinned);
  return baseline ? [baseline, ...sorted.filter((row) => row !== baseline)] : sorted;
}

/** The keys of the rows holding the best mean of each metric (ties share it). */
export function bestRows(rows: CompareRow[], metrics: MetricDef[] = METRICS): Partial<Record<MetricKey, Set<string>>> {
  const best: Partial<Record<MetricKey, Set<string>>> = {};
  if (rows.length < 2) return best;
  for (const metric of metrics) {
    let top: number | null = null;
    for (const row of rows) {
      const mean = row.cells[metric.key].mean;
      if (mean === null) continue;
      if (top === null || (metric.better === 'higher' ? mean > top : mean < top)) top = mean;
    }
    if (top === null) continue;
    const winners = rows.filter((row) => row.cells[metric.key].mean !== null && Math.abs(row.cells[metric.key].mean! - top!) < 1e-12);
    // A value every row shares marks nothing.
    if (winners.length === rows.filter((row) => row.cells[metric.key].mean !== null).length) continue;
    best[metric.key] = new Set(winners.map((row) => row.key));
  }
  return best;
}

/** A row's value minus the baseline's, for one metric. */
export function delta(row: CompareRow, baseline: CompareRow | undefined, key: MetricKey): number | null {
  if (!baseline || baseline === row) return null;
  const a = row.cells[key].mean;
  const b = baseline.cells[key].mean;
  return a === null || b === null ? null : a - b;
}

/** Whether a difference is an improvement for that metric. */
export function isBetter(key: MetricKey, difference: number): boolean {
  return METRIC_BY_KEY[key].better === 'higher' ? difference > 0 : difference < 0;
}

export interface ConfigRow {
  key: string;
  /** Shown value per compare row key. */
  values: Record<string, string>;
  differs: boolean;
}

const show = (value: unknown): string => (value === undefined ? '—' : Array.isArray(value) ? value.join(', ') : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));

/** The configurations side by side: strategy id and every parameter; `differencesOnly` keeps those that differ. */
export function configRows(rows: CompareRow[], differencesOnly: boolean): ConfigRow[] {
  const keys: string[] = [];
  for (const row of rows) for (const key of Object.keys(row.params)) if (!keys.includes(key)) keys.push(key);
  const table: ConfigRow[] = [
    { key: 'strategy', values: Object.fromEntries(rows.map((r) => [r.key, r.strategy])), differs: false },
    { key: 'seeds', values: Object.fromEntries(rows.map((r) => [r.key, r.seeds.join(', ')])), differs: false },
    ...keys.map((key) => ({ key, values: Object.fromEntries(rows.map((r) => [r.key, show(r.params[key])])), differs: false })),
  ];
  for (const entry of table) entry.differs = new Set(Object.values(entry.values)).size > 1;
  return differencesOnly ? table.filter((entry) => entry.differs) : table;
}

export interface Curve {
  label: string;
  mean: (number | null)[];
  sd: (number | null)[];
}

/** Per strategy: mean (± sd over seeds) accuracy on the experiences seen, after each experience. */
export function accuracyCurves(runs: RunResult[]): Curve[] {
  const byLabel = new Map<string, number[][]>();
  for (const run of runs) {
    const curve = run.accuracyMatrix.map((row, i) => {
      const seen = row.slice(0, i + 1);
      return seen.reduce((a, b) => a + b, 0) / seen.length;
    });
    byLabel.set(run.label, [...(byLabel.get(run.label) ?? []), curve]);
  }
  return [...byLabel.entries()].map(([label, curves]) => {
    const length = Math.max(...curves.map((c) => c.length));
    const stats = Array.from({ length }, (_, i) => summarise(curves.map((c) => c[i])));
    return { label, mean: stats.map((s) => s.mean), sd: stats.map((s) => s.sd) };
  });
}

/** Per strategy: mean forgetting of each experience (the last has none). */
export function forgettingCurves(runs: RunResult[]): Curve[] {
  const byLabel = new Map<string, (number | null)[][]>();
  for (const run of runs) byLabel.set(run.label, [...(byLabel.get(run.label) ?? []), run.metrics.forgettingPerExperience]);
  return [...byLabel.entries()].map(([label, lists]) => {
    const length = Math.max(...lists.map((l) => l.length));
    const stats = Array.from({ length }, (_, i) => summarise(lists.map((l) => l[i])));
    return { label, mean: stats.map((s) => s.mean), sd: stats.map((s) => s.sd) };
  });
}
