import type { KernelChoice } from './config.js';
import type { Kernel, KernelShape } from './kernel.js';
import { createJsKernel } from './kernel-js.js';
import { createWasmKernel, wasmUnavailableReason } from './kernel-wasm.js';

/**
 * The kernel a task asked for. `auto` takes the fastest one that can run the shape (the WASM
 * SIMD kernel for ReLU networks when build/kernel.wasm loads, else the TypeScript kernel); the
 * kernel's `name` says which one ran. An explicit choice that cannot run is an error naming why,
 * not a silent fallback.
 */
export function createKernel(choice: KernelChoice, shape: KernelShape): Kernel {
  if (choice === 'js') return createJsKernel(shape);
  if (choice === 'wasm') return createWasmKernel(shape);
  if (choice === 'auto') return wasmUnavailableReason(shape) === null ? createWasmKernel(shape) : createJsKernel(shape);
  throw new Error(`kernel: "${String(choice)}" is not a kernel; allowed: auto, js, wasm`);
}
