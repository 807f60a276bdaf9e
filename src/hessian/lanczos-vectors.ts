import { gramSchmidtPass } from './gram-schmidt.js';
import { instantiateLinalg, linalgUnavailableReason, type LinalgExports } from './linalg-wasm.js';

/**
 * Where Lanczos's long vectors (length = the operator's size) live and who does their O(size)
 * arithmetic, written twice with one interface:
 *  - 'js': plain Float64Arrays and plain loops, the readable reference (gram-schmidt.ts for the
 *    Gram-Schmidt pass); these are the loops lanczos.ts always had, in the same order.
 *  - 'wasm': one WebAssembly.Memory holding every vector and build/linalg.wasm's f64x2 routines
 *    working on it in place (nothing is copied; the matvec reads and writes views of it).
 *    Element-wise updates round exactly as in 'js'; sums (dot products, norms) are taken in
 *    partial sums side by side (assembly/linalg.ts), so results differ from 'js' by rounding only.
 *    Measured at size 24577 (the (d, n, width) = (10, 512, 2048) network), 40 steps: the 40
 *    Gram-Schmidt passes take ~4.6 ms instead of ~32 ms with the basis in cache, ~9 ms instead of
 *    ~33 ms inside Lanczos, where each Hessian-vector product evicts the basis from cache; all of
 *    Lanczos's work beyond the products drops from ~46 ms to ~17 ms.
 *
 * Vectors are named by slot: basis vector q_j is slot j >= 0; the residual w, the Ritz vector y
 * and the product H y have the negative slots below.
 */
export type LanczosBackend = 'wasm' | 'js';

export type Slot = number;
/** w, the vector being orthogonalised in a step. */
export const RESIDUAL: Slot = -1;
/** y, the Ritz vector. */
export const RITZ: Slot = -2;
/** H y, the product that checks the Ritz pair. */
export const PRODUCT: Slot = -3;

export interface LanczosVectors {
  readonly backend: LanczosBackend;
  /** Basis vectors allocated so far (q_0 .. q_(basisCount-1)). */
  readonly basisCount: number;
  /**
   * Makes q_0 .. q_j exist. Basis vectors are allocated as steps first need them and kept for
   * later calls. Under 'wasm' this may grow the memory, which detaches every view handed out
   * before: fetch views again after it. q_0 never grows the memory.
   */
  allocateBasis(j: number): void;
  /** A Float64Array over a slot's vector (no copy); valid until allocateBasis grows the memory. */
  view(slot: Slot): Float64Array;
  /** Views of the allocated basis vectors, same validity. */
  basisViews(): readonly Float64Array[];
  dot(a: Slot, b: Slot): number;
  normSquared(v: Slot): number;
  /** out = v / divisor element-wise (out may be v). */
  divide(out: Slot, v: Slot, divisor: number): void;
  /** w -= alpha q + beta previous (the three-term recurrence). */
  subtractRecurrence(w: Slot, q: Slot, previous: Slot, alpha: number, beta: number): void;
  /**
   * One classical Gram-Schmidt pass of w against q_0 .. q_(count-1) (gram-schmidt.ts); adds the
   * coefficients q_i . w it subtracted to coefficientSums[sumsAt + i], i < count.
   */
  gramSchmidtPass(w: Slot, count: number, coefficientSums: Float64Array, sumsAt: number): void;
  /** out = sum_i weights[i] q_i over i < count. */
  combination(out: Slot, weights: Float64Array, count: number): void;
  /** out += multiple v */
  addMultiple(out: Slot, v: Slot, multiple: number): void;
  /** ||hy - theta y||^2 */
  residualNormSquared(hy: Slot, y: Slot, theta: number): number;
}

/**
 * Storage for Lanczos on an operator of `size` with at most `maxSteps` basis vectors. 'auto':
 * 'wasm' when build/linalg.wasm loads and the vectors fit a 32-bit memory, else 'js'.
 */
export function createLanczosVectors(size: number, maxSteps: number, backend: LanczosBackend | 'auto'): LanczosVectors {
  if (backend === 'js') return new JsLanczosVectors(size, maxSteps);
  let reason = linalgUnavailableReason() ?? wasmTooLargeReason(size, maxSteps);
  if (reason === null) {
    try {
      return new WasmLanczosVectors(size, maxSteps);
    } catch (error) {
      // The engine could not reserve the memory: plain arrays may still fit.
      if (!(error instanceof RangeError)) throw error;
      reason = `its memory could not be reserved: ${error.message}`;
    }
  }
  if (backend === 'wasm') throw new Error(`Lanczos: backend "wasm" is not available: ${reason}`);
  return new JsLanczosVectors(size, maxSteps);
}

class JsLanczosVectors implements LanczosVectors {
  readonly backend = 'js';
  private readonly basis: Float64Array[] = [];
  private readonly residual: Float64Array;
  private readonly ritz: Float64Array;
  private readonly product: Float64Array;
  private readonly coefficients: Float64Array;

