import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { createJsKernel, gradientDescent, lossScale, networkLayout, TRAIN_DEFAULTS, type ActivationKind, type LossKind } from '../../src/model/index.js';
import { RandomStream } from '../../src/rng/index.js';
import { distanceToKink, referenceObjective } from '../helpers/reference-network.js';

const WIDTH = 7;
// Not a multiple of 4: the kernel's four-at-a-time loops also run their remainders.
const N = 13;

/** A random small network (not an init scheme's: v and b of order 1, so every term of the gradient matters). */
function randomNetwork(seed: number, d: number, width: number): Float64Array {
  const layout = networkLayout(d, width);
  const stream = new RandomStream(['test', 'gradient', seed, d, width]);
  const params = new Float64Array(layout.size);
  for (let p = 0; p < params.length; p++) params[p] = stream.normal();
  return params;
}

function problem(activation: ActivationKind, d: number, seed: number) {
  const data = makeDataset({ ...TRAIN_DEFAULTS, d, n: N, n_test: 1, data_seed: seed });
  const params = randomNetwork(seed, d, WIDTH);
  const kernel = createJsKernel({ d, n: N, width: WIDTH, activation });
  kernel.loadData(data.xTrain, data.yTrain);
  kernel.params.set(params);
  return { data, params, kernel };
}

/**
 * Central differences of the reference objective along each coordinate. ReLU: the objective is
 * quadratic in any one parameter between kinks, so a step below the distance to the nearest kink
 * (|x_ij| <= 1 in the unit ball) makes the difference exact up to rounding. GELU: Richardson
 * extrapolation of two central differences, error O(h^4).
 */
function finiteDifferenceGradient(objective: (p: Float64Array) => number, params: Float64Array, activation: ActivationKind, kinkDistance: number): Float64Array {
  const out = new Float64Array(params.length);
  const probe = Float64Array.from(params);
  const central = (p: number, h: number) => {
    probe[p] = params[p] + h;
    const plus = objective(probe);
    probe[p] = params[p] - h;
    const minus = objective(probe);
    probe[p] = params[p];
    return (plus - minus) / (2 * h);
  };
  for (let p = 0; p < params.length; p++) {
    if (activation === 'relu') {
      out[p] = central(p, Math.min(1e-4, 0.5 * kinkDistance));
    } else {
      const h = 1e-3;
      out[p] = (4 * central(p, h / 2) - central(p, h)) / 3;
    }
  }
  return out;
}

describe('gradient of the loss against central finite differences', () => {
  const cases: [ActivationKind, number, LossKind, number][] = [];
  for (const activation of ['relu', 'gelu'] as const)
    for (const d of [1, 3, 10])
      for (const loss of ['half_mse', 'mse'] as const) for (const weightDecay of [0, 0.1]) cases.push([activation, d, loss, weightDecay]);

  it.each(cases)('%s, d = %i, %s, weight decay %f: 1e-6 relative', (activation, d, loss, weightDecay) => {
    const seed = 100 * d + 10 * (activation === 'gelu' ? 1 : 0) + 2 * (loss === 'mse' ? 1 : 0) + (weightDecay > 0 ? 1 : 0);
    const { data, params, kernel } = problem(activation, d, seed);
    const c = lossScale(loss);
    const objective = (p: Float64Array) => referenceObjective(p, d, WIDTH, activation, data.xTrain, data.yTrain, c, weightDecay);

    const kernelLoss = kernel.lossAndGradient(c);
    // The kernel's loss is the optimised loss without the weight-decay term (DESIGN.md, Decisions).
    const plainLoss = referenceObjective(params, d, WIDTH, activation, data.xTrain, data.yTrain, c);
    expect(Math.abs(kernelLoss - plainLoss) / plainLoss).toBeLessThan(1e-14);

    // The direction one GD step with weight decay follows: grad L + wd * p.
    const analytic = Float64Array.from(kernel.grad, (g, p) => g + weightDecay * params[p]);
    if (activation === 'relu') {
      // Only meaningful if the network has both active and inactive (point, neuron) pairs.
      const counts = new Int32Array(WIDTH);
      kernel.activationCounts(counts);
      const active = counts.reduce((a, b) => a + b, 0);
      expect(active).toBeGreaterThan(0);
      expect(active).toBeLessThan(WIDTH * N);
    }
    const kinkDistance = distanceToKink(params, d, WIDTH, data.xTrain, N);
    expect(kinkDistance).toBeGreaterThan(1e-9);
    const numeric = finiteDifferenceGradient(objective, params, activation, kinkDistance);

    let normSq = 0;
    let errorSq = 0;
    let largest = 0;
    for (let p = 0; p < params.length; p++) {
      normSq += analytic[p] ** 2;
      errorSq += (analytic[p] - numeric[p]) ** 2;
      largest = Math.max(largest, Math.abs(analytic[p]));
    }
    expect(Math.sqrt(errorSq / normSq)).toBeLessThan(1e-6);
    // Componentwise too; entries far below the largest (a dead ReLU neuron's exact zeros) are
    // judged against 1e-6 of the largest entry, where the differences' rounding lives.
    for (let p = 0; p < params.length; p++) {
      const scale = Math.max(Math.abs(analytic[p]), 1e-3 * largest);
      expect(Math.abs(analytic[p] - numeric[p]) / scale, `parameter ${p}`).toBeLessThan(1e-6);
    }
  });
});

