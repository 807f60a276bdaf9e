import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { createJsKernel, gradientDescent, networkLayout, TRAIN_DEFAULTS, type Kernel, type KernelShape } from '../../src/model/index.js';
import { createSkipKernel } from '../../src/model/kernel-skip.js';
import { createWasmKernel } from '../../src/model/kernel-wasm.js';
import { RandomStream } from '../../src/rng/index.js';
import { referenceReluGradient, referenceReluHvp } from '../helpers/reference-network.js';

// Pair lists (kernel-js.ts, "Pair lists"): a ReLU neuron live on more than half the points sums
// over its dead points and subtracts them from totals over all points. These tests hold every
// kernel's gradient and HVP to a direct sum over the live pairs, on networks whose neurons range
// from dead to live everywhere, and the skipping kernels to the dense one bit for bit where
// neurons cross the half-way mark from one epoch to the next.

const D = 3;
// Not a multiple of 8 or of 4, and an odd width: the vectorised loops' remainders run too.
const N = 45;
const WIDTH = 11;

const KERNELS: Record<string, (shape: KernelShape) => Kernel> = {
  js: createJsKernel,
  'js-skip': createSkipKernel,
  wasm: (shape) => createWasmKernel(shape),
  'wasm-skip': (shape) => createWasmKernel(shape, { skipping: true }),
};

/** Random w and v; biases `bias(k)`, so that neurons range from live nowhere to live everywhere. */
function network(seed: number, bias: (k: number) => number): Float64Array {
  const layout = networkLayout(D, WIDTH);
  const stream = new RandomStream(['test', 'pair-lists', seed]);
  const params = new Float64Array(layout.size);
  for (let p = 0; p < params.length; p++) params[p] = stream.normal();
  for (let k = 0; k < WIDTH; k++) params[layout.bOffset + k] = bias(k);
  return params;
}

const data = makeDataset({ ...TRAIN_DEFAULTS, d: D, n: N, n_test: 1, data_seed: 3 });

function kernelAt(name: string, params: Float64Array): Kernel {
  const kernel = KERNELS[name]({ d: D, n: N, width: WIDTH, activation: 'relu' });
  kernel.loadData(data.xTrain, data.yTrain);
  kernel.params.set(params);
  return kernel;
}

/** Every entry within 1e-12 of the scale of its terms (the sum of their absolute values) of the reference. */
function expectClose(actual: Float64Array, expected: Float64Array, scale: Float64Array): void {
  let worst = 0;
  for (let p = 0; p < expected.length; p++) worst = Math.max(worst, Math.abs(actual[p] - expected[p]) / (scale[p] + 1e-300));
  expect(worst).toBeLessThan(1e-12);
}

const NETWORKS: [string, (k: number) => number][] = [
  ['biases from -2 to 2 (activity from none to all)', (k) => -2 + (4 * k) / (WIDTH - 1)],
  ['every neuron live everywhere (empty dead lists)', () => 5],
  ['every neuron dead everywhere', () => -5],
];

describe.each(Object.keys(KERNELS))('kernel %s: sums over dead points give the live sums', (name) => {
  it.each(NETWORKS)('%s: gradient and HVP match direct sums over the live pairs to 1e-12 of their terms', (_, bias) => {
    for (const seed of [1, 2]) {
      const params = network(seed, bias);
      const kernel = kernelAt(name, params);
      const lossScale = seed === 1 ? 0.5 : 1;
      kernel.lossAndGradient(lossScale);
      const counts = new Int32Array(WIDTH);
      kernel.activationCounts(counts);
      const gradient = referenceReluGradient(params, D, WIDTH, data.xTrain, data.yTrain, lossScale);
      expectClose(kernel.grad, gradient.grad, gradient.scale);
      const stream = new RandomStream(['test', 'pair-lists', 'vec', seed]);
      const vec = Float64Array.from(params, () => stream.normal());
      const out = new Float64Array(params.length);
      kernel.hessianVectorProduct(vec, out);
      const hvp = referenceReluHvp(params, D, WIDTH, data.xTrain, data.yTrain, lossScale, vec);
      expectClose(out, hvp.hvp, hvp.scale);
      if (bias(0) === -2) {
        // The spread network has neurons on both sides of half-live, so both kinds of list ran.
        expect(counts.filter((c) => 2 * c > N).length).toBeGreaterThanOrEqual(3);
        expect(counts.filter((c) => c > 0 && 2 * c < N).length).toBeGreaterThanOrEqual(3);
      }
    }
  });
});

