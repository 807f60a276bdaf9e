import type { NetworkLayout } from '../model/index.js';
import { empiricalWeight, weightScratch } from './weight-g.js';

/**
 * Per-neuron geometry of a ReLU network (PAPER.md): phi(w.x + b) = ||w|| phi(u.x - t) with
 * u = w/||w||, t = -b/||w||, and the coefficient a = |v| ||w||. Neurons with w = 0 are constants
 * (not ridge functions): their u and t are undefined, written as NaN.
 */
export interface NeuronTheory {
  /** ||w_k|| (width). */
  wNorm: Float64Array;
  /** t_k = -b_k / ||w_k|| (NaN when w_k = 0). */
  t: Float64Array;
  /** a_k = |v_k| ||w_k||. */
  a: Float64Array;
  /** g(u_k, t_k) from the training inputs (NaN when w_k = 0). */
  g: Float64Array;
  /** u_k = w_k / ||w_k||, width x d row-major (NaN rows when w_k = 0). */
  uKxD: Float64Array;
  /** How many neurons have w_k = 0. */
  zeroNeurons: number;
}

/**
 * Computes u, t, a and g for every neuron: O(width * n * d), about 20 ms at width 2048, n 512, d 10.
 * @param params network parameters in the layout of src/model/layout.ts
 * @param inputs training inputs, n x d row-major
 */
export function neuronTheory(params: Float64Array, layout: NetworkLayout, inputs: Float64Array, n: number): NeuronTheory {
  const { d, width, bOffset, vOffset } = layout;
  const wNorm = new Float64Array(width);
  const t = new Float64Array(width);
  const a = new Float64Array(width);
  const g = new Float64Array(width);
  const uKxD = new Float64Array(width * d);
  const scratch = weightScratch(d);
  let zeroNeurons = 0;
  for (let k = 0; k < width; k++) {
    let normSq = 0;
    for (let j = 0; j < d; j++) normSq += params[k * d + j] ** 2;
    const norm = Math.sqrt(normSq);
    wNorm[k] = norm;
    a[k] = Math.abs(params[vOffset + k]) * norm;
    if (norm === 0) {
      zeroNeurons++;
      t[k] = Number.NaN;
      g[k] = Number.NaN;
      uKxD.fill(Number.NaN, k * d, (k + 1) * d);
      continue;
    }
    for (let j = 0; j < d; j++) uKxD[k * d + j] = params[k * d + j] / norm;
    t[k] = -params[bOffset + k] / norm;
    g[k] = empiricalWeight(inputs, n, d, uKxD, k * d, t[k], scratch);
  }
  return { wNorm, t, a, g, uKxD, zeroNeurons };
}
