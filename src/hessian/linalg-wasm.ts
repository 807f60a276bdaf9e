import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

let compiled: WebAssembly.Module | null | undefined;
let loadError = '';

/** build/linalg.wasm of this package, from src/hessian/ (tsx, tests) or dist/src/hessian/ (tsc output). */
function wasmPath(): string | null {
  for (const relative of ['../../build/linalg.wasm', '../../../build/linalg.wasm']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return path;
  }
  return null;
}

/** Compiles build/linalg.wasm once per process (null when it is missing or does not load). */
function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  const path = wasmPath();
  if (path === null) {
    loadError = 'build/linalg.wasm is missing (run `npm run build:wasm`)';
    compiled = null;
    return compiled;
  }
  try {
    compiled = new WebAssembly.Module(readFileSync(path));
  } catch (error) {
    loadError = `build/linalg.wasm does not load here: ${(error as Error).message}`;
    compiled = null;
  }
  return compiled;
}

/** Why the WASM linear algebra cannot run here, or null if it can. */
export function linalgUnavailableReason(): string | null {
  return wasmModule() === null ? loadError : null;
}

/** An instance of the module over `memory`; throws with the reason when the module is unavailable. */
export function instantiateLinalg(memory: WebAssembly.Memory): LinalgExports {
  const module = wasmModule();
  if (module === null) throw new Error(`WASM linear algebra is not available: ${loadError}`);
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as LinalgExports;
}