  constructor(
    private readonly size: number,
    maxSteps: number,
  ) {
    this.residual = new Float64Array(size);
    this.ritz = new Float64Array(size);
    this.product = new Float64Array(size);
    this.coefficients = new Float64Array(maxSteps);
  }

  get basisCount(): number {
    return this.basis.length;
  }

  allocateBasis(j: number): void {
    while (this.basis.length <= j) this.basis.push(new Float64Array(this.size));
  }

  view(slot: Slot): Float64Array {
    if (slot === RESIDUAL) return this.residual;
    if (slot === RITZ) return this.ritz;
    if (slot === PRODUCT) return this.product;
    return this.basis[slot];
  }

  basisViews(): readonly Float64Array[] {
    return this.basis;
  }

  dot(a: Slot, b: Slot): number {
    const x = this.view(a);
    const y = this.view(b);
    let sum = 0;
    for (let p = 0; p < this.size; p++) sum += x[p] * y[p];
    return sum;
  }

  normSquared(v: Slot): number {
    return this.dot(v, v);
  }

  divide(out: Slot, v: Slot, divisor: number): void {
    const target = this.view(out);
    const source = this.view(v);
    for (let p = 0; p < this.size; p++) target[p] = source[p] / divisor;
  }

  subtractRecurrence(w: Slot, q: Slot, previous: Slot, alpha: number, beta: number): void {
    const target = this.view(w);
    const current = this.view(q);
    const before = this.view(previous);
    for (let p = 0; p < this.size; p++) target[p] -= alpha * current[p] + beta * before[p];
  }

  gramSchmidtPass(w: Slot, count: number, coefficientSums: Float64Array, sumsAt: number): void {
    gramSchmidtPass(this.view(w), this.basis, count, this.coefficients);
    for (let i = 0; i < count; i++) coefficientSums[sumsAt + i] += this.coefficients[i];
  }

  combination(out: Slot, weights: Float64Array, count: number): void {
    const target = this.view(out);
    target.fill(0);
    for (let i = 0; i < count; i++) {
      const weight = weights[i];
      const q = this.basis[i];
      for (let p = 0; p < this.size; p++) target[p] += weight * q[p];
    }
  }

  addMultiple(out: Slot, v: Slot, multiple: number): void {
    const target = this.view(out);
    const source = this.view(v);
    for (let p = 0; p < this.size; p++) target[p] += multiple * source[p];
  }

  residualNormSquared(hy: Slot, y: Slot, theta: number): number {
    const product = this.view(hy);
    const vector = this.view(y);
    let sum = 0;
    for (let p = 0; p < this.size; p++) sum += (product[p] - theta * vector[p]) ** 2;
    return sum;
  }
}

const PAGE_BYTES = 65536;
/** A 32-bit WebAssembly memory holds at most 65536 pages (4 GiB). */
const MAX_PAGES = 65536;
/** Basis vectors added per growth of the memory. */
const BASIS_CHUNK = 8;

/**
 * Byte layout of the memory (every region 16-aligned, `stride` = size doubles rounded up to 16
 * bytes):
 *   coefficients   maxSteps doubles: Gram-Schmidt coefficients, or the weights of a combination
 *   residual w, Ritz vector y, product H y   one stride each
 *   q_0, q_1, ...  from basisAt, one stride apart, as many as the memory holds (`capacity`)
 * The basis is last so that the memory grows at its end, BASIS_CHUNK vectors at a time, up to
 * maxSteps; offsets never move, only the views need re-creating after a grow.
 */
class WasmLanczosVectors implements LanczosVectors {
  readonly backend = 'wasm';
  basisCount = 0;
  private readonly memory: WebAssembly.Memory;
  private readonly linalg: LinalgExports;
  private readonly stride: number;
  private readonly coefficientsAt = 0;
  private readonly residualAt: number;
  private readonly ritzAt: number;
  private readonly productAt: number;
  private readonly basisAt: number;
  private capacity: number;
  /** The buffer the views below were made over (memory.buffer changes at each grow). */
  private viewsBuffer: ArrayBuffer | null = null;
  private residualView = new Float64Array(0);
  private ritzView = new Float64Array(0);
  private productView = new Float64Array(0);
  private coefficientsView = new Float64Array(0);
  private readonly basisViewList: Float64Array[] = [];

  constructor(
    private readonly size: number,
    private readonly maxSteps: number,
  ) {
    const layout = wasmLayout(size, maxSteps);
    this.stride = layout.stride;
    this.residualAt = layout.residualAt;
    this.ritzAt = layout.residualAt + layout.stride;
    this.productAt = layout.residualAt + 2 * layout.stride;
    this.basisAt = layout.basisAt;
    const initialPages = pagesFor(this.basisAt + Math.min(BASIS_CHUNK, maxSteps) * this.stride);
    this.memory = new WebAssembly.Memory({ initial: initialPages, maximum: layout.maximumPages });
    this.capacity = this.basisCapacity(initialPages);
    this.linalg = instantiateLinalg(this.memory);
  }

