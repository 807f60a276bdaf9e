/**
 * The paper's theory as numbers a run can report: the empirical weight g(u, t), per-neuron
 * geometry (u, t, a), the weighted variation norm |f|_Vg in reduced form, the right-hand side of
 * Theorem 3.2 and the exponents of the rates.
 */
export { empiricalWeight, weightScratch, type WeightScratch } from './weight-g.js';
export { neuronTheory, type NeuronTheory } from './neurons.js';
export { weightedVariationNorm, MERGE_TOLERANCE, type WeightedVariationNorm } from './vg-norm.js';
export { theorem32Bound, halfMseQuantities, type Theorem32Inputs } from './theorem32.js';
export {
  flatGapUpperExponent,
  flatGapLowerExponent,
  estimationUpperExponent,
  estimationLowerExponent,
  weightDecayGapExponent,
} from './rates.js';
