import { describe, expect, it } from 'vitest';
import { sampleUniformBall } from '../../src/data/index.js';
import { lanczosLargest } from '../../src/hessian/index.js';
import { runTask } from '../../src/metrics/index.js';
import { createJsKernel, initialParameters, networkLayout, TRAIN_DEFAULTS, type Kernel, type TrainConfig } from '../../src/model/index.js';
import { RandomStream } from '../../src/rng/index.js';
import { neuronTheory, theorem32Bound, weightedVariationNorm } from '../../src/theory/index.js';
import { bruteVgNorm, toPoints } from './brute-force.js';

interface RandomNetwork {
  d: number;
  n: number;
  width: number;
  x: Float64Array;
  params: Float64Array;
  radius: number;
}

/**
 * A random ReLU network on n random points of the unit ball: Kaiming init of width 1..30 rescaled
 * by e^N(0,1), or (small) width 1..3 rescaled by U(0.05, 0.5), the regime where the bound is
 * nearly tight (lambda_max ~ 1 + O(scale^2) and |f|_Vg = O(scale^2)).
 */
function randomNetwork(d: number, index: number, small = false): RandomNetwork {
  const stream = new RandomStream(['test', 'theorem32', d, index, small]);
  const width = 1 + Math.floor(stream.uniform() * (small ? 3 : 30));
  const n = 10 + Math.floor(stream.uniform() * 100);
  const x = sampleUniformBall(stream, n, d, new Float64Array(n * d));
  const params = initialParameters(index, d, width, 'kaiming_normal');
  const scale = small ? 0.05 + 0.45 * stream.uniform() : Math.exp(stream.normal());
  for (let p = 0; p < params.length; p++) params[p] *= scale;
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let normSq = 0;
    for (let j = 0; j < d; j++) normSq += x[i * d + j] ** 2;
    radius = Math.max(radius, Math.sqrt(normSq));
  }
  return { d, n, width, x, params, radius };
}

function kernelFor(net: RandomNetwork, labels: Float64Array): Kernel {
  const kernel = createJsKernel({ d: net.d, n: net.n, width: net.width, activation: 'relu' });
  kernel.params.set(net.params);
  kernel.loadData(net.x, labels);
  return kernel;
}

/** lambda_max and L of the loss with scale c (1/2: half-MSE, 1: mse) at the kernel's parameters. */
function curvature(kernel: Kernel, scale: number): { lambdaMax: number; loss: number } {
  const loss = kernel.lossAndGradient(scale);
  const result = lanczosLargest((v, out) => kernel.hessianVectorProduct(v, out), kernel.params.length, {
    tolerance: 1e-11,
    maxIterations: 400,
  });
  expect(result.converged).toBe(true);
  return { lambdaMax: result.value, loss };
}

/** Both conventions: the bound of a mse run, converted, must equal the half-MSE one. */
function bothBounds(kernel: Kernel, radius: number): { half: number; mse: number } {
  const half = curvature(kernel, 0.5);
  const mse = curvature(kernel, 1);
  return {
    half: theorem32Bound({ lambdaMax: half.lambdaMax, trainLoss: half.loss, loss: 'half_mse', dataRadius: radius }),
    mse: theorem32Bound({ lambdaMax: mse.lambdaMax, trainLoss: mse.loss, loss: 'mse', dataRadius: radius }),
  };
}

function vgOf(net: RandomNetwork): number {
  const layout = networkLayout(net.d, net.width);
  return weightedVariationNorm(net.params, layout, neuronTheory(net.params, layout, net.x, net.n)).vgNorm;
}

