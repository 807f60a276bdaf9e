/** Helpers shared by the benchmark sections (not a section itself: bench/index.ts runs bench/sections/ only). */
import { TRAIN_DEFAULTS, type TrainConfig } from '../src/model/config.js';

/** Median of the finite values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

/** A training config for timing: defaults, seed 0, a one-point test set. */
export function benchConfig(d: number, n: number, width: number, eta: number, epochs: number): TrainConfig {
  return { ...TRAIN_DEFAULTS, d, n, width, eta, epochs, n_test: 1, data_seed: 0, init_seed: 0 };
}
