import type { KernelChoice } from './config.js';
import type { Kernel, KernelShape } from './kernel.js';
import { createJsKernel } from './kernel-js.js';

/**
 * The kernel a task asked for. `auto` takes the fastest one available on this machine;
 * an explicit choice that is not available is an error, not a silent fallback.
 */
export function createKernel(choice: KernelChoice, shape: KernelShape): Kernel {
  if (choice === 'wasm') throw new Error('kernel "wasm" is not available in this build; use "js" or "auto"');
  return createJsKernel(shape);
}
