import { RandomStream, type StreamKeyPart } from '../rng/index.js';
import { gramSchmidtPass } from './gram-schmidt.js';
import { indexOfLargest, tridiagonalEigen, type TridiagonalWork } from './tridiagonal.js';

/** out = H vec for a symmetric operator H (e.g. a kernel's Hessian-vector product). */
export type Matvec = (vec: Float64Array, out: Float64Array) => void;

export interface LanczosOptions {
  /** Stop when ||H y - theta y|| <= tolerance * |theta| (0: run all maxIterations steps). */
  tolerance: number;
  /** Most Lanczos steps (Hessian-vector products) to take, >= 1. */
  maxIterations: number;
  /** Warm start (e.g. the previous top eigenvector); need not be normalised. */
  startVector?: Float64Array;
  /** Key of the Philox stream of the random start (and of the admixture to a warm start). */
  streamKey?: readonly StreamKeyPart[];
  /** Buffers to reuse across calls (a tracked run); allocated here when absent. */
  workspace?: LanczosWorkspace;
}

export interface LanczosResult {
  /** theta, the largest Ritz value: the estimate of lambda_max. */
  value: number;
  /** ||H y - theta y|| for the unit Ritz vector y, from one extra product; bounds |theta - lambda| for some eigenvalue lambda. */
  residual: number;
  /** Lanczos steps taken (Hessian-vector products, not counting the one that checks the residual). */
  iterations: number;
  /** residual <= tolerance * |theta|. */
  converged: boolean;
  /** The unit Ritz vector y (a view into the workspace: overwritten by its next use). */
  vector: Float64Array;
}

/**
 * Weight of the random start mixed into a warm start. A warm start that is exactly an eigenvector
 * would end Lanczos after one step (beta_0 = 0) on whatever eigenvalue that is; a tiny admixture
 * keeps the Krylov space growing, and at 1e-8 it leaves the start's residual below any useful
 * tolerance. (It cannot make up for a start nearly orthogonal to the top eigenvector: no residual
 * test can detect an eigenvalue the Krylov space has not seen.)
 */
const WARM_START_RANDOM_WEIGHT = 1e-8;

/**
 * Everything one Lanczos call needs: the orthonormal basis (up to maxIterations vectors of
 * `size`), the tridiagonal projection, and the small eigenproblem's scratch. A tracked run keeps
 * one workspace for all its lambda_max measurements, so steps allocate nothing after the first.
 */
export class LanczosWorkspace {
  /**
   * Basis vectors q_0, q_1, ..., allocated when a step first needs them and kept for later calls:
   * a run whose Lanczos converges in 8 steps never holds the 100 vectors its cap would allow.
   */
  readonly basisVectors: Float64Array[] = [];
  readonly residualVector: Float64Array;
  readonly vector: Float64Array;
  readonly product: Float64Array;
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly tridiagonal: TridiagonalWork;
  /** Gram-Schmidt coefficients q_i . w of one step. */
  readonly coefficients: Float64Array;
  /** Last row of the eigenvector matrix of T (per-step convergence test). */
  readonly lastRow: Float64Array;
  /** Full eigenvector matrix of T, maxIterations^2 (final Ritz vector). */
  readonly ritzVectors: Float64Array;

