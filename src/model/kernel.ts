import type { ActivationKind } from './config.js';
import type { NetworkLayout } from './layout.js';

export interface KernelShape {
  d: number;
  /** Number of training points. */
  n: number;
  width: number;
  activation: ActivationKind;
}

/**
 * What the epoch loop, Lanczos and the metrics need of a network, over buffers the kernel owns
 * (a WebAssembly kernel keeps them in its linear memory for the whole training, so nothing is
 * copied per epoch). Callers read and write the Float64Array views below and never hold on to
 * other copies. The optimised loss is L = c/n sum_i (f(x_i) - y_i)^2 with c = lossScale.
 */
export interface Kernel {
  /** Which kernel runs (the kernel_used column); -skip: with certified work-skipping (kernel-skip.ts). */
  readonly name: 'js' | 'js-skip' | 'wasm' | 'wasm-skip';
  readonly shape: KernelShape;
  readonly layout: NetworkLayout;
  /** Parameters (layout.ts); the loop updates them in place. */
  readonly params: Float64Array;
  /** Gradient of L at `params`, written by lossAndGradient. */
  readonly grad: Float64Array;

  /** Copies the training inputs (n x d, row-major) and labels in; call once before training. */
  loadData(x: Float64Array, y: Float64Array): void;

  /**
   * Forward and backward pass at `params`: returns L and writes its gradient into `grad`.
   * Leaves the forward state (pre-activations, residuals) cached for hessianVectorProduct and
   * activationCounts until `params` change.
   */
  lossAndGradient(lossScale: number): number;

  /** ||grad||^2, summed in the order of step.ts (gradientNormSquared). */
  gradientNormSquared(): number;

  /** One step on the buffers: params -= eta (grad scale + weightDecay params), as step.ts (descend). */
  descend(eta: number, scale: number, weightDecay: number): void;

  /** out = H vec, H the Hessian of L at the parameters of the last lossAndGradient call. */
  hessianVectorProduct(vec: Float64Array, out: Float64Array): void;

  /** Per neuron, how many training points have w_k.x_i + b_k > 0 (state of the last lossAndGradient). */
  activationCounts(out: Int32Array): void;

  /** Predictions f(x) of the current parameters on `count` points (row-major, d columns). */
  predict(x: Float64Array, count: number, out: Float64Array): Float64Array;

  /**
   * Optional: how many (point, neuron) pre-activations the kernel's ReLU forward passes have
   * evaluated so far (a dense pass evaluates n * width; a skipping kernel fewer).
   */
  pairsEvaluated?(): number;

  /** Releases what the kernel holds (a no-op for the TypeScript kernel). */
  dispose(): void;
}

export type KernelFactory = (shape: KernelShape) => Kernel;
