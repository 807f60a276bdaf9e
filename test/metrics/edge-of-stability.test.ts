import { describe, expect, it } from 'vitest';
import { runTask, type TaskResult } from '../../src/metrics/index.js';
import { TRAIN_DEFAULTS, type LossKind, type TrainConfig } from '../../src/model/index.js';

/** Issue 10, item 6: d = 5, n = 64, width 256 (4n); a small test set, whose size does not matter here. */
function config(seed: number, overrides: Partial<TrainConfig>): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    d: 5,
    n: 64,
    width: 256,
    epochs: 3000,
    n_test: 200,
    curve_every: 3000,
    data_seed: seed,
    init_seed: seed,
    ...overrides,
  } as TrainConfig;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Per-neuron activation counts at initialisation, recomputed from w0, b0 and the saved inputs. */
function countsAtInit(result: TaskResult, d: number, n: number, width: number): number[] {
  const { w0, b0 } = result.neurons!;
  const x = result.data!.xTrain;
  return Array.from({ length: width }, (_, k) => {
    let count = 0;
    for (let i = 0; i < n; i++) {
      let z = b0![k];
      for (let j = 0; j < d; j++) z += w0![k * d + j] * x[i * d + j];
      if (z > 0) count++;
    }
    return count;
  });
}

describe('edge of stability and neural shattering (eta = 0.9, 3000 epochs, 5 seeds)', () => {
  for (const loss of ['half_mse', 'mse'] as LossKind[]) {
    it(`${loss}: lambda_max starts far above 2/eta, ends with median eta*lambda_max/2 within 20% of 1; most active neurons fire on <= 10% of points`, () => {
      const eosRatios: number[] = [];
      const shatteredShares: number[] = [];
      for (let seed = 0; seed < 5; seed++) {
        const result = runTask(config(seed, { eta: 0.9, loss, lambda_max_every: 3000 }), { params: false, init_params: false, data: false });
        expect(result.run.status).toBe('ok');
        // lambda_max at initialisation (curve row 0) is well above 2/eta ~ 2.2.
        expect(result.curves!.lambda_max[0]).toBeGreaterThan(10);
        eosRatios.push(result.run.eos_ratio!);
        const rates = Array.from(result.neurons!.activation_rate).filter((rate) => rate > 0);
        shatteredShares.push(rates.filter((rate) => rate <= 0.1).length / rates.length);
      }
      expect(Math.abs(median(eosRatios) - 1)).toBeLessThan(0.2);
      expect(median(shatteredShares)).toBeGreaterThan(0.5);
    }, 60_000);
  }

  it('with weight decay 0.1 and eta 0.01, at most 1% of the neurons alive at init die', () => {
    for (let seed = 0; seed < 5; seed++) {
      const result = runTask(config(seed, { eta: 0.01, weight_decay: 0.1, loss: 'mse' }), { params: false, init_params: true, data: true });
      const initial = countsAtInit(result, 5, 64, 256);
      const final = result.neurons!.activation_count;
      const alive = initial.filter((count) => count > 0).length;
      const died = initial.filter((count, k) => count > 0 && final[k] === 0).length;
      expect(alive).toBeGreaterThan(200);
      expect(died).toBeLessThanOrEqual(0.01 * alive);
    }
  }, 60_000);
});
