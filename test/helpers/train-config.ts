import { TRAIN_DEFAULTS, type TrainConfig } from '../../src/model/index.js';

/** A TrainConfig from DESIGN.md's defaults plus the required fields; small and quick unless overridden. */
export function testConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    d: 3,
    n: 32,
    width: 16,
    eta: 0.1,
    epochs: 10,
    n_test: 100,
    data_seed: 0,
    init_seed: 0,
    ...overrides,
  };
}
