import type { NetworkLayout } from '../model/index.js';
import type { NeuronTheory } from './neurons.js';

/**
 * Two neurons are one ridge function when their (u, t) agree to this tolerance (max-norm on u,
 * |t| relative above 1). Exactly equal pairs arise from splitting a neuron (w, b, v) into
 * (2w, 2b, v/2) + ...; a tolerance of a few hundred ulps also merges splits by factors that round.
 */
export const MERGE_TOLERANCE = 1e-12;

export interface WeightedVariationNorm {
  /** |f|_Vg = sum over distinct (u, t) of |sum_k v_k ||w_k||| * g(u, t). */
  vgNorm: number;
  /** Neurons with w = 0, left out (they are constants, not ridge functions). */
  zeroNeurons: number;
  /** Distinct (u, t) pairs after merging. */
  distinctNeurons: number;
}

/**
 * |f|_Vg of the network in reduced form (PAPER.md): neurons with equal (u, t) are merged by
 * adding their signed coefficients v_k ||w_k|| before taking the absolute value, so that
 * duplicated or cancelling neurons count as the one function they are. Neurons are sorted by t
 * and compared only with neighbours within the tolerance: O(width log width) for distinct t.
 */
export function weightedVariationNorm(params: Float64Array, layout: NetworkLayout, theory: NeuronTheory): WeightedVariationNorm {
  const { d, width, vOffset } = layout;
  const { wNorm, t, g, uKxD } = theory;
  const order: number[] = [];
  for (let k = 0; k < width; k++) if (wNorm[k] > 0) order.push(k);
  order.sort((p, q) => t[p] - t[q] || p - q);
  /** Group representative of each neuron (index into `order`). */
  const representative = new Int32Array(order.length);
  const groupCoefficient = new Float64Array(order.length);
  let distinctNeurons = 0;
  for (let position = 0; position < order.length; position++) {
    const k = order[position];
    let group = position;
    for (let back = position - 1; back >= 0; back--) {
      const other = order[back];
      if (t[k] - t[other] > MERGE_TOLERANCE * Math.max(1, Math.abs(t[k]))) break;
      if (sameDirection(uKxD, k, other, d)) {
        group = representative[back];
        break;
      }
    }
    representative[position] = group;
    if (group === position) distinctNeurons++;
    groupCoefficient[group] += params[vOffset + k] * wNorm[k];
  }
  let vgNorm = 0;
  for (let position = 0; position < order.length; position++) {
    if (representative[position] !== position) continue;
    vgNorm += Math.abs(groupCoefficient[position]) * g[order[position]];
  }
  return { vgNorm, zeroNeurons: theory.zeroNeurons, distinctNeurons };
}

function sameDirection(uKxD: Float64Array, k: number, other: number, d: number): boolean {
  for (let j = 0; j < d; j++) {
    if (Math.abs(uKxD[k * d + j] - uKxD[other * d + j]) > MERGE_TOLERANCE) return false;
  }
  return true;
}