describe('one gradient-descent step', () => {
  const cases: [ActivationKind, LossKind, string, number | null][] = [
    ['relu', 'half_mse', 'not firing', 1e6],
    ['relu', 'mse', 'firing', 0.05],
    ['gelu', 'half_mse', 'firing', 0.05],
    ['gelu', 'mse', 'off (null)', null],
  ];

  it.each(cases)('%s, %s, clipping %s: p1 = p0 - eta (s g + wd p0) with s = min(1, clip/||g||)', (activation, loss, _label, clip) => {
    const d = 3;
    const eta = 0.3;
    const weightDecay = 0.05;
    const { params, kernel } = problem(activation, d, 7);
    const c = lossScale(loss);
    const probe = createJsKernel(kernel.shape);
    const data = makeDataset({ ...TRAIN_DEFAULTS, d, n: N, n_test: 1, data_seed: 7 });
    probe.loadData(data.xTrain, data.yTrain);
    probe.params.set(params);
    probe.lossAndGradient(c);
    const g = Float64Array.from(probe.grad);
    const gradNorm = Math.hypot(...g);
    const shouldClip = clip !== null && gradNorm > clip;
    expect(shouldClip).toBe(clip === 0.05);

    const seen: [number, number, boolean][] = [];
    const outcome = gradientDescent(kernel, { eta, weightDecay, clip, lossScale: c, epochs: 1 }, (epoch, _loss, norm, clipped) => seen.push([epoch, norm, clipped]));
    expect(outcome.status).toBe('ok');
    expect(outcome.clippedEpochs).toBe(shouldClip ? 1 : 0);
    expect(seen.map((s) => s[0])).toEqual([0, 1]);
    expect(seen[0][2]).toBe(shouldClip);
    expect(Math.abs(seen[0][1] - gradNorm) / gradNorm).toBeLessThan(1e-14);

    const scale = shouldClip ? (clip as number) / gradNorm : 1;
    let stepNormSq = 0;
    for (let p = 0; p < params.length; p++) {
      const expected = params[p] - eta * (scale * g[p] + weightDecay * params[p]);
      expect(Math.abs(kernel.params[p] - expected)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(expected)));
      // The gradient part of the step, recovered from the parameters: its norm is clip when clipped.
      stepNormSq += ((params[p] - kernel.params[p]) / eta - weightDecay * params[p]) ** 2;
    }
    expect(Math.abs(Math.sqrt(stepNormSq) - scale * gradNorm) / (scale * gradNorm)).toBeLessThan(1e-9);
  });
});
