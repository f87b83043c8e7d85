/**
 * The Compare view with 1,000 runs: the time to build the table model (strategies × metrics,
 * mean ± sd over seeds), sort it by every column both ways, build the per-run rows, the
 * configurations and the accuracy curves, in Node, with the renderer's own pure helpers
 * (renderer/src/utils/compare.ts). The table itself is virtualised (ElTableV2), so only the
 * visible rows reach the DOM: this data preparation is what grows with the number of runs.
 *
 *   node bin/run-ts.mjs bench/compare-table.ts [--runs=1000] [--repeats=5] [--json]
 *
 * From bench/index.ts: `benchCompareTable()` returns the numbers and `compareTableRows()`
 * turns them into its table rows.
 */
import type { RunResult } from '../main/workbench/api/contract.ts';
import { accuracyCurves, bestRows, buildRows, configRows, METRICS, presentMetrics, sortRows } from '../renderer/src/utils/compare.ts';
import { mulberry32 } from '../main/engine/data/datasets/synthetic.ts';


/** `count` finished runs: 10 seeds per strategy configuration, 5 experiences, realistic metric spreads. */
export function syntheticRuns(count: number, seedsPerStrategy = 10, experiences = 5): RunResult[] {
  const next = mulberry32(1);
  const runs: RunResult[] = [];
  for (let i = 0; i < count; i++) {
    const strategyIndex = Math.floor(i / seedsPerStrategy);
    const seed = i % seedsPerStrategy;
    const strategy = ['naive', 'replay', 'ewc', 'si', 'lwf', 'agem', 'gem', 'icarl', 'gdumb', 'mir'][strategyIndex % 10];
    const label = `${strategy} #${strategyIndex}`;
    const skill = 0.2 + 0.7 * ((strategyIndex * 37) % 100) / 100;
    const matrix = Array.from({ length: experiences }, (_, row) =>
      Array.from({ length: experiences }, (_, column) => (column > row ? 0.1 * next() : Math.min(1, Math.max(0, (column === row ? 0.97 : skill) + (next() - 0.5) * 0.05)))),
    );
    const last = matrix[experiences - 1];
    const acc = last.reduce((a, b) => a + b, 0) / experiences;
    const forgettingPerExperience = last.map((value, column) => (column === experiences - 1 ? null : Math.max(...matrix.slice(0, -1).map((r) => r[column])) - value));
    const forgetting = forgettingPerExperience.filter((v): v is number => v !== null);
    runs.push({
      id: `${String(strategyIndex + 1).padStart(3, '0')}-${strategy}-s${seed}`,
      strategy,
      label,
      name: strategy,
      params: { memorySize: 100 * (1 + (strategyIndex % 5)), lr: 0.001 * (1 + (strategyIndex % 3)), policy: strategyIndex % 2 ? 'reservoir' : 'class-balanced' },
      seed,
      scenario: {},
      backend: 'wasm',
      device: 'CPU',
      accuracyMatrix: matrix,
      randomBaseline: Array.from({ length: experiences }, () => 0.1),
      metrics: {
        acc,
        bwt: last.slice(0, -1).reduce((sum, value, column) => sum + value - matrix[column][column], 0) / (experiences - 1),
        fwt: (next() - 0.5) * 0.02,
        forgetting: forgetting.reduce((a, b) => a + b, 0) / forgetting.length,
        averageIncrementalAccuracy: acc + 0.1,
        forgettingPerExperience,
      },
      perClassAccuracy: [],
      confusionMatrix: [],
      cost: {
        trainSeconds: 10 + 50 * next(),
        evalSeconds: 1,
        wallSeconds: 60,
        trainedSamples: 60000,
        samplesPerSecond: 1000 + 10000 * next(),
        peakTensorBytes: 1e6 * (1 + next()),
        peakTensors: 100,
        parameters: 478410,
        bufferSamples: 100 * (1 + (strategyIndex % 5)),
        bufferBytes: 313600,
        extraForwardSamples: 0,
        extraBackwardSamples: 0,
      },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
      versions: { app: '0.1.0', tfjs: '4.22.0' },
    });
  }
  return runs;
}

