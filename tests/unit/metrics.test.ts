import { describe, expect, it } from 'vitest';
import { computeMetrics, summarise } from '../../main/engine/metrics/index.ts';

describe('metrics', () => {
  // R[i][j]: accuracy on experience j after training experience i (3 experiences).
  const R = [
    [0.9, 0.1, 0.2],
    [0.6, 0.8, 0.15],
    [0.5, 0.7, 0.95],
  ];
  const baseline = [0.1, 0.1, 0.1];

  it('computes ACC, BWT, FWT and forgetting as defined (hand-computed)', () => {
    const m = computeMetrics(R, baseline);
    expect(m.acc).toBeCloseTo((0.5 + 0.7 + 0.95) / 3, 12);
    // BWT = mean_{j<T} R[T][j] - R[j][j] = ((0.5-0.9) + (0.7-0.8)) / 2
    expect(m.bwt).toBeCloseTo(-0.25, 12);
    // FWT = mean_{j>=2} R[j-1][j] - b_j = ((0.1-0.1) + (0.15-0.1)) / 2
    expect(m.fwt).toBeCloseTo(0.025, 12);
    // forgetting: f_1 = max(0.9, 0.6) - 0.5 = 0.4; f_2 = max(0.1, 0.8) - 0.7 = 0.1
    expect(m.forgettingPerExperience[0]).toBeCloseTo(0.4, 12);
    expect(m.forgettingPerExperience[1]).toBeCloseTo(0.1, 12);
    expect(m.forgettingPerExperience[2]).toBeNull();
    expect(m.forgetting).toBeCloseTo(0.25, 12);
    // average incremental accuracy = mean(0.9, (0.6+0.8)/2, (0.5+0.7+0.95)/3)
    expect(m.averageIncrementalAccuracy).toBeCloseTo((0.9 + 0.7 + 2.15 / 3) / 3, 12);
  });

  it('counts accuracy before an experience was trained in forgetting (max over all l < T)', () => {
    const m = computeMetrics([
      [0.2, 0.9],
      [0.1, 0.8],
    ]);
    expect(m.forgetting).toBeCloseTo(0.1, 12);
    expect(m.fwt).toBeNull();
  });

  it('leaves BWT, FWT and forgetting undefined for a single experience', () => {
    const m = computeMetrics([[0.7]], [0.1]);
    expect(m.acc).toBe(0.7);
    expect(m.bwt).toBeNull();
    expect(m.fwt).toBeNull();
    expect(m.forgetting).toBeNull();
  });

  it('summarises mean and sample standard deviation, skipping undefined values', () => {
    const s = summarise([0.5, 0.7, null, 0.9]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.7, 12);
    expect(s.sd).toBeCloseTo(0.2, 12);
    expect(summarise([0.3]).sd).toBe(0);
    expect(summarise([null]).mean).toBeNull();
  });
});
