/**
 * Small dense quadratic programs for GEM, solved with the npm `quadprog` package (the
 * Goldfarb-Idnani dual method, the same algorithm as the Python `quadprog` that the GEM
 * reference code calls). This wrapper hides quadprog's 1-based arrays.
 */
import quadprog from 'quadprog';
import { WorkbenchError } from '../errors.ts';

/**
 * Minimises ½ xᵀ D x − dᵀ x subject to Cᵀ x ≥ b (0-based arrays; D symmetric positive definite,
 * n × n; C is n × m, one column per constraint). Returns x.
 */
export function solveQuadraticProgram(D: number[][], d: number[], C: number[][], b: number[]): number[] {
  const n = d.length;
  const m = b.length;
  // quadprog mutates its inputs and reads from index 1.
  const Dmat: number[][] = [[]];
  const Amat: number[][] = [[]];
  const dvec: number[] = [0];
  const bvec: number[] = [0];
  for (let i = 0; i < n; i++) {
    Dmat.push([0, ...D[i]]);
    Amat.push([0, ...C[i]]);
    dvec.push(d[i]);
  }
  for (let j = 0; j < m; j++) bvec.push(b[j]);
  const result = quadprog.solveQP(Dmat, dvec, Amat, bvec);
  if (result.message) throw new WorkbenchError('INTERNAL', `quadratic program failed: ${result.message}`);
  return result.solution.slice(1, n + 1);
}

/**
 * GEM's dual problem (Lopez-Paz & Ranzato 2017, `project2cone2` in model/gem.py): with G the
 * K × p matrix of past experiences' gradients and g the current gradient, minimise
 * ½ vᵀ (GGᵀ + εI) v + (Gg)ᵀ v subject to v ≥ margin. The projected gradient is g̃ = Gᵀv + g;
 * at the optimum G g̃ = λ − εv with multipliers λ ≥ 0, so no past gradient's dot product with g̃
 * is below −ε·v (exactly ≥ 0 when ε = 0).
 *
 * `gram` is GGᵀ (K × K) and `dots` is Gg (K).
 */
export function solveGemDual(gram: number[][], dots: number[], margin: number, epsilon = 1e-3): number[] {
  const k = dots.length;
  const D = gram.map((row, i) => row.map((value, j) => 0.5 * (value + gram[j][i]) + (i === j ? epsilon : 0)));
  const C = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : 0)));
  return solveQuadraticProgram(D, dots.map((value) => -value), C, new Array<number>(k).fill(margin));
}