export interface CompareTableReport {
  runs: number;
  /** Strategy rows (mean ± sd over seeds). */
  rows: number;
  /** Per-run rows ("by run"). */
  runRows: number;
  /** Median milliseconds over the repeats. */
  buildMs: number;
  /** Sorting by every column, both ways (each sort). */
  sortMs: number;
  runRowsBuildMs: number;
  runRowsSortMs: number;
  /** Best marks, configurations ("differences only") and accuracy curves together. */
  extrasMs: number;
  repeats: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function time(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

/** Times the compare table's data preparation for `runs` runs (median of `repeats`). */
export function benchCompareTable(options: { runs?: number; repeats?: number } = {}): CompareTableReport {
  const count = options.runs ?? 1000;
  const repeats = Math.max(1, options.repeats ?? 5);
  const runs = syntheticRuns(count);
  const keys = ['label', 'n', ...METRICS.map((m) => m.key)] as const;
  const samples = { build: [] as number[], sort: [] as number[], runBuild: [] as number[], runSort: [] as number[], extras: [] as number[] };
  let rows = buildRows(runs);
  let runRows = buildRows(runs, 'run');
  for (let repeat = 0; repeat < repeats; repeat++) {
    samples.build.push(time(() => (rows = buildRows(runs))));
    const sortTimes: number[] = [];
    for (const key of keys) for (const order of ['ascending', 'descending'] as const) sortTimes.push(time(() => sortRows(rows, key, order, rows[3]?.key)));
    samples.sort.push(median(sortTimes));
    samples.runBuild.push(time(() => (runRows = buildRows(runs, 'run'))));
    const runSortTimes: number[] = [];
    for (const key of keys) runSortTimes.push(time(() => sortRows(runRows, key, 'descending')));
    samples.runSort.push(median(runSortTimes));
    samples.extras.push(
      time(() => {
        bestRows(rows, presentMetrics(rows));
        configRows(rows, true);
        accuracyCurves(runs);
      }),
    );
  }
  return {
    runs: count,
    rows: rows.length,
    runRows: runRows.length,
    buildMs: median(samples.build),
    sortMs: median(samples.sort),
    runRowsBuildMs: median(samples.runBuild),
    runRowsSortMs: median(samples.runSort),
    extrasMs: median(samples.extras),
    repeats,
  };
}

/** The report as rows of bench/index.ts's table (`{ backend, model, value, detail }`). */
export function compareTableRows(report: CompareTableReport): { backend: string; model: string; value: string; peak?: string; detail?: string }[] {
  const ms = (value: number) => `${value.toFixed(value < 1 ? 2 : 1)} ms`;
  const what = `compare table, ${report.runs.toLocaleString('en-US')} runs`;
  return [
    { backend: 'renderer', model: `${what}: build ${report.rows} strategy rows`, value: ms(report.buildMs), detail: `mean ± sd over seeds; median of ${report.repeats}` },
    { backend: 'renderer', model: `${what}: sort strategy rows`, value: ms(report.sortMs), detail: 'one column, one direction (median over all)' },
    { backend: 'renderer', model: `${what}: build ${report.runRows} run rows`, value: ms(report.runRowsBuildMs) },
    { backend: 'renderer', model: `${what}: sort run rows`, value: ms(report.runRowsSortMs) },
    { backend: 'renderer', model: `${what}: best marks, configurations, curves`, value: ms(report.extrasMs) },
  ];
}

// Run directly (node bin/run-ts.mjs bench/compare-table.ts). No Node imports: the renderer's tests import this file too.
const argv = (globalThis as { process?: { argv: string[] } }).process?.argv ?? [];
if (/compare-table\.ts$/.test(argv[1] ?? '')) {
  const argument = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const report = benchCompareTable({ runs: Number(argument('runs') ?? 1000), repeats: Number(argument('repeats') ?? 5) });
  if (argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
  else for (const row of compareTableRows(report)) console.log(`${row.model.padEnd(64)} ${row.value.padStart(10)}  ${row.detail ?? ''}`);
}