describe('neurons crossing half-live between epochs', () => {
  // GD at a large step from the spread network: activity shifts from epoch to epoch, so the side a
  // neuron listed last epoch is often not the side it needs now (the WASM forward lists last
  // epoch's side); weight decay at a small step keeps most pairs live, as in E2's second arm.
  const RUNS = [
    ['eta 0.2, no weight decay', { eta: 0.2, weightDecay: 0, clip: 50, lossScale: 0.5 }],
    ['eta 0.01, weight decay 0.1', { eta: 0.01, weightDecay: 0.1, clip: null, lossScale: 0.5 }],
  ] as const;
  it.each(RUNS)('%s: js, wasm and both skipping kernels end with the same bits over 600 epochs', (_, options) => {
    const params = network(5, (k) => -1 + (2 * k) / (WIDTH - 1));
    const kernels = Object.keys(KERNELS).map((name) => kernelAt(name, params));
    const crossings = new Set<number>();
    const before = new Int32Array(WIDTH);
    const after = new Int32Array(WIDTH);
    for (let block = 0; block < 60; block++) {
      kernels[0].activationCounts(before);
      const losses = kernels.map((kernel) => gradientDescent(kernel, { ...options, epochs: 10 }).finalLoss);
      kernels[0].activationCounts(after);
      for (let k = 0; k < WIDTH; k++) if (2 * before[k] > N !== 2 * after[k] > N) crossings.add(k);
      for (const loss of losses) expect(loss).toBe(losses[0]);
      for (const kernel of kernels.slice(1)) expect(Array.from(kernel.params)).toEqual(Array.from(kernels[0].params));
    }
    // The runs do exercise the switch between lists.
    if (options.weightDecay === 0) expect(crossings.size).toBeGreaterThanOrEqual(2);
  });
});

describe('a neuron whose bias is moved by hand between calls, from dead to live on most points', () => {
  it('the skipping kernels follow it (re-anchoring, changing its side): gradient and HVP bitwise those of the dense kernel', () => {
    // d = 1, points spread over [0.5, 1]; neuron 0 is w = 1 with a bias moved by hand between
    // calls: dead (b = -1.1), further away (b = -1.7), then back up by 1.15 (b = -0.55), live on
    // ~90% of the points, so that it lists its dead points from then on.
    const n = 41;
    const shape = { d: 1, n, width: 3, activation: 'relu' as const };
    const x = Float64Array.from({ length: n }, (_, i) => 0.5 + (0.5 * i) / (n - 1));
    const y = Float64Array.from(x, (t) => Math.sin(3 * t));
    const layout = networkLayout(1, 3);
    const params = Float64Array.from([1, -0.7, 0.4, -1.1, 0.3, 0.2, 0.8, -0.5, 0.6, 0.1]);
    expect(params.length).toBe(layout.size);
    const kernels = [createJsKernel(shape), createWasmKernel(shape, { skipping: true }), createSkipKernel(shape)];
    for (const kernel of kernels) kernel.loadData(x, y);
    const vec = Float64Array.from(params, (_, p) => Math.cos(p));
    const bias = [-1.1, -1.1, -1.1, -1.7, -0.55, -0.55];
    for (const b of bias) {
      params[layout.bOffset] = b;
      const results = kernels.map((kernel) => {
        kernel.params.set(params);
        const loss = kernel.lossAndGradient(0.5);
        const out = new Float64Array(params.length);
        kernel.hessianVectorProduct(vec, out);
        return { loss, grad: Array.from(kernel.grad), hvp: Array.from(out) };
      });
      for (const result of results.slice(1)) expect(result).toEqual(results[0]);
    }
    const counts = new Int32Array(3);
    kernels[1].activationCounts(counts);
    expect(2 * counts[0]).toBeGreaterThan(n);
    const reference = referenceReluGradient(params, 1, 3, x, y, 0.5);
    expectClose(kernels[1].grad, reference.grad, reference.scale);
  });
});

describe('skipping under weight decay, most pairs live', () => {
  it('wasm-skip certifies the live points of dead-list neurons: bitwise the dense result, with under a quarter of the pairs evaluated', () => {
    // E2's weight-decay arm in small: eta 0.01, weight decay 0.1, biases raised so that most
    // neurons are live on most points (they list their few dead ones) and move slowly.
    const d = 2;
    const n = 64;
    const width = 256;
    const shape = { d, n, width, activation: 'relu' as const };
    const set = makeDataset({ ...TRAIN_DEFAULTS, d, n, n_test: 1, data_seed: 4 });
    const layout = networkLayout(d, width);
    const stream = new RandomStream(['test', 'pair-lists', 'weight-decay']);
    const params = Float64Array.from({ length: layout.size }, () => stream.normal() / 4);
    for (let k = 0; k < width; k++) params[layout.bOffset + k] = 1 + stream.normal() / 4;
    const dense = createJsKernel(shape);
    const skip = createWasmKernel(shape, { skipping: true });
    for (const kernel of [dense, skip]) {
      kernel.loadData(set.xTrain, set.yTrain);
      kernel.params.set(params);
    }
    const options = { eta: 0.01, weightDecay: 0.1, clip: null, lossScale: 0.5, epochs: 100 };
    let evaluatedBefore = 0;
    for (let block = 0; block < 4; block++) {
      evaluatedBefore = skip.pairsEvaluated!();
      expect(gradientDescent(skip, options).finalLoss).toBe(gradientDescent(dense, options).finalLoss);
      expect(Array.from(skip.params)).toEqual(Array.from(dense.params));
    }
    const counts = new Int32Array(width);
    skip.activationCounts(counts);
    expect(counts.filter((c) => 2 * c > n).length).toBeGreaterThan(width / 2);
    const share = (skip.pairsEvaluated!() - evaluatedBefore) / (100 * n * width);
    expect(share).toBeLessThan(0.25);
  });
});
