/**
 * CL metrics over the accuracy matrix R (R[i][j] = accuracy on test experience j after
 * training experience i), exactly as defined in STRATEGIES.md and the README:
 *   ACC = mean_j R[T][j]
 *   BWT = mean_{j<T} (R[T][j] - R[j][j])                       (Lopez-Paz & Ranzato 2017)
 *   FWT = mean_{j>=2} (R[j-1][j] - b_j), b = random-init accuracy
 *   forgetting = mean_{j<T} (max_{l<T} R[l][j] - R[T][j])     (Chaudhry et al. 2018)
 *   average incremental accuracy = mean_i mean_{j<=i} R[i][j]
 * Indices here are 0-based; T is the last row. Undefined values (a single experience) are null.
 */

export interface Metrics {
  acc: number;
  bwt: number | null;
  fwt: number | null;
  forgetting: number | null;
  averageIncrementalAccuracy: number;
  /** Forgetting of each experience j < T (null for the last). */
  forgettingPerExperience: (number | null)[];
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

export function computeMetrics(matrix: number[][], baseline?: number[]): Metrics {
  const T = matrix.length;
  if (T === 0) throw new Error('empty accuracy matrix');
  const last = matrix[T - 1];
  const acc = mean(last);
  const bwt = T > 1 ? mean(last.slice(0, T - 1).map((value, j) => value - matrix[j][j])) : null;
  const fwt = T > 1 && baseline ? mean(Array.from({ length: T - 1 }, (_, k) => matrix[k][k + 1] - baseline[k + 1])) : null;
  const forgettingPerExperience = last.map((value, j) => {
    if (j >= T - 1) return null;
    let best = -Infinity;
    for (let l = 0; l < T - 1; l++) best = Math.max(best, matrix[l][j]);
    return best - value;
  });
  const defined = forgettingPerExperience.filter((f): f is number => f !== null);
  const forgetting = defined.length ? mean(defined) : null;
  const averageIncrementalAccuracy = mean(matrix.map((row, i) => mean(row.slice(0, i + 1))));
  return { acc, bwt, fwt, forgetting, averageIncrementalAccuracy, forgettingPerExperience };
}

export interface Summary {
  mean: number | null;
  sd: number | null;
  n: number;
}

/** Mean and sample standard deviation (n - 1; 0 for one value) over the defined values. */
export function summarise(values: (number | null | undefined)[]): Summary {
  const defined = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = defined.length;
  if (n === 0) return { mean: null, sd: null, n: 0 };
  const m = mean(defined);
  const sd = n > 1 ? Math.sqrt(defined.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) : 0;
  return { mean: m, sd, n };
}
