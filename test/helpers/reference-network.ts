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

/** `size` sums built term by term, with the sums of the terms' absolute values alongside. */
function termSums(size: number): { sums: Float64Array; scale: Float64Array; add: (p: number, term: number) => void } {
  const sums = new Float64Array(size);
  const scale = new Float64Array(size);
  const add = (p: number, term: number) => {
    sums[p] += term;
    scale[p] += Math.abs(term);
  };
  return { sums, scale, add };
}

/**
 * Gradient of c/n sum_i (f(x_i) - y_i)^2 for a ReLU network, summed directly over every
 * (neuron, point) pair with the indicator z > 0, and, alongside, the sum of the absolute values
 * of each entry's terms (the scale against which a rounding error of the kernel's sums is judged).
 */
export function referenceReluGradient(params: Float64Array, d: number, width: number, x: Float64Array, y: Float64Array, lossScale: number): { grad: Float64Array; scale: Float64Array } {
  const layout = networkLayout(d, width);
  const n = y.length;
  const f = referencePredict(params, d, width, 'relu', x, n);
  const { sums: grad, scale, add } = termSums(layout.size);
  for (let i = 0; i < n; i++) {
    const rho = ((2 * lossScale) / n) * (f[i] - y[i]);
    add(layout.betaOffset, rho);
    for (let k = 0; k < width; k++) {
      let z = params[layout.bOffset + k];
      for (let j = 0; j < d; j++) z += params[layout.wOffset + k * d + j] * x[i * d + j];
      if (!(z > 0)) continue;
      const vk = params[layout.vOffset + k];
      add(layout.vOffset + k, rho * z);
      add(layout.bOffset + k, rho * vk);
      for (let j = 0; j < d; j++) add(layout.wOffset + k * d + j, rho * vk * x[i * d + j]);
    }
  }
  return { grad, scale };
}

/**
 * H vec for a ReLU network, from the definition: (2c/n) sum_i [(J vec)_i J_i + r_i (Hess f_i) vec],
 * with J_i = grad f(x_i) and Hess f_i non-zero only in the v_k-w_k and v_k-b_k blocks of neurons
 * live at x_i; with the sums of absolute terms as in referenceReluGradient.
 */
export function referenceReluHvp(params: Float64Array, d: number, width: number, x: Float64Array, y: Float64Array, lossScale: number, vec: Float64Array): { hvp: Float64Array; scale: Float64Array } {
  const layout = networkLayout(d, width);
  const n = y.length;
  const f = referencePredict(params, d, width, 'relu', x, n);
  const { sums: hvp, scale, add } = termSums(layout.size);
  const jacobian = new Float64Array(layout.size);
  const live = new Uint8Array(width);
  const c = (2 * lossScale) / n;
  for (let i = 0; i < n; i++) {
    jacobian.fill(0);
    jacobian[layout.betaOffset] = 1;
    for (let k = 0; k < width; k++) {
      let z = params[layout.bOffset + k];
      for (let j = 0; j < d; j++) z += params[layout.wOffset + k * d + j] * x[i * d + j];
      live[k] = z > 0 ? 1 : 0;
      if (!live[k]) continue;
      const vk = params[layout.vOffset + k];
      jacobian[layout.vOffset + k] = z;
      jacobian[layout.bOffset + k] = vk;
      for (let j = 0; j < d; j++) jacobian[layout.wOffset + k * d + j] = vk * x[i * d + j];
    }
    let jv = 0;
    for (let p = 0; p < layout.size; p++) jv += jacobian[p] * vec[p];
    for (let p = 0; p < layout.size; p++) if (jacobian[p] !== 0) add(p, c * jv * jacobian[p]);
    const r = c * (f[i] - y[i]);
    for (let k = 0; k < width; k++) {
      if (!live[k]) continue;
      const dvk = vec[layout.vOffset + k];
      let u = vec[layout.bOffset + k];
      for (let j = 0; j < d; j++) u += vec[layout.wOffset + k * d + j] * x[i * d + j];
      add(layout.vOffset + k, r * u);
      add(layout.bOffset + k, r * dvk);
      for (let j = 0; j < d; j++) add(layout.wOffset + k * d + j, r * dvk * x[i * d + j]);
    }
  }
  return { hvp, scale };
}
