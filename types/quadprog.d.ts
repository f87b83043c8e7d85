// Typings for the npm `quadprog` package (Goldfarb-Idnani dual method, a port of R's solve.QP).
// Every array is 1-based, as in the Fortran original: element 0 is unused.
declare module 'quadprog' {
  export interface QuadprogResult {
    solution: number[];
    Lagrangian: number[];
    value: number[];
    unconstrained_solution: number[];
    iterations: number[];
    iact: number[];
    /** Empty on success. */
    message: string;
  }
  /** Minimises −dᵀb + ½ bᵀDb subject to Aᵀb ≥ b0 (the first `meq` constraints as equalities). Modifies Dmat and dvec. */
  export function solveQP(Dmat: number[][], dvec: number[], Amat: number[][], bvec?: number[], meq?: number, factorized?: number[]): QuadprogResult;
  const quadprog: { solveQP: typeof solveQP };
  export default quadprog;
}