describe('Theorem 3.2: |f|_Vg <= lambda_max/2 - 1/2 + (R+1) sqrt(2L)', () => {
  it('holds on 300 random networks with noisy labels, d in {1, 2, 5, 10}, both losses; vg_norm = brute-force sum', () => {
    let checked = 0;
    for (const d of [1, 2, 5, 10]) {
      for (let index = 0; index < 75; index++) {
        const net = randomNetwork(d, index);
        const stream = new RandomStream(['test', 'theorem32-labels', d, index]);
        const labels = new Float64Array(net.n).map(() => stream.normal());
        const kernel = kernelFor(net, labels);
        const vg = vgOf(net);
        const brute = bruteVgNorm(net.params, d, net.width, toPoints(net.x, net.n, d));
        expect(Math.abs(vg - brute)).toBeLessThanOrEqual(1e-12 * Math.max(1, brute));
        const bounds = bothBounds(kernel, net.radius);
        expect(vg).toBeLessThanOrEqual(bounds.half * (1 + 1e-9));
        expect(Math.abs(bounds.mse - bounds.half)).toBeLessThanOrEqual(1e-9 * Math.abs(bounds.half));
        checked++;
      }
    }
    expect(checked).toBe(300);
  });

  it('is nearly tight, and still holds, on networks whose labels are their own outputs (zero residual)', () => {
    let largestRatio = 0;
    for (const d of [1, 2, 5, 10]) {
      const ratios: number[] = [];
      for (let index = 0; index < 40; index++) {
        const net = randomNetwork(d, 1000 + index, index % 2 === 0);
        const kernel = createJsKernel({ d, n: net.n, width: net.width, activation: 'relu' });
        kernel.params.set(net.params);
        const ownOutputs = kernel.predict(net.x, net.n, new Float64Array(net.n));
        kernel.loadData(net.x, ownOutputs);
        const bounds = bothBounds(kernel, net.radius);
        const vg = vgOf(net);
        // lambda_max >= 1 (the beta direction), so the bound is >= 0 up to rounding of lambda/2 - 1/2.
        expect(vg).toBeLessThanOrEqual(bounds.half * (1 + 1e-9) + 1e-12);
        expect(Math.abs(bounds.mse - bounds.half)).toBeLessThanOrEqual(1e-9 * Math.abs(bounds.half) + 1e-12);
        if (bounds.half > 1e-9) ratios.push(vg / bounds.half);
      }
      // A g that is too small would pass the bound: the tightest networks show it is not.
      // Largest ratios seen: 0.93 (d=1), 0.97 (d=2), 0.89 (d=5), 0.81 (d=10).
      expect(Math.max(...ratios)).toBeGreaterThan(0.75);
      largestRatio = Math.max(largestRatio, ...ratios);
    }
    expect(largestRatio).toBeGreaterThan(0.95);
  });

  it('holds on 20 trained networks (runTask columns), both losses, with vg_norm = brute force on the saved parameters', () => {
    for (let index = 0; index < 20; index++) {
      const d = [1, 2, 5, 10][index % 4];
      const loss = index % 2 === 0 ? 'half_mse' : 'mse';
      const config = {
        ...TRAIN_DEFAULTS,
        d,
        n: 32,
        width: 64,
        eta: loss === 'mse' ? 0.1 : 0.2,
        epochs: 400,
        loss,
        n_test: 50,
        curve_every: 400,
        lanczos_tol: 1e-10,
        lanczos_max_iter: 300,
        data_seed: index,
        init_seed: index,
      } as TrainConfig;
      const result = runTask(config, { params: true, init_params: false, data: true });
      const run = result.run;
      expect(run.status).toBe('ok');
      expect(run.vg_norm).not.toBeNull();
      expect(run.vg_norm!).toBeLessThanOrEqual(run.thm32_bound! * (1 + 1e-9));
      const { w, b, v } = result.neurons!;
      const params = new Float64Array(64 * d + 2 * 64 + 1);
      params.set(w!, 0);
      params.set(b, 64 * d);
      params.set(v, 64 * d + 64);
      const brute = bruteVgNorm(params, d, 64, toPoints(result.data!.xTrain, 32, d));
      expect(Math.abs(run.vg_norm! - brute)).toBeLessThanOrEqual(1e-12 * Math.max(1, brute));
    }
  });
});

describe('|f|_Vg in reduced form', () => {
  const d = 3;
  const base = randomNetwork(d, 7);
  const layout = networkLayout(d, base.width);

  /** The base network plus extra neurons (w, b, v), beta kept. */
  function withExtra(extra: { w: number[]; b: number; v: number }[]): RandomNetwork {
    const width = base.width + extra.length;
    const out = new Float64Array(networkLayout(d, width).size);
    const K = base.width;
    out.set(base.params.subarray(0, K * d), 0);
    extra.forEach((e, i) => out.set(e.w, (K + i) * d));
    out.set(base.params.subarray(layout.bOffset, layout.bOffset + K), width * d);
    extra.forEach((e, i) => (out[width * d + K + i] = e.b));
    out.set(base.params.subarray(layout.vOffset, layout.vOffset + K), width * d + width);
    extra.forEach((e, i) => (out[width * d + width + K + i] = e.v));
    out[width * d + 2 * width] = base.params[layout.betaOffset];
    return { ...base, width, params: out };
  }

  const w0 = Array.from(base.params.subarray(0, d));
  const b0 = base.params[layout.bOffset];
  const baseVg = vgOf(base);

  it('merges neurons with equal (u, t): a cancelling pair adds nothing', () => {
    // c relu(w.x + b) - (c/2) relu(2w.x + 2b) = 0 as a function.
    const cancelling = withExtra([
      { w: [0.3, -0.4, 0.5], b: 0.1, v: 1.7 },
      { w: [0.6, -0.8, 1.0], b: 0.2, v: -0.85 },
    ]);
    expect(vgOf(cancelling)).toBeCloseTo(baseVg, 12);
    // Without merging the pair would count twice.
    expect(bruteVgNorm(cancelling.params, d, cancelling.width, toPoints(base.x, base.n, d))).toBeGreaterThan(baseVg + 0.01);
  });

  it('a neuron split into two copies along the same (u, t) counts once', () => {
    const split = withExtra([{ w: w0.map((c) => 2 * c), b: 2 * b0, v: 0.5 }]);
    const layoutSplit = networkLayout(d, split.width);
    const result = weightedVariationNorm(split.params, layoutSplit, neuronTheory(split.params, layoutSplit, base.x, base.n));
    expect(result.distinctNeurons).toBe(base.width);
    // Equivalent to adding 0.5 * 2 = 1 to neuron 0's coefficient v_0 ||w_0||... in units of ||w_0||.
    const merged = Float64Array.from(base.params);
    merged[layout.vOffset] += 1;
    expect(result.vgNorm).toBeCloseTo(vgOf({ ...base, params: merged }), 12);
  });

  it('leaves out and counts neurons with w = 0', () => {
    const withZeros = withExtra([
      { w: [0, 0, 0], b: 0.5, v: 3 },
      { w: [0, 0, 0], b: -1, v: 2 },
    ]);
    const layoutZeros = networkLayout(d, withZeros.width);
    const theory = neuronTheory(withZeros.params, layoutZeros, base.x, base.n);
    const result = weightedVariationNorm(withZeros.params, layoutZeros, theory);
    expect(result.zeroNeurons).toBe(2);
    expect(result.vgNorm).toBeCloseTo(baseVg, 12);
    expect(theory.t[base.width]).toBeNaN();
    expect(theory.g[base.width + 1]).toBeNaN();
  });
});
