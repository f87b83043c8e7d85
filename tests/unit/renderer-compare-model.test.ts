import { describe, expect, it } from 'vitest';
import { accuracyCurves, bestRows, buildRows, configRows, delta, presentMetrics, sortRows } from '../../renderer/src/utils/compare.ts';
import { summarise } from '../../renderer/src/utils/stats.ts';
import { benchCompareTable, syntheticRuns } from '../../bench/compare-table.ts';
import { runResult } from './renderer-fixtures.ts';

const runs = [
  runResult('Naive', 'naive', 0, 0.2),
  runResult('Naive', 'naive', 1, 0.3),
  runResult('Replay', 'replay', 0, 0.7, { memorySize: 200, policy: 'reservoir' }),
  runResult('Replay', 'replay', 1, 0.8, { memorySize: 200, policy: 'reservoir' }),
  runResult('EWC', 'ewc', 0, 0.4, { lambda: 1000 }),
];

describe('the compare table model', () => {
  it('gives mean ± sample sd over seeds per strategy', () => {
    const rows = buildRows(runs);
    expect(rows.map((r) => [r.label, r.n, r.seeds])).toEqual([
      ['Naive', 2, [0, 1]],
      ['Replay', 2, [0, 1]],
      ['EWC', 1, [0]],
    ]);
    const replay = rows[1].cells.forgetting;
    expect(replay.mean).toBeCloseTo(0.2, 10);
    expect(replay.sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 10);
    // One seed: no spread.
    expect(rows[2].cells.forgetting.sd).toBeNull();
    expect(summarise([1, null, 3])).toEqual({ mean: 2, sd: Math.SQRT2, n: 2 });
  });

  it('one row per run when grouped by run', () => {
    expect(buildRows(runs, 'run').map((r) => r.label)).toEqual(['Naive · seed 0', 'Naive · seed 1', 'Replay · seed 0', 'Replay · seed 1', 'EWC · seed 0']);
  });

  it('sorts either way with missing values last, and keeps the baseline pinned first', () => {
    const rows = buildRows(runs);
    rows[0].cells.bwt = { mean: null, sd: null, n: 0 };
    expect(sortRows(rows, 'forgetting', 'ascending').map((r) => r.label)).toEqual(['Replay', 'EWC', 'Naive']);
    expect(sortRows(rows, 'forgetting', 'descending').map((r) => r.label)).toEqual(['Naive', 'EWC', 'Replay']);
    expect(sortRows(rows, 'bwt', 'descending').map((r) => r.label)).toEqual(['Replay', 'EWC', 'Naive']);
    expect(sortRows(rows, 'bwt', 'ascending').map((r) => r.label)).toEqual(['EWC', 'Replay', 'Naive']);
    expect(sortRows(rows, 'label', 'ascending', 'Naive').map((r) => r.label)).toEqual(['Naive', 'EWC', 'Replay']);
    expect(sortRows(rows, 'forgetting', 'ascending', 'EWC').map((r) => r.label)).toEqual(['EWC', 'Replay', 'Naive']);
  });

  it('marks the best value of each metric by its direction, and nothing when all tie', () => {
    const rows = buildRows(runs);
    const best = bestRows(rows, presentMetrics(rows));
    expect([...best.acc!]).toEqual(['Replay']);
    expect([...best.forgetting!]).toEqual(['Replay']);
    expect([...best.trainSeconds!]).toEqual(['EWC']);
    // Every row has the same FWT and parameter count: no mark.
    expect(best.fwt).toBeUndefined();
    expect(best.parameters).toBeUndefined();
    // Task-IL metrics are absent from class-IL results.
    expect(presentMetrics(rows).map((m) => m.key)).not.toContain('taskAcc');
  });

  it('gives differences to the baseline', () => {
    const rows = buildRows(runs);
    expect(delta(rows[1], rows[0], 'forgetting')).toBeCloseTo(-0.5, 10);
    expect(delta(rows[0], rows[0], 'acc')).toBeNull();
  });

  it('shows configurations, all or only the settings that differ', () => {
    const rows = buildRows(runs);
    const all = configRows(rows, false);
    expect(all.map((r) => r.key)).toEqual(['strategy', 'seeds', 'memorySize', 'policy', 'lambda']);
    const differences = configRows(rows.slice(1, 2).concat(buildRows([runResult('Replay big', 'replay', 0, 0.8, { memorySize: 1000, policy: 'reservoir' })])), true);
    expect(differences.map((r) => [r.key, r.values])).toEqual([
      ['seeds', { Replay: '0, 1', 'Replay big': '0' }],
      ['memorySize', { Replay: '200', 'Replay big': '1000' }],
    ]);
  });

  it('gives accuracy over the stream per strategy', () => {
    const curves = accuracyCurves(runs);
    expect(curves.map((c) => c.label)).toEqual(['Naive', 'Replay', 'EWC']);
    expect(curves[0].mean[0]).toBeCloseTo(0.95, 10);
    expect(curves[0].mean).toHaveLength(3);
  });

  it('builds and sorts 1,000 runs quickly (the benchmark’s model)', () => {
    expect(syntheticRuns(1000)).toHaveLength(1000);
    const report = benchCompareTable({ runs: 1000, repeats: 1 });
    expect(report.rows).toBe(100);
    expect(report.runRows).toBe(1000);
    // Generous for a shared 2-core machine; the benchmark reports the real numbers.
    expect(report.buildMs + report.sortMs).toBeLessThan(1000);
  });
});
