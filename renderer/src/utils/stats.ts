/** Mean and sample standard deviation over seeds (as results.json's summary computes them). */

export interface Statistic {
  mean: number | null;
  /** Sample sd (n − 1); null with fewer than two values. */
  sd: number | null;
  n: number;
}

export function summarise(values: (number | null | undefined)[]): Statistic {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = numbers.length;
  if (n === 0) return { mean: null, sd: null, n: 0 };
  const mean = numbers.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, sd: null, n };
  const variance = numbers.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  return { mean, sd: Math.sqrt(variance), n };
}
