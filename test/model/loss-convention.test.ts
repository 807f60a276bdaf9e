import { describe, expect, it } from 'vitest';
import { train, type TrainConfig } from '../../src/model/index.js';
import { testConfig } from '../helpers/train-config.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function run(config: TrainConfig) {
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const clippedFlags: boolean[] = [];
  const outcome = train(config, {
    onEpoch: (_epoch, loss, gradNorm, clipped) => {
      losses.push(loss);
      gradNorms.push(gradNorm);
      clippedFlags.push(clipped);
    },
  });
  const params = Float64Array.from(outcome.kernel.params);
  outcome.kernel.dispose();
  return { outcome, params, losses, gradNorms, clippedFlags };
}

/**
 * GD on mean-MSE with (eta, wd, clip) is GD on half-MSE with (2 eta, wd/2, clip/2) (PAPER.md,
 * loss convention). Every factor is a power of two, so with exact clipping the two runs perform
 * the same roundings and must agree bit for bit, not merely closely.
 */
describe('mse (eta, wd, clip) and half_mse (2 eta, wd/2, clip/2) are one run', () => {
  const base = { d: 3, n: 64, width: 64, epochs: 500, weight_decay: 0.01, activation: 'relu' as const, data_seed: 3, init_seed: 4 };
  const cases: [string, number, 'relu' | 'gelu'][] = [
    ['clipping firing', 1.5, 'relu'],
    ['clipping not firing', 1e4, 'relu'],
    ['clipping firing, gelu', 1.5, 'gelu'],
  ];

  it.each(cases)('%s: bit-identical parameters after 500 epochs', (label, clip, activation) => {
    const eta = 0.4;
    const meanRun = run(testConfig({ ...base, activation, loss: 'mse', eta, weight_decay: base.weight_decay, clip }));
    const halfRun = run(testConfig({ ...base, activation, loss: 'half_mse', eta: 2 * eta, weight_decay: base.weight_decay / 2, clip: clip / 2 }));

    expect(meanRun.outcome.status).toBe('ok');
    expect(halfRun.outcome.status).toBe('ok');
    if (label.startsWith('clipping firing')) {
      // Both branches of the step are exercised: some epochs clipped, some not.
      expect(meanRun.outcome.clippedEpochs).toBeGreaterThan(0);
      expect(meanRun.outcome.clippedEpochs).toBeLessThan(500);
    } else {
      expect(meanRun.outcome.clippedEpochs).toBe(0);
    }
    expect(halfRun.outcome.clippedEpochs).toBe(meanRun.outcome.clippedEpochs);
    expect(halfRun.clippedFlags).toEqual(meanRun.clippedFlags);
    // The run moved: the final state is not the initial one and the loss fell.
    expect(bytes(meanRun.params).equals(bytes(meanRun.outcome.initialParams))).toBe(false);
    expect(meanRun.losses[500]).toBeLessThan(meanRun.losses[0]);

    expect(bytes(halfRun.params).equals(bytes(meanRun.params))).toBe(true);
    // The optimised losses and gradients differ by exactly the factor 2 at every epoch.
    expect(meanRun.losses).toEqual(halfRun.losses.map((l) => 2 * l));
    expect(meanRun.gradNorms).toEqual(halfRun.gradNorms.map((g) => 2 * g));
  });
});
