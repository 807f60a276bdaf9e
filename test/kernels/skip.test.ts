import { beforeEach, describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { createJsKernel, gradientDescent, initialParameters, TRAIN_DEFAULTS, type Kernel } from '../../src/model/index.js';
import { createSkipKernel } from '../../src/model/kernel-skip.js';
import { createWasmKernel } from '../../src/model/kernel-wasm.js';
import { RandomStream } from '../../src/rng/index.js';

/** An E1-like setting, small: mean-MSE, eta 0.9, d = 10, width 2n. */
const D = 10;
const N = 48;
const WIDTH = 96;
const E1 = { eta: 0.9, weightDecay: 0, clip: 50, lossScale: 1 };

const SKIPPING = {
  'js-skip': createSkipKernel,
  'wasm-skip': (shape: Parameters<typeof createSkipKernel>[0]) => createWasmKernel(shape, { skipping: true }),
};
let skippingName: keyof typeof SKIPPING = 'js-skip';

function kernels(params: Float64Array, seed = 1, [d, n, width] = [D, N, WIDTH]): { dense: Kernel; skip: Kernel } {
  const data = makeDataset({ ...TRAIN_DEFAULTS, d, n, n_test: 10, data_seed: seed });
  const shape = { d, n, width, activation: 'relu' as const };
  const dense = createJsKernel(shape);
  const skip = SKIPPING[skippingName](shape);
  for (const kernel of [dense, skip]) {
    kernel.loadData(data.xTrain, data.yTrain);
    kernel.params.set(params);
  }
  return { dense, skip };
}

/** Runs both kernels `epochs` steps, 100 at a time, asserting bitwise-equal parameters after each block. */
function runSideBySide(dense: Kernel, skip: Kernel, options: typeof E1, epochs: number): void {
  for (let done = 0; done < epochs; done += 100) {
    const a = gradientDescent(dense, { ...options, epochs: 100 });
    const b = gradientDescent(skip, { ...options, epochs: 100 });
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(b.clippedEpochs).toBe(a.clippedEpochs);
    expect(Array.from(skip.params)).toEqual(Array.from(dense.params));
  }
}

function expectSameState(dense: Kernel, skip: Kernel): void {
  expect(Array.from(skip.grad)).toEqual(Array.from(dense.grad));
  const countsDense = new Int32Array(WIDTH);
  const countsSkip = new Int32Array(WIDTH);
  dense.activationCounts(countsDense);
  skip.activationCounts(countsSkip);
  expect(Array.from(countsSkip)).toEqual(Array.from(countsDense));
  const stream = new RandomStream(['test', 'skip-hvp']);
  const direction = Float64Array.from({ length: dense.layout.size }, () => stream.normal());
  const hvDense = new Float64Array(dense.layout.size);
  const hvSkip = new Float64Array(dense.layout.size);
  dense.hessianVectorProduct(direction, hvDense);
  skip.hessianVectorProduct(direction, hvSkip);
  expect(Array.from(hvSkip)).toEqual(Array.from(hvDense));
}

/** A shattered state: the dense kernel trained 3000 epochs of E1 from its initialisation. */
function shatteredState(): Float64Array {
  const { dense } = kernels(initialParameters(7, D, WIDTH, 'kaiming_normal'));
  gradientDescent(dense, { ...E1, epochs: 3000 });
  return Float64Array.from(dense.params);
}

describe.each(Object.keys(SKIPPING) as Array<keyof typeof SKIPPING>)('%s (certified inactive pairs) against the dense TypeScript kernel', (name) => {
  beforeEach(() => {
    skippingName = name;
  });

  it('refuses gelu by name', () => {
    expect(() => SKIPPING[name]({ d: 2, n: 4, width: 3, activation: 'gelu' })).toThrow(/activation "relu".*"gelu"/);
  });

  it('bitwise the same parameters over 1000 epochs from init; same gradient, counts and HVP at the end', () => {
    const { dense, skip } = kernels(initialParameters(7, D, WIDTH, 'kaiming_normal'));
    runSideBySide(dense, skip, E1, 1000);
    expectSameState(dense, skip);
    expect(skip.name).toBe(name);
    expect(skip.pairsEvaluated!()).toBeLessThan(dense.pairsEvaluated!());
  });

  it('from a shattered state: bitwise over 1000 epochs while evaluating a small fraction of the pairs', () => {
    const state = shatteredState();
    const { dense, skip } = kernels(state);
    dense.lossAndGradient(1);
    const counts = new Int32Array(WIDTH);
    dense.activationCounts(counts);
    const dead = counts.filter((c) => c === 0).length;
    expect(dead / WIDTH).toBeGreaterThan(0.5);

    runSideBySide(dense, skip, E1, 1000);
    expectSameState(dense, skip);
    // After the first full evaluation, dead neurons and far-away points cost nothing.
    expect(skip.pairsEvaluated!() / dense.pairsEvaluated!()).toBeLessThan(0.2);
  });

  it('bitwise with weight decay and clipping firing, at a not-shattered setting (eta 0.2, half-MSE)', () => {
    const { dense, skip } = kernels(initialParameters(8, D, WIDTH, 'kaiming_normal'), 3);
    const options = { eta: 0.2, weightDecay: 1e-3, clip: 0.3, lossScale: 0.5 };
    runSideBySide(dense, skip, options, 500);
    expectSameState(dense, skip);
  });

  it.each([
    [3, 45, 37],
    [5, 93, 37],
  ] as Array<[number, number, number]>)('bitwise at (d, n, width) = (%i, %i, %i): an odd width, a point count off the eight-point blocks, odd d (lone full-pass neurons, leftover points; wasm-skip copies the inputs at d = 3 and gathers them at d = 5)', (...shape) => {
    const { dense, skip } = kernels(initialParameters(9, shape[0], shape[2], 'kaiming_normal'), 4, shape);
    runSideBySide(dense, skip, E1, 600);
    expect(Array.from(skip.grad)).toEqual(Array.from(dense.grad));
    const counts = [new Int32Array(shape[2]), new Int32Array(shape[2])];
    dense.activationCounts(counts[0]);
    skip.activationCounts(counts[1]);
    expect(Array.from(counts[1])).toEqual(Array.from(counts[0]));
    expect(skip.pairsEvaluated!()).toBeLessThan(dense.pairsEvaluated!());
  });

  it('follows dead neurons the caller revives by one bias or one weight coordinate (left alone for many epochs first)', () => {
    const state = shatteredState();
    const { dense, skip } = kernels(state);
    runSideBySide(dense, skip, E1, 300);
    const counts = new Int32Array(WIDTH);
    dense.activationCounts(counts);
    const dead = [...counts.keys()].filter((k) => counts[k] === 0);
    expect(dead.length).toBeGreaterThan(2);
    const { bOffset } = dense.layout;
    // One bias raised so that the neuron fires on some points; one weight coordinate of another
    // neuron turned so far that it does; the other parameters of both exactly as they were.
    const [byBias, byWeight] = dead;
    for (const kernel of [dense, skip]) {
      kernel.params[bOffset + byBias] = 0.5;
      kernel.params[byWeight * D] = 50;
    }
    expect(skip.lossAndGradient(1)).toBe(dense.lossAndGradient(1));
    expectSameState(dense, skip);
    dense.activationCounts(counts);
    expect(counts[byBias]).toBeGreaterThan(0);
    expect(counts[byWeight]).toBeGreaterThan(0);
    runSideBySide(dense, skip, E1, 100);
    expectSameState(dense, skip);
  });

  it('stays exact when weight decay is switched on and off between calls (dormant neurons shrink with the rest, then settle again)', () => {
    const { dense, skip } = kernels(shatteredState());
    runSideBySide(dense, skip, E1, 300);
    runSideBySide(dense, skip, { ...E1, weightDecay: 0.01 }, 100);
    runSideBySide(dense, skip, E1, 300);
    runSideBySide(dense, skip, { ...E1, eta: 0.5, clip: 1e-3 }, 100);
    expectSameState(dense, skip);
  });

  it('stays exact when the caller replaces the parameters between epochs', () => {
    const state = shatteredState();
    const { dense, skip } = kernels(state);
    runSideBySide(dense, skip, E1, 100);
    const stream = new RandomStream(['test', 'skip-jump']);
    for (let p = 0; p < state.length; p++) state[p] += 0.05 * stream.normal();
    dense.params.set(state);
    skip.params.set(state);
    runSideBySide(dense, skip, E1, 200);
    expectSameState(dense, skip);
  });
});