  allocateBasis(j: number): void {
    if (j >= this.maxSteps) throw new Error(`Lanczos: basis vector ${j} asked, the workspace holds ${this.maxSteps}`);
    if (j >= this.capacity) {
      const wanted = Math.min(this.maxSteps, (Math.floor(j / BASIS_CHUNK) + 1) * BASIS_CHUNK);
      const pages = pagesFor(this.basisAt + wanted * this.stride);
      this.memory.grow(pages - this.memory.buffer.byteLength / PAGE_BYTES);
      this.capacity = this.basisCapacity(pages);
    }
    this.basisCount = Math.max(this.basisCount, j + 1);
  }

  view(slot: Slot): Float64Array {
    this.refreshViews();
    if (slot === RESIDUAL) return this.residualView;
    if (slot === RITZ) return this.ritzView;
    if (slot === PRODUCT) return this.productView;
    if (slot >= this.basisCount) throw new Error(`Lanczos: basis vector ${slot} is not allocated`);
    return this.basisViewList[slot];
  }

  basisViews(): readonly Float64Array[] {
    this.refreshViews();
    return this.basisViewList;
  }

  dot(a: Slot, b: Slot): number {
    return this.linalg.dot(this.at(a), this.at(b), this.size);
  }

  normSquared(v: Slot): number {
    return this.linalg.normSquared(this.at(v), this.size);
  }

  divide(out: Slot, v: Slot, divisor: number): void {
    this.linalg.divide(this.at(out), this.at(v), divisor, this.size);
  }

  subtractRecurrence(w: Slot, q: Slot, previous: Slot, alpha: number, beta: number): void {
    this.linalg.subtractRecurrence(this.at(w), this.at(q), this.at(previous), alpha, beta, this.size);
  }

  gramSchmidtPass(w: Slot, count: number, coefficientSums: Float64Array, sumsAt: number): void {
    this.checkBasis(count);
    this.linalg.gramSchmidtPass(this.at(w), this.basisAt, this.stride, count, this.coefficientsAt, this.size);
    this.refreshViews();
    for (let i = 0; i < count; i++) coefficientSums[sumsAt + i] += this.coefficientsView[i];
  }

  combination(out: Slot, weights: Float64Array, count: number): void {
    this.checkBasis(count);
    this.refreshViews();
    for (let i = 0; i < count; i++) this.coefficientsView[i] = weights[i];
    this.linalg.combination(this.at(out), this.basisAt, this.stride, this.coefficientsAt, count, this.size);
  }

  addMultiple(out: Slot, v: Slot, multiple: number): void {
    this.linalg.addMultiple(this.at(out), this.at(v), multiple, this.size);
  }

  residualNormSquared(hy: Slot, y: Slot, theta: number): number {
    return this.linalg.residualNormSquared(this.at(hy), this.at(y), theta, this.size);
  }

  /** Byte offset of a slot's vector. */
  private at(slot: Slot): number {
    if (slot === RESIDUAL) return this.residualAt;
    if (slot === RITZ) return this.ritzAt;
    if (slot === PRODUCT) return this.productAt;
    if (slot >= this.basisCount) throw new Error(`Lanczos: basis vector ${slot} is not allocated`);
    return this.basisAt + slot * this.stride;
  }

  private checkBasis(count: number): void {
    if (count > this.basisCount) throw new Error(`Lanczos: ${count} basis vectors used, ${this.basisCount} allocated`);
  }

  private basisCapacity(pages: number): number {
    return Math.min(this.maxSteps, Math.floor((pages * PAGE_BYTES - this.basisAt) / this.stride));
  }

  /** Re-creates the views when the memory has grown (its old buffer is then detached) or the basis has. */
  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (buffer !== this.viewsBuffer) {
      this.viewsBuffer = buffer;
      this.residualView = new Float64Array(buffer, this.residualAt, this.size);
      this.ritzView = new Float64Array(buffer, this.ritzAt, this.size);
      this.productView = new Float64Array(buffer, this.productAt, this.size);
      this.coefficientsView = new Float64Array(buffer, this.coefficientsAt, this.maxSteps);
      this.basisViewList.length = 0;
    }
    for (let j = this.basisViewList.length; j < this.basisCount; j++) {
      this.basisViewList.push(new Float64Array(buffer, this.basisAt + j * this.stride, this.size));
    }
  }
}

function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_BYTES));
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

function wasmLayout(size: number, maxSteps: number) {
  const stride = align16(size * 8);
  const residualAt = align16(maxSteps * 8);
  const basisAt = residualAt + 3 * stride;
  return { stride, residualAt, basisAt, maximumPages: pagesFor(basisAt + maxSteps * stride) };
}

function wasmTooLargeReason(size: number, maxSteps: number): string | null {
  const pages = wasmLayout(size, maxSteps).maximumPages;
  if (pages <= MAX_PAGES) return null;
  return `${maxSteps} basis vectors of size ${size} need ${pages} pages of 64 KiB, a 32-bit WebAssembly memory holds ${MAX_PAGES}`;
}
