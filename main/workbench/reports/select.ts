/**
 * Choosing what a report covers: some strategies and/or some runs of one results document.
 * The experiment spec (and so the spec hash and the re-run command) stays whole; the summary
 * of a strategy that lost some of its runs is recomputed from the runs that remain.
 */
import { WorkbenchError } from '../../engine/errors.ts';
import { summarise } from '../../engine/metrics/index.ts';
import type { RunResult } from '../../engine/run/result.ts';
import type { ResultsDocument, StrategySummary } from '../experiment-run.ts';

/** Which runs a report covers; both lists empty or absent means everything. */
export interface ReportSelection {
  /** Run ids (`01-naive-s0`). */
  runs?: string[];
  /** Strategy display labels (`Naive (fine-tuning)`) or catalogue ids (`naive`, every entry with that id). */
  strategies?: string[];
}

export const METRIC_KEYS = ['acc', 'bwt', 'fwt', 'forgetting', 'averageIncrementalAccuracy'] as const;
export const COST_KEYS = ['trainSeconds', 'samplesPerSecond', 'peakTensorBytes', 'parameters', 'bufferSamples', 'bufferBytes'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];
export type CostKey = (typeof COST_KEYS)[number];

/** The document restricted to `selection`; throws UNKNOWN_ID naming what does not exist. */
export function selectResults(document: ResultsDocument, selection: ReportSelection = {}): ResultsDocument {
  const wantRuns = selection.runs?.length ? new Set(selection.runs) : undefined;
  const wantStrategies = selection.strategies?.length ? new Set(selection.strategies) : undefined;
  if (!wantRuns && !wantStrategies) return document;

  if (wantRuns) {
    const known = new Set(document.runs.map((r) => r.id));
    const unknown = [...wantRuns].filter((id) => !known.has(id));
    if (unknown.length) {
      throw new WorkbenchError('UNKNOWN_ID', `No finished run ${unknown.map((id) => `"${id}"`).join(', ')} in experiment "${document.experiment.name}" (runs: ${[...known].join(', ')})`, { runs: unknown });
    }
  }
  if (wantStrategies) {
    const known = new Set(document.runs.flatMap((r) => [r.label, r.strategy]));
    const unknown = [...wantStrategies].filter((s) => !known.has(s));
    if (unknown.length) {
      const labels = [...new Set(document.runs.map((r) => r.label))];
      throw new WorkbenchError('UNKNOWN_ID', `No strategy ${unknown.map((s) => `"${s}"`).join(', ')} with finished runs in experiment "${document.experiment.name}" (strategies: ${labels.join(', ')})`, { strategies: unknown });
    }
  }
  const keep = (run: RunResult) => (!wantRuns || wantRuns.has(run.id)) && (!wantStrategies || wantStrategies.has(run.label) || wantStrategies.has(run.strategy));
  const runs = document.runs.filter(keep);
  if (runs.length === 0) throw new WorkbenchError('UNKNOWN_ID', `The selection leaves no runs of experiment "${document.experiment.name}" (the strategies and runs chosen do not overlap)`);
  const failed = document.failed.filter((f) => !wantStrategies || wantStrategies.has(f.label) || wantStrategies.has(f.strategy));

  const summary = document.summary.flatMap((entry) => {
    const all = document.runs.filter((r) => r.label === entry.label);
    const mine = runs.filter((r) => r.label === entry.label);
    if (mine.length === 0) return [];
    if (mine.length === all.length) return [entry];
    return [resummarise(entry, mine)];
  });
  return { ...document, runs, failed, summary };
}

/** A strategy's summary over a subset of its runs (same rules as summariseRuns). */
function resummarise(entry: StrategySummary, runs: RunResult[]): StrategySummary {
  const metrics = (pick: (r: RunResult) => RunResult['metrics'] | undefined) =>
    Object.fromEntries(METRIC_KEYS.map((k) => [k, summarise(runs.map((r) => pick(r)?.[k] ?? null))])) as StrategySummary['metrics'];
  const result: StrategySummary = {
    ...entry,
    n: runs.length,
    seeds: runs.map((r) => r.seed),
    metrics: metrics((r) => r.metrics),
    cost: Object.fromEntries(COST_KEYS.map((k) => [k, summarise(runs.map((r) => r.cost[k]))])) as StrategySummary['cost'],
  };
  delete result.taskMetrics;
  if (runs.every((r) => r.taskMetrics)) result.taskMetrics = metrics((r) => r.taskMetrics);
  return result;
}
