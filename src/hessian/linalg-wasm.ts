import { builtModule } from '../wasm/build-module.js';

/**
 * Lanczos's vector arithmetic in WebAssembly SIMD (assembly/linalg.ts, built into
 * build/linalg.wasm by `npm run build:wasm`). The module has no memory of its own: each instance
 * works on the WebAssembly.Memory it is given, pointers are byte offsets into it (16-aligned) and
 * lengths count doubles. Basis vector i lies at `basis + i * stride`.
 */
export interface LinalgExports {
  /** a . b */
  dot(a: number, b: number, length: number): number;
  /** v . v */
  normSquared(v: number, length: number): number;
  /** ||hy - theta y||^2 */
  residualNormSquared(hy: number, y: number, theta: number, length: number): number;
  /** out = v / divisor (out may be v) */
  divide(out: number, v: number, divisor: number, length: number): void;
  /** w -= alpha q + beta previous */
  subtractRecurrence(w: number, q: number, previous: number, alpha: number, beta: number, length: number): void;
  /** One classical Gram-Schmidt pass of w against basis vectors i < count (gram-schmidt.ts). */
  gramSchmidtPass(w: number, basis: number, stride: number, count: number, coefficients: number, length: number): void;
  /** out += multiple v */
  addMultiple(out: number, v: number, multiple: number, length: number): void;
  /** out = sum_i weights_i q_i over basis vectors i < count */
  combination(out: number, basis: number, stride: number, weights: number, count: number, length: number): void;
}

/** Why the WASM linear algebra cannot run here, or null if it can. */
export function linalgUnavailableReason(): string | null {
  return builtModule('linalg.wasm').reason;
}

/** An instance of the module over `memory`; throws with the reason when the module is unavailable. */
export function instantiateLinalg(memory: WebAssembly.Memory): LinalgExports {
  const built = builtModule('linalg.wasm');
  if (built.module === null) throw new Error(`WASM linear algebra is not available: ${built.reason}`);
  const instance = new WebAssembly.Instance(built.module, { env: { memory } });
  return instance.exports as unknown as LinalgExports;
}
