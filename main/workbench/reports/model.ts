/**
 * What the PDF shows, derived once from a results document: per strategy (in the experiment's
 * order) its summary, its runs, the accuracy matrix averaged over seeds, and the accuracy after
 * each experience with its spread over seeds.
 */
import { summarise, type Summary } from '../../engine/metrics/index.ts';
import type { RunResult } from '../../engine/run/result.ts';
import type { ResultsDocument, StrategySummary } from '../experiment-run.ts';
import { METRIC_KEYS, type MetricKey } from './select.ts';
import { METRIC_DIRECTION } from './text.ts';

export interface StrategyView {
  /** 1-based number used in tables and charts. */
  number: number;
  label: string;
  summary: StrategySummary;
  runs: RunResult[];
  /** Accuracy matrix, mean over seeds (class-IL, then task-IL where it exists). */
  matrix: number[][];
  taskMatrix?: number[][];
  /** Accuracy on the experiences seen so far after each experience, over seeds. */
  curve: Summary[];
  taskCurve?: Summary[];
}

export interface ReportModel {
  document: ResultsDocument;
  strategies: StrategyView[];
  /** Experiences per run (rows of the accuracy matrix). */
  experiences: number;
  hasTask: boolean;
  /** Labels holding the best mean per metric (ties all count), class-IL and task-IL. */
  best: Record<MetricKey, Set<string>>;
  bestTask: Record<MetricKey, Set<string>>;
}

function meanMatrix(matrices: number[][][]): number[][] {
  const rows = Math.max(...matrices.map((m) => m.length));
  return Array.from({ length: rows }, (_, i) => {
    const cols = Math.max(...matrices.map((m) => m[i]?.length ?? 0));
    return Array.from({ length: cols }, (_, j) => {
      const values = matrices.map((m) => m[i]?.[j]).filter((v): v is number => typeof v === 'number');
      return values.reduce((a, b) => a + b, 0) / values.length;
    });
  });
}

/** After experience i: the mean over j <= i of R[i][j]. */
export function seenAccuracy(matrix: number[][]): number[] {
  return matrix.map((row, i) => {
    const seen = row.slice(0, i + 1);
    return seen.reduce((a, b) => a + b, 0) / seen.length;
  });
}

function curve(matrices: number[][][]): Summary[] {
  const perRun = matrices.map(seenAccuracy);
  const length = Math.max(...perRun.map((c) => c.length));
  return Array.from({ length }, (_, i) => summarise(perRun.map((c) => c[i])));
}

function bestOf(summaries: StrategySummary[], pick: (s: StrategySummary) => StrategySummary['metrics'] | undefined): Record<MetricKey, Set<string>> {
  return Object.fromEntries(
    METRIC_KEYS.map((key) => {
      const values = summaries.map((s) => ({ label: s.label, mean: pick(s)?.[key].mean ?? null })).filter((v): v is { label: string; mean: number } => v.mean !== null);
      if (values.length < 2) return [key, new Set<string>()];
      const direction = METRIC_DIRECTION[key];
      const top = Math.max(...values.map((v) => v.mean * direction));
      return [key, new Set(values.filter((v) => v.mean * direction === top).map((v) => v.label))];
    }),
  ) as Record<MetricKey, Set<string>>;
}

export function buildModel(document: ResultsDocument): ReportModel {
  const strategies = document.summary.map((summary, index): StrategyView => {
    const runs = document.runs.filter((r) => r.label === summary.label);
    const view: StrategyView = {
      number: index + 1,
      label: summary.label,
      summary,
      runs,
      matrix: meanMatrix(runs.map((r) => r.accuracyMatrix)),
      curve: curve(runs.map((r) => r.accuracyMatrix)),
    };
    const task = runs.map((r) => r.taskAccuracyMatrix).filter((m): m is number[][] => Array.isArray(m));
    if (task.length === runs.length && task.length > 0) {
      view.taskMatrix = meanMatrix(task);
      view.taskCurve = curve(task);
    }
    return view;
  });
  return {
    document,
    strategies,
    experiences: Math.max(...document.runs.map((r) => r.accuracyMatrix.length)),
    hasTask: strategies.some((s) => s.taskMatrix),
    best: bestOf(document.summary, (s) => s.metrics),
    bestTask: bestOf(document.summary, (s) => s.taskMetrics),
  };
}
