import type { KernelChoice } from './config.js';
import type { Kernel, KernelShape } from './kernel.js';
import { createJsKernel } from './kernel-js.js';
import { createSkipKernel } from './kernel-skip.js';
import { createWasmKernel, wasmUnavailableReason } from './kernel-wasm.js';

/**
 * The kernel a task asked for; its `name` says which one ran (kernel_used).
 *   js, wasm: the dense TypeScript and WebAssembly SIMD kernels (ReLU and GELU).
 *   auto: for ReLU the WASM kernel with certified work-skipping (wasm-skip; js-skip when
 *         build/kernel.wasm cannot load), which gives bitwise the dense kernels' results, costs
 *         about the same as dense while the network is dense and far less once it shatters;
 *         for GELU (no exactly inactive pairs) the dense WASM kernel, or js without it.
 * An explicit choice that cannot run is an error naming why, not a silent fallback.
 */
export function createKernel(choice: KernelChoice, shape: KernelShape): Kernel {
  if (choice === 'js') return createJsKernel(shape);
  if (choice === 'wasm') return createWasmKernel(shape);
  if (choice === 'auto') {
    const wasmLoads = wasmUnavailableReason() === null;
    if (shape.activation !== 'relu') return wasmLoads ? createWasmKernel(shape) : createJsKernel(shape);
    return wasmLoads ? createWasmKernel(shape, { skipping: true }) : createSkipKernel(shape);
  }
  throw new Error(`kernel: "${String(choice)}" is not a kernel; allowed: auto, js, wasm`);
}
