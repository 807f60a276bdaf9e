import { RandomStream, type StreamKeyPart } from '../rng/index.js';
import { createLanczosVectors, PRODUCT, RESIDUAL, RITZ, type LanczosBackend, type LanczosVectors } from './lanczos-vectors.js';
import { indexOfLargest, tridiagonalEigen, type TridiagonalWork } from './tridiagonal.js';

/** out = H vec for a symmetric operator H (e.g. a kernel's Hessian-vector product). */
export type Matvec = (vec: Float64Array, out: Float64Array) => void;

export interface LanczosOptions {
  /**
   * Stop when ||H y - theta y|| <= tolerance * |theta|, tested after every step. 0: run all
   * maxIterations steps, without the per-step test (only an invariant subspace ends the run early).
   */
  tolerance: number;
  /** Most Lanczos steps (Hessian-vector products) to take, >= 1. */
  maxIterations: number;
  /** Warm start (e.g. the previous top eigenvector); need not be normalised. */
  startVector?: Float64Array;
  /**
   * Key of the Philox stream of the random start (and of the admixture to a warm start); default
   * ['lanczos_start', size]. The start is deterministic, so the last one drawn is kept and reused
   * by the next call with the same key and size (tracked runs, repeated measurements).
   */
  streamKey?: readonly StreamKeyPart[];
  /**
   * Buffers to reuse across calls (a tracked run). When absent, the thread's shared workspace
   * (LanczosWorkspace.shared) is used and the result's vector is a copy of it.
   */
  workspace?: LanczosWorkspace;
}

export interface LanczosResult {
  /** theta, the largest Ritz value: the estimate of lambda_max. */
  value: number;
  /**
   * ||H y - theta y|| for the unit Ritz vector y = Q s / ||Q s||, computed explicitly (not
   * beta |s_last|, which assumes an orthonormal basis); bounds |theta - lambda| for some
   * eigenvalue lambda. H y is not one more product but sum_j s_j (H q_j) / ||Q s||, each H q_j
   * rebuilt from what step j subtracted from it (lanczosLargest): it differs from a fresh H y by
   * rounding only.
   */
  residual: number;
  /** Lanczos steps taken, which is also every Hessian-vector product taken. */
  iterations: number;
  /** residual <= tolerance * |theta|. */
  converged: boolean;
  /**
   * The unit Ritz vector y. With a workspace given: a view into it, overwritten by its next use
   * and, under the 'wasm' backend, detached (length 0) when that use grows the workspace's memory
   * (copy it to keep it). Without one: the caller's own copy.
   */
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

export interface LanczosWorkspaceOptions {
  /**
   * Where the long vectors live and who does their arithmetic (lanczos-vectors.ts). 'auto' (the
   * default): 'wasm' when build/linalg.wasm loads, else 'js'. 'js' forces the plain TypeScript
   * reference, e.g. for a test that compares the two; 'wasm' throws, with the reason, when the
   * module cannot load. The two give the same results up to rounding (the tests hold lambda_max to
   * 1e-12 relative; at size 24577 the two differ by ~2e-16).
   */
  backend?: LanczosBackend | 'auto';
}

/**
 * Everything one Lanczos call needs: the orthonormal basis (up to maxIterations vectors of
 * `size`), the residual, Ritz and product vectors, the tridiagonal projection with each step's
 * Gram-Schmidt coefficients, and the small eigenproblem's scratch. A tracked run keeps one
 * workspace for all its lambda_max measurements, so steps allocate nothing after the first call.
 *
 * Basis vectors q_0, q_1, ... are allocated when a step first needs them and kept for later
 * calls: a run whose Lanczos converges in 8 steps never holds the 100 vectors its cap would allow.
 * Under the 'wasm' backend all long vectors share one WebAssembly.Memory that grows, a few basis
 * vectors at a time, as the basis does; a grow detaches every view of the old memory, so the
 * getters below hand out fresh views: read them again after anything that can allocate a basis
 * vector (basisVector, lanczosLargest) rather than keeping one.
 */
export class LanczosWorkspace {
  readonly alpha: Float64Array;
  readonly beta: Float64Array;
  readonly tridiagonal: TridiagonalWork;
  /** Last row of the eigenvector matrix of T (per-step convergence test). */
  readonly lastRow: Float64Array;
  /** Full eigenvector matrix of T, maxIterations^2 (final Ritz vector). */
  readonly ritzVectors: Float64Array;
  /** The top eigenvector of T, s: the weights of y = Q s. */
  readonly ritzWeights: Float64Array;
  /**
   * C, m x m for m = min(maxIterations, size), column j at j * m: the Gram-Schmidt coefficients
   * step j subtracted, both passes summed, rows i <= j. With them
   * H q_j = sum_(i <= j) (T + C)_ij q_i + w_j, w_j = beta_j q_(j+1) (lanczosLargest).
   */
  readonly gramSchmidtSums: Float64Array;
  /** (T + C) s: the weights of H y over the basis (the last step's w aside). */
  readonly productWeights: Float64Array;
  readonly vectors: LanczosVectors;

