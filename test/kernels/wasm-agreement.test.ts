import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { createJsKernel, createKernel, gradientDescent, initialParameters, TRAIN_DEFAULTS, type ActivationKind, type Kernel } from '../../src/model/index.js';
import { createWasmKernel, wasmUnavailableReason } from '../../src/model/kernel-wasm.js';
import { RandomStream } from '../../src/rng/index.js';

/** Shapes with d = 1, odd n and widths (leftover points and a lone last neuron), and a wide one. */
const SHAPES: Array<[number, number, number]> = [
  [1, 33, 7],
  [2, 9, 3],
  [3, 50, 21],
  [5, 8, 1],
  [7, 17, 2],
  [10, 64, 40],
  [4, 257, 129],
];

function relativeL2(a: Float64Array, b: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

function pair(d: number, n: number, width: number, seed: number, activation: ActivationKind = 'relu'): { js: Kernel; wasm: Kernel; xTest: Float64Array } {
  const data = makeDataset({ ...TRAIN_DEFAULTS, d, n, n_test: 1100, data_seed: seed });
  const params = initialParameters(seed, d, width, 'kaiming_normal');
  const shape = { d, n, width, activation };
  const js = createJsKernel(shape);
  const wasm = createWasmKernel(shape);
  for (const kernel of [js, wasm]) {
    kernel.loadData(data.xTrain, data.yTrain);
    kernel.params.set(params);
  }
  return { js, wasm, xTest: data.xTest };
}

describe('the WASM kernel is built and chosen', () => {
  it('build/kernel.wasm loads (npm ci builds it through "prepare")', () => {
    expect(wasmUnavailableReason()).toBeNull();
  });

  it('auto picks wasm-skip for relu and wasm for gelu; skipping a gelu network is refused by name', () => {
    expect(createKernel('auto', { d: 2, n: 5, width: 3, activation: 'relu' }).name).toBe('wasm-skip');
    expect(createKernel('wasm', { d: 2, n: 5, width: 3, activation: 'relu' }).name).toBe('wasm');
    expect(createKernel('auto', { d: 2, n: 5, width: 3, activation: 'gelu' }).name).toBe('wasm');
    expect(createKernel('wasm', { d: 2, n: 5, width: 3, activation: 'gelu' }).name).toBe('wasm');
    expect(createKernel('js', { d: 2, n: 5, width: 3, activation: 'relu' }).name).toBe('js');
    expect(() => createWasmKernel({ d: 2, n: 5, width: 3, activation: 'gelu' }, { skipping: true })).toThrow(/"wasm-skip" needs activation "relu", not "gelu"/);
  });

  it('a network too large for a WebAssembly memory (4 GiB) is refused by name and size before anything is allocated', () => {
    const huge = { d: 2, n: 20000, width: 20000, activation: 'relu' as const };
    expect(() => createKernel('auto', huge)).toThrow(/kernel "wasm-skip" needs \d+\.\d GiB of WebAssembly memory at \(d, n, width\) = \(2, 20000, 20000\), above the 4 GiB .*kernel "js"/);
    expect(() => createKernel('wasm', huge)).toThrow(/kernel "wasm" needs \d+\.\d GiB/);
    expect(() => createKernel('wasm', { ...huge, activation: 'gelu' })).toThrow(/kernel "wasm" needs \d+\.\d GiB/);
  });
});

describe.each(SHAPES)('WASM vs TypeScript kernel at (d, n, width) = (%i, %i, %i)', (d, n, width) => {
  it('loss, gradient, activation counts, HVPs and predictions agree (to 1e-12, in fact bitwise)', () => {
    const { js, wasm, xTest } = pair(d, n, width, 3 + d);
    const stream = new RandomStream(['test', 'wasm-agreement', d, n, width]);
    const direction = Float64Array.from({ length: js.layout.size }, () => stream.normal());
    for (const lossScale of [0.5, 1]) {
      const lossJs = js.lossAndGradient(lossScale);
      const lossWasm = wasm.lossAndGradient(lossScale);
      expect(Math.abs(lossWasm - lossJs) / lossJs).toBeLessThanOrEqual(1e-12);
      expect(relativeL2(wasm.grad, js.grad)).toBeLessThanOrEqual(1e-12);
      expect(Array.from(wasm.grad)).toEqual(Array.from(js.grad));

      const countsJs = new Int32Array(width);
      const countsWasm = new Int32Array(width);
      js.activationCounts(countsJs);
      wasm.activationCounts(countsWasm);
      expect(Array.from(countsWasm)).toEqual(Array.from(countsJs));
      expect(countsJs.some((c) => c > 0 && c < n)).toBe(true);

      const hvJs = new Float64Array(js.layout.size);
      const hvWasm = new Float64Array(js.layout.size);
      js.hessianVectorProduct(direction, hvJs);
      wasm.hessianVectorProduct(direction, hvWasm);
      expect(relativeL2(hvWasm, hvJs)).toBeLessThanOrEqual(1e-12);
      expect(Array.from(hvWasm)).toEqual(Array.from(hvJs));
    }
    // 13 points: one chunk with padding; 1100: more than one chunk of the WASM predict, the last partial.
    for (const count of [13, 1100]) {
      const predJs = js.predict(xTest, count, new Float64Array(count));
      const predWasm = wasm.predict(xTest, count, new Float64Array(count));
      expect(Array.from(predWasm)).toEqual(Array.from(predJs));
      expect(predJs.every(Number.isFinite) && new Set(predJs).size > count / 2).toBe(true);
    }
  });

  it('one epoch, then 300 epochs of gradient descent (clipping and weight decay) end with the same parameters', () => {
    const { js, wasm } = pair(d, n, width, 11 + d);
    const options = { eta: 0.3, weightDecay: 1e-3, clip: 0.5, lossScale: 0.5, epochs: 1 };
    gradientDescent(js, options);
    gradientDescent(wasm, options);
    expect(relativeL2(wasm.params, js.params)).toBeLessThanOrEqual(1e-12);
    const longer = { ...options, epochs: 300 };
    const outcomeJs = gradientDescent(js, longer);
    const outcomeWasm = gradientDescent(wasm, longer);
    expect(outcomeWasm.clippedEpochs).toBe(outcomeJs.clippedEpochs);
    expect(Array.from(wasm.params)).toEqual(Array.from(js.params));
  });
});

describe.each(SHAPES)('GELU: WASM vs TypeScript kernel at (d, n, width) = (%i, %i, %i)', (d, n, width) => {
  // The two sides' Math.exp may differ in the last bit, so GELU agrees to rounding, not bitwise.
  it('loss, gradient, activation counts and HVPs agree to 1e-12 relative; one epoch, then 50, end within 1e-12 and 1e-10', () => {
    const { js, wasm } = pair(d, n, width, 5 + d, 'gelu');
    const stream = new RandomStream(['test', 'wasm-agreement-gelu', d, n, width]);
    const direction = Float64Array.from({ length: js.layout.size }, () => stream.normal());
    for (const lossScale of [0.5, 1]) {
      const lossJs = js.lossAndGradient(lossScale);
      const lossWasm = wasm.lossAndGradient(lossScale);
      expect(Math.abs(lossWasm - lossJs) / lossJs).toBeLessThanOrEqual(1e-12);
      expect(relativeL2(wasm.grad, js.grad)).toBeLessThanOrEqual(1e-12);
      const countsJs = new Int32Array(width);
      const countsWasm = new Int32Array(width);
      js.activationCounts(countsJs);
      wasm.activationCounts(countsWasm);
      expect(Array.from(countsWasm)).toEqual(Array.from(countsJs));
      const hvJs = new Float64Array(js.layout.size);
      const hvWasm = new Float64Array(js.layout.size);
      js.hessianVectorProduct(direction, hvJs);
      wasm.hessianVectorProduct(direction, hvWasm);
      expect(relativeL2(hvWasm, hvJs)).toBeLessThanOrEqual(1e-12);
    }
    const options = { eta: 0.3, weightDecay: 1e-3, clip: 0.5, lossScale: 0.5, epochs: 1 };
    gradientDescent(js, options);
    gradientDescent(wasm, options);
    expect(relativeL2(wasm.params, js.params)).toBeLessThanOrEqual(1e-12);
    gradientDescent(js, { ...options, epochs: 50 });
    gradientDescent(wasm, { ...options, epochs: 50 });
    expect(relativeL2(wasm.params, js.params)).toBeLessThanOrEqual(1e-10);
  });
});

describe('non-finite parameters', () => {
  // relu must be 0.5 (z + |z|) in every kernel: at z = -infinity it is NaN (max(z, 0) would give
  // 0), so a run whose weights overflow ends as diverged at the same epoch whatever the kernel.
  function runAll(setUp: (kernel: Kernel) => void) {
    const { js, wasm } = pair(3, 40, 6, 17);
    const skip = createKernel('auto', js.shape);
    skip.loadData(...datasetOf(3, 40, 17));
    skip.params.set(js.params);
    return [js, wasm, skip].map((kernel) => {
      setUp(kernel);
      const outcome = gradientDescent(kernel, { eta: 0.1, weightDecay: 0, clip: null, lossScale: 0.5, epochs: 3 });
      expect(kernel.name).toMatch(/^(js|wasm|wasm-skip)$/);
      return { status: outcome.status, divergedAt: outcome.divergedAt };
    });
  }

  it('a weight of +infinity (z = +-infinity) makes the loss non-finite at epoch 0 in the TS, WASM and skipping kernels alike', () => {
    const results = runAll((kernel) => {
      kernel.params.fill(0, 0, 3);
      kernel.params[0] = Infinity;
    });
    for (const result of results) {
      expect(result.status).toBe('diverged');
      expect(result.divergedAt).toBe(0);
    }
  });

  it('a bias of -infinity (z = -infinity everywhere) makes the loss NaN at epoch 0 in the TS, WASM and skipping kernels alike', () => {
    // relu(-infinity) = 0.5 (-infinity + infinity) = NaN: a full pass adds the term at every point.
    const results = runAll((kernel) => {
      kernel.params.fill(0, 0, 3);
      kernel.params[kernel.layout.bOffset] = -Infinity;
    });
    for (const result of results) {
      expect(result.status).toBe('diverged');
      expect(result.divergedAt).toBe(0);
    }
  });
});

function datasetOf(d: number, n: number, seed: number): [Float64Array, Float64Array] {
  const data = makeDataset({ ...TRAIN_DEFAULTS, d, n, n_test: 1100, data_seed: seed });
  return [data.xTrain, data.yTrain];
}
