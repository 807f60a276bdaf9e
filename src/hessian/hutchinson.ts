import { RandomStream, type StreamKeyPart } from '../rng/index.js';
import type { Matvec } from './lanczos.js';

export interface TraceEstimate {
  /** Mean of z^T H z over the probes: an unbiased estimate of tr H. */
  trace: number;
  /** Standard error of that mean (sample standard deviation / sqrt(samples)); NaN for one probe. */
  standardError: number;
  samples: number;
}

/**
 * Hutchinson's trace estimator: tr H = E[z^T H z] for Rademacher probes z (entries +-1 with equal
 * probability), the probes drawn in order from one Philox stream so that an estimate is
 * reproducible. Its variance is 2 (||H||_F^2 - sum_i H_ii^2) / samples, the smallest among
 * common probe distributions. Cost: `samples` products; allocates two vectors of `size`.
 *
 * @example
 *   hutchinsonTrace((v, out) => kernel.hessianVectorProduct(v, out), size, 30, ['hutchinson', seed]);
 */
export function hutchinsonTrace(matvec: Matvec, size: number, samples: number, streamKey: readonly StreamKeyPart[]): TraceEstimate {
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`Hutchinson: samples must be an integer >= 1, got ${samples}`);
  const stream = new RandomStream(streamKey);
  const probe = new Float64Array(size);
  const product = new Float64Array(size);
  let mean = 0;
  let sumSquaredDeviations = 0;
  for (let s = 0; s < samples; s++) {
    for (let p = 0; p < size; p++) probe[p] = stream.sign();
    matvec(probe, product);
    let quadratic = 0;
    for (let p = 0; p < size; p++) quadratic += probe[p] * product[p];
    // Welford's update: stable mean and variance in one pass.
    const delta = quadratic - mean;
    mean += delta / (s + 1);
    sumSquaredDeviations += delta * (quadratic - mean);
  }
  const standardError = samples > 1 ? Math.sqrt(sumSquaredDeviations / (samples - 1) / samples) : Number.NaN;
  return { trace: mean, standardError, samples };
}