  constructor(
    readonly size: number,
    readonly maxIterations: number,
    options: LanczosWorkspaceOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Lanczos: size must be an integer >= 1, got ${size}`);
    if (!Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new Error(`Lanczos: maxIterations must be an integer >= 1, got ${maxIterations}`);
    }
    const steps = Math.min(maxIterations, size);
    this.vectors = createLanczosVectors(size, steps, options.backend ?? 'auto');
    this.alpha = new Float64Array(steps);
    this.beta = new Float64Array(steps);
    this.tridiagonal = { values: new Float64Array(steps), offScratch: new Float64Array(steps) };
    this.lastRow = new Float64Array(steps);
    this.ritzVectors = new Float64Array(steps * steps);
    this.ritzWeights = new Float64Array(steps);
    this.gramSchmidtSums = new Float64Array(steps * steps);
    this.productWeights = new Float64Array(steps);
  }

  get backend(): LanczosBackend {
    return this.vectors.backend;
  }

  /** Views of the basis vectors allocated so far. */
  get basisVectors(): readonly Float64Array[] {
    return this.vectors.basisViews();
  }

  /** w, the vector a step orthogonalises. */
  get residualVector(): Float64Array {
    return this.vectors.view(RESIDUAL);
  }

  /** y, the Ritz vector. */
  get vector(): Float64Array {
    return this.vectors.view(RITZ);
  }

  /** H y, the product that checks the Ritz pair. */
  get product(): Float64Array {
    return this.vectors.view(PRODUCT);
  }

  /** q_j, allocated on first use (which may detach views handed out before). */
  basisVector(j: number): Float64Array {
    this.vectors.allocateBasis(j);
    return this.vectors.view(j);
  }

  /**
   * The workspace this thread keeps for `size` and at least `maxIterations` steps (default
   * backend), made when the last one kept does not fit. A sweep's worker measures lambda_max for
   * task after task of the same shape: a new workspace would first touch its basis memory each
   * time (at (10, 512, 2048), 40 steps: ~6 ms, two epochs' time). Its users must not interleave
   * their calls; one task at a time per thread ensures it (a tracker's warm start is its own copy).
   */
  static shared(size: number, maxIterations: number): LanczosWorkspace {
    const kept = sharedWorkspace;
    if (kept !== null && kept.size === size && kept.maxIterations >= maxIterations) return kept;
    sharedWorkspace = new LanczosWorkspace(size, maxIterations);
    return sharedWorkspace;
  }
}

/** LanczosWorkspace.shared's workspace (module state: one per thread). */
let sharedWorkspace: LanczosWorkspace | null = null;

/**
 * Largest eigenvalue of a symmetric operator by the Lanczos method with full
 * reorthogonalisation (the three-term recurrence, then Gram-Schmidt against the whole basis,
 * repeated once when it cancels much of the vector; this keeps the basis orthonormal to rounding
 * at these sizes). With tolerance > 0, after step j the tridiagonal T_j is diagonalised (QL);
 * with theta its largest eigenvalue and s its eigenvector, ||H y - theta y|| = beta_j |s_j| for
 * y = Q s, the stopping test. With tolerance 0 that test could never pass, so T is diagonalised
 * once, at the end.
 *
 * The residual returned is recomputed explicitly, without another product. Step j computes
 * H q_j, subtracts alpha_j q_j + beta_(j-1) q_(j-1), then sum_i C_ij q_i in Gram-Schmidt, and
 * what is left, w_j, is beta_j q_(j+1): so H q_j = sum_(i <= j) (T + C)_ij q_i + w_j exactly but
 * for the rounding of those subtractions, whether or not the basis is orthonormal. Over m steps
 * H Q s = Q (T + C) s + s_(m-1) w_(m-1) (the earlier w_j are beta_j q_(j+1), T's subdiagonal):
 * one more combination of the basis. In all, `iterations` products. (Keeping every H q_j and
 * combining those would give the same to rounding but double the memory; on a fresh workspace,
 * first touching the extra 8 MB at size 24577 and 40 steps costs more than the product it saves.)
 *
 * Cost: one matvec and O(j * size) of orthogonalisation per step; no allocation per step. The
 * O(size) work runs in the workspace's backend (LanczosWorkspaceOptions): WASM SIMD when it
 * loads, whose sums differ from the plain TypeScript ones by rounding only.
 *
 * @example
 *   const result = lanczosLargest((v, out) => kernel.hessianVectorProduct(v, out), kernel.params.length,
 *     { tolerance: 1e-6, maxIterations: 100 });
 *   result.value; // lambda_max
 */
export function lanczosLargest(matvec: Matvec, size: number, options: LanczosOptions): LanczosResult {
  const { tolerance, maxIterations } = options;
  if (!(tolerance >= 0)) throw new Error(`Lanczos: tolerance must be a number >= 0, got ${tolerance}`);
  const ws = options.workspace ?? LanczosWorkspace.shared(size, maxIterations);
  if (ws.size !== size) throw new Error(`Lanczos: workspace is for size ${ws.size}, operator has size ${size}`);
  if (ws.maxIterations < maxIterations) {
    throw new Error(`Lanczos: workspace holds ${ws.maxIterations} steps, ${maxIterations} asked`);
  }
  const stepsAllowed = Math.min(maxIterations, size);
  const testEachStep = tolerance > 0;
  const { vectors, alpha, beta, tridiagonal, lastRow, gramSchmidtSums } = ws;
  const column = alpha.length;

  startVector(ws, options);

  let steps = 0;
  let finite = true;
  // Gershgorin: every eigenvalue of T_(j+1) lies within maxAbsAlpha + 2 maxBeta of 0 (alpha_i,
  // beta_i for i <= j and i < j); the invariant-subspace test's scale when there is no per-step solve.
  let maxAbsAlpha = 0;
  let maxBeta = 0;
  for (let j = 0; j < stepsAllowed; j++) {
    // Views fetched afresh each step: the previous step's allocation may have grown the memory.
    matvec(vectors.view(j), vectors.view(RESIDUAL));
    steps = j + 1;
    const a = vectors.dot(j, RESIDUAL);
    alpha[j] = a;
    // Three-term recurrence, then full reorthogonalisation against the whole basis: one
    // Gram-Schmidt pass, and a second one when the first cancelled much of w
    // (Daniel-Gragg-Kaufman-Stewart: twice is enough).
    const previous = j > 0 ? j - 1 : j;
    const previousBeta = j > 0 ? beta[j - 1] : 0;
    vectors.subtractRecurrence(RESIDUAL, j, previous, a, previousBeta);
    let b = Math.sqrt(vectors.normSquared(RESIDUAL));
    gramSchmidtSums.fill(0, j * column, j * column + j + 1);
    for (let pass = 0; pass < 2; pass++) {
      vectors.gramSchmidtPass(RESIDUAL, j + 1, gramSchmidtSums, j * column);
      const before = b;
      b = Math.sqrt(vectors.normSquared(RESIDUAL));
      if (b >= Math.SQRT1_2 * before) break;
    }
    beta[j] = b;
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      finite = false;
      break;
    }
    if (j + 1 === stepsAllowed || j + 1 === size) break;
    // An invariant subspace (b ~ 0 against the spectrum's scale) gives exact Ritz pairs.
    if (testEachStep) {
      lastRow.fill(0, 0, steps);
      lastRow[j] = 1;
      if (!tridiagonalEigen(steps, alpha, beta, tridiagonal, lastRow, 1)) {
        finite = false;
        break;
      }
      const top = indexOfLargest(tridiagonal.values, steps);
      const theta = tridiagonal.values[top];
      const estimate = b * Math.abs(lastRow[top]);
      if (estimate <= tolerance * Math.abs(theta) || b <= 1e-14 * spectralScale(tridiagonal.values, steps)) break;
    } else {
      maxAbsAlpha = Math.max(maxAbsAlpha, Math.abs(a));
      if (b <= 1e-14 * (maxAbsAlpha + 2 * maxBeta)) break;
      maxBeta = Math.max(maxBeta, b);
    }
    vectors.allocateBasis(j + 1);
    vectors.divide(j + 1, RESIDUAL, b);
  }
  const result: LanczosResult = finite
    ? ritzPair(ws, steps, tolerance)
    : { value: Number.NaN, residual: Number.NaN, iterations: steps, converged: false, vector: ws.vector };
  // The shared workspace serves the next caller too: hand out a copy of its vector.
  if (options.workspace === undefined) result.vector = Float64Array.from(result.vector);
  return result;
}

/**
 * Forms y = Q s / ||Q s|| for the top eigenpair (theta, s) of T and
 * H y = (Q (T + C) s + s_(m-1) w) / ||Q s|| (lanczosLargest), then ||H y - theta y||. The residual
 * vector w of the last step must still be in its slot.
 */
function ritzPair(ws: LanczosWorkspace, steps: number, tolerance: number): LanczosResult {
  const { vectors, alpha, beta, tridiagonal, ritzVectors, ritzWeights, gramSchmidtSums, productWeights } = ws;
  const column = alpha.length;
  ritzVectors.fill(0, 0, steps * steps);
  for (let i = 0; i < steps; i++) ritzVectors[i * steps + i] = 1;
  if (!tridiagonalEigen(steps, alpha, beta, tridiagonal, ritzVectors, steps)) {
    return { value: Number.NaN, residual: Number.NaN, iterations: steps, converged: false, vector: ws.vector };
  }
  const top = indexOfLargest(tridiagonal.values, steps);
  const theta = tridiagonal.values[top];
  for (let i = 0; i < steps; i++) ritzWeights[i] = ritzVectors[i * steps + top];
  for (let i = 0; i < steps; i++) {
    let weight = alpha[i] * ritzWeights[i];
    if (i > 0) weight += beta[i - 1] * ritzWeights[i - 1];
    if (i + 1 < steps) weight += beta[i] * ritzWeights[i + 1];
    for (let j = i; j < steps; j++) weight += gramSchmidtSums[j * column + i] * ritzWeights[j];
    productWeights[i] = weight;
  }
  vectors.combination(RITZ, ritzWeights, steps);
  const length = Math.sqrt(vectors.normSquared(RITZ));
  vectors.divide(RITZ, RITZ, length);
  vectors.combination(PRODUCT, productWeights, steps);
  vectors.addMultiple(PRODUCT, RESIDUAL, ritzWeights[steps - 1]);
  vectors.divide(PRODUCT, PRODUCT, length);
  const residual = Math.sqrt(vectors.residualNormSquared(PRODUCT, RITZ, theta));
  const converged = Number.isFinite(residual) && residual <= tolerance * Math.abs(theta);
  return { value: theta, residual, iterations: steps, converged, vector: vectors.view(RITZ) };
}

/** The last random start drawn: its stream key (canonical JSON), size and unit vector. */
let lastRandomStart: { key: string; vector: Float64Array } | null = null;

/**
 * The unit vector of `size` standard normals from the Philox stream `streamKey`, drawn (~1.1 ms at
 * size 24577) unless it is the last one drawn. Read-only: the cache's own copy.
 */
function randomStart(streamKey: readonly StreamKeyPart[], size: number): Float64Array {
  const key = JSON.stringify(streamKey);
  if (lastRandomStart === null || lastRandomStart.key !== key || lastRandomStart.vector.length !== size) {
    const vector = new Float64Array(size);
    const stream = new RandomStream(streamKey);
    for (let p = 0; p < size; p++) vector[p] = stream.normal();
    normalise(vector);
    lastRandomStart = { key, vector };
  }
  return lastRandomStart.vector;
}

/** Writes the unit start vector q_0 into the first basis slot. */
function startVector(ws: LanczosWorkspace, options: LanczosOptions): void {
  const size = ws.size;
  const q = ws.basisVector(0);
  q.set(randomStart(options.streamKey ?? ['lanczos_start', size], size));
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
