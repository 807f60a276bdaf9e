/**
 * A second, deliberately naive evaluation of the two-layer network and its loss, written from
 * PAPER.md and src/model/layout.ts alone, so that tests of the kernel do not check the kernel
 * against itself.
 */
import { gelu, networkLayout, type ActivationKind } from '../../src/model/index.js';

/** f(x_i) = sum_k v_k phi(w_k.x_i + b_k) + beta for each of the `count` rows of x (d columns). */
export function referencePredict(params: Float64Array, d: number, width: number, activation: ActivationKind, x: Float64Array, count: number): Float64Array {
  const layout = networkLayout(d, width);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let f = params[layout.betaOffset];
    for (let k = 0; k < width; k++) {
      let z = params[layout.bOffset + k];
      for (let j = 0; j < d; j++) z += params[layout.wOffset + k * d + j] * x[i * d + j];
      f += params[layout.vOffset + k] * (activation === 'relu' ? Math.max(z, 0) : gelu(z));
    }
    out[i] = f;
  }
  return out;
}

/** c/n sum_i (f(x_i) - y_i)^2 + (weightDecay/2) ||params||^2: the objective one GD step with weight decay descends. */
export function referenceObjective(
  params: Float64Array,
  d: number,
  width: number,
  activation: ActivationKind,
  x: Float64Array,
  y: Float64Array,
  lossScale: number,
  weightDecay = 0,
): number {
  const n = y.length;
  const f = referencePredict(params, d, width, activation, x, n);
  let sumSquares = 0;
  for (let i = 0; i < n; i++) sumSquares += (f[i] - y[i]) ** 2;
  let normSq = 0;
  for (let p = 0; p < params.length; p++) normSq += params[p] ** 2;
  return (lossScale * sumSquares) / n + 0.5 * weightDecay * normSq;
}

/** min over neurons k and points i of |w_k.x_i + b_k|: how far the network is from a ReLU kink. */
export function distanceToKink(params: Float64Array, d: number, width: number, x: Float64Array, count: number): number {
  const layout = networkLayout(d, width);
  let smallest = Infinity;
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < width; k++) {
      let z = params[layout.bOffset + k];
      for (let j = 0; j < d; j++) z += params[layout.wOffset + k * d + j] * x[i * d + j];
      smallest = Math.min(smallest, Math.abs(z));
    }
  }
  return smallest;
}