  constructor(
    readonly size: number,
    readonly maxIterations: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Lanczos: size must be an integer >= 1, got ${size}`);
    if (!Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new Error(`Lanczos: maxIterations must be an integer >= 1, got ${maxIterations}`);
    }
    const steps = Math.min(maxIterations, size);
    this.residualVector = new Float64Array(size);
    this.vector = new Float64Array(size);
    this.product = new Float64Array(size);
    this.alpha = new Float64Array(steps);
    this.beta = new Float64Array(steps);
    this.tridiagonal = { values: new Float64Array(steps), offScratch: new Float64Array(steps) };
    this.lastRow = new Float64Array(steps);
    this.coefficients = new Float64Array(steps);
    this.ritzVectors = new Float64Array(steps * steps);
  }

  /** q_j, allocated on first use. */
  basisVector(j: number): Float64Array {
    while (this.basisVectors.length <= j) this.basisVectors.push(new Float64Array(this.size));
    return this.basisVectors[j];
  }
}

/**
 * Largest eigenvalue of a symmetric operator by the Lanczos method with full
 * reorthogonalisation (the three-term recurrence, then Gram-Schmidt against the whole basis,
 * repeated once when it cancels much of the vector; this keeps the basis orthonormal to rounding
 * at these sizes). After step j the tridiagonal T_j is diagonalised (QL); with theta its
 * largest eigenvalue and s its eigenvector, ||H y - theta y|| = beta_j |s_j| for y = Q s, the
 * stopping test. The residual returned is recomputed explicitly from one more product.
 *
 * Cost: one matvec and O(j * size) of orthogonalisation per step; no allocation per step.
 *
 * @example
 *   const result = lanczosLargest((v, out) => kernel.hessianVectorProduct(v, out), kernel.params.length,
 *     { tolerance: 1e-6, maxIterations: 100 });
 *   result.value; // lambda_max
 */
export function lanczosLargest(matvec: Matvec, size: number, options: LanczosOptions): LanczosResult {
  const { tolerance, maxIterations } = options;
  if (!(tolerance >= 0)) throw new Error(`Lanczos: tolerance must be a number >= 0, got ${tolerance}`);
  const ws = options.workspace ?? new LanczosWorkspace(size, maxIterations);
  if (ws.size !== size) throw new Error(`Lanczos: workspace is for size ${ws.size}, operator has size ${size}`);
  if (ws.maxIterations < maxIterations) {
    throw new Error(`Lanczos: workspace holds ${ws.maxIterations} steps, ${maxIterations} asked`);
  }
  const stepsAllowed = Math.min(maxIterations, size);
  const { residualVector: w, alpha, beta, tridiagonal, lastRow } = ws;

  startVector(ws.basisVector(0), options);

  let steps = 0;
  let finite = true;
  for (let j = 0; j < stepsAllowed; j++) {
    const q = ws.basisVectors[j];
    matvec(q, w);
    steps = j + 1;
    let a = 0;
    for (let p = 0; p < size; p++) a += q[p] * w[p];
    alpha[j] = a;
    // Three-term recurrence, then full reorthogonalisation against the whole basis: one
    // Gram-Schmidt pass, and a second one when the first cancelled much of w
    // (Daniel-Gragg-Kaufman-Stewart: twice is enough).
    const previous = j > 0 ? ws.basisVectors[j - 1] : q;
    const previousBeta = j > 0 ? beta[j - 1] : 0;
    for (let p = 0; p < size; p++) w[p] -= a * q[p] + previousBeta * previous[p];
    let b = norm(w);
    for (let pass = 0; pass < 2; pass++) {
      gramSchmidtPass(w, ws.basisVectors, j + 1, ws.coefficients);
      const before = b;
      b = norm(w);
      if (b >= Math.SQRT1_2 * before) break;
    }
    beta[j] = b;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      finite = false;
      break;
    }
    lastRow.fill(0, 0, steps);
    lastRow[j] = 1;
    if (!tridiagonalEigen(steps, alpha, beta, tridiagonal, lastRow, 1)) {
      finite = false;
      break;
    }
    const top = indexOfLargest(tridiagonal.values, steps);
    const theta = tridiagonal.values[top];
    const estimate = b * Math.abs(lastRow[top]);
    // An invariant subspace (b ~ 0 against the spectrum's scale) gives exact Ritz pairs.
    const invariant = b <= 1e-14 * spectralScale(tridiagonal.values, steps) || j + 1 === size;
    if (estimate <= tolerance * Math.abs(theta) || invariant || j + 1 === stepsAllowed) break;
    const next = ws.basisVector(j + 1);
    for (let p = 0; p < size; p++) next[p] = w[p] / b;
  }
  if (!finite) return { value: Number.NaN, residual: Number.NaN, iterations: steps, converged: false, vector: ws.vector };

  return ritzPair(matvec, ws, size, steps, tolerance);
}

/** Forms y = Q s for the top eigenpair of T, then checks ||H y - theta y|| with one product. */
function ritzPair(matvec: Matvec, ws: LanczosWorkspace, size: number, steps: number, tolerance: number): LanczosResult {
  const { basisVectors, alpha, beta, tridiagonal, ritzVectors, vector: y, product } = ws;
  ritzVectors.fill(0, 0, steps * steps);
  for (let i = 0; i < steps; i++) ritzVectors[i * steps + i] = 1;
  if (!tridiagonalEigen(steps, alpha, beta, tridiagonal, ritzVectors, steps)) {
    return { value: Number.NaN, residual: Number.NaN, iterations: steps, converged: false, vector: y };
  }
  const top = indexOfLargest(tridiagonal.values, steps);
  const theta = tridiagonal.values[top];
  y.fill(0);
  for (let i = 0; i < steps; i++) {
    const weight = ritzVectors[i * steps + top];
    const basisVector = basisVectors[i];
    for (let p = 0; p < size; p++) y[p] += weight * basisVector[p];
  }
  let normSq = 0;
  for (let p = 0; p < size; p++) normSq += y[p] * y[p];
  const norm = Math.sqrt(normSq);
  for (let p = 0; p < size; p++) y[p] /= norm;
  matvec(y, product);
  let residualSq = 0;
  for (let p = 0; p < size; p++) residualSq += (product[p] - theta * y[p]) ** 2;
  const residual = Math.sqrt(residualSq);
  const converged = Number.isFinite(residual) && residual <= tolerance * Math.abs(theta);
  return { value: theta, residual, iterations: steps, converged, vector: y };
}

/** Writes the unit start vector q_0 into the first basis slot. */
function startVector(q: Float64Array, options: LanczosOptions): void {
  const size = q.length;
  const stream = new RandomStream(options.streamKey ?? ['lanczos_start', size]);
  for (let p = 0; p < size; p++) q[p] = stream.normal();
  normalise(q);
  const warm = options.startVector;
  if (warm !== undefined) {
    if (warm.length !== size) throw new Error(`Lanczos: startVector has length ${warm.length}, operator has size ${size}`);
    let warmSq = 0;
    for (let p = 0; p < size; p++) warmSq += warm[p] * warm[p];
    const warmNorm = Math.sqrt(warmSq);
    // A zero or non-finite warm start carries no information: keep the random start.
    if (warmNorm > 0 && Number.isFinite(warmNorm)) {
      for (let p = 0; p < size; p++) q[p] = warm[p] / warmNorm + WARM_START_RANDOM_WEIGHT * q[p];
      normalise(q);
    }
  }
}

function spectralScale(values: Float64Array, m: number): number {
  let scale = 0;
  for (let i = 0; i < m; i++) scale = Math.max(scale, Math.abs(values[i]));
  return scale;
}

function norm(v: Float64Array): number {
  let normSq = 0;
  for (let p = 0; p < v.length; p++) normSq += v[p] * v[p];
  return Math.sqrt(normSq);
}

function normalise(v: Float64Array): void {
  const length = norm(v);
  for (let p = 0; p < v.length; p++) v[p] /= length;
}
