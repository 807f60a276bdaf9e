import type { TrainConfig } from '../model/index.js';

/**
 * The settings runTask itself depends on, checked again here so that a library caller who skips
 * the spec module still gets an error naming the field rather than a silent wrong schedule.
 */
export function checkMeasurementSettings(config: TrainConfig): void {
  const integerAtLeast = (field: keyof TrainConfig, minimum: number) => {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
      throw new Error(`${field} must be an integer >= ${minimum}, got ${JSON.stringify(value)}`);
    }
  };
  integerAtLeast('epochs', 1);
  integerAtLeast('curve_every', 1);
  integerAtLeast('lambda_max_every', 0);
  integerAtLeast('test_mse_every', 0);
  integerAtLeast('lanczos_max_iter', 2);
  integerAtLeast('hutchinson_samples', 0);
  if (typeof config.lanczos_tol !== 'number' || !(config.lanczos_tol > 0) || !Number.isFinite(config.lanczos_tol)) {
    throw new Error(`lanczos_tol must be a number > 0, got ${JSON.stringify(config.lanczos_tol)}`);
  }
}
