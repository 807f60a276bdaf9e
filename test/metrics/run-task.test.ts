import { describe, expect, it } from 'vitest';
import { lanczosLargest } from '../../src/hessian/index.js';
import { runTask, type TaskResult } from '../../src/metrics/index.js';
import { createJsKernel, createKernel, gelu, initialParameters, lossScale, TRAIN_DEFAULTS, type TrainConfig } from '../../src/model/index.js';
import { bruteG, toPoints } from '../theory/brute-force.js';

const save = { params: true, init_params: true, data: true };

function config(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    ...TRAIN_DEFAULTS,
    d: 3,
    n: 40,
    width: 32,
    eta: 0.2,
    epochs: 250,
    n_test: 200,
    data_seed: 1,
    init_seed: 2,
    ...overrides,
  } as TrainConfig;
}

/** Rebuilds the final parameter vector from the neurons table and beta. */
function finalParams(result: TaskResult, d: number, width: number): Float64Array {
  const { w, b, v } = result.neurons!;
  const params = new Float64Array(width * (d + 2) + 1);
  params.set(w!, 0);
  params.set(b, width * d);
  params.set(v, width * d + width);
  params[width * (d + 2)] = result.run.beta!;
  return params;
}

/** f(x) by the definition, sum_k v_k phi(w_k.x + b_k) + beta, one point at a time. */
function naivePredict(params: Float64Array, d: number, width: number, x: Float64Array, count: number, activation: 'relu' | 'gelu'): number[] {
  return Array.from({ length: count }, (_, i) => {
    let f = params[width * (d + 2)];
    for (let k = 0; k < width; k++) {
      let z = params[width * d + k];
      for (let j = 0; j < d; j++) z += params[k * d + j] * x[i * d + j];
      f += params[width * d + width + k] * (activation === 'relu' ? Math.max(z, 0) : gelu(z));
    }
    return f;
  });
}

const meanSquare = (a: number[], b: Float64Array) => a.reduce((sum, ai, i) => sum + (ai - b[i]) ** 2, 0) / a.length;

describe('runTask: curves', () => {
  const cfg = config({ curve_every: 100, lambda_max_every: 60, test_mse_every: 125 });
  const result = runTask(cfg, save);

  it('logs epoch 0, every curve_every, every lambda_max_every and test_mse_every epoch, and the last', () => {
    expect(Array.from(result.curves!.epoch)).toEqual([0, 60, 100, 120, 125, 180, 200, 240, 250]);
    const measuredLambda = Array.from(result.curves!.epoch).filter((_, row) => !Number.isNaN(result.curves!.lambda_max[row]));
    expect(measuredLambda).toEqual([0, 60, 120, 180, 240, 250]);
    const measuredTest = Array.from(result.curves!.epoch).filter((_, row) => !Number.isNaN(result.curves!.test_mse[row]));
    expect(measuredTest).toEqual([0, 125, 250]);
  });

  it('row 0 is the initialisation and the last row the final state, recomputed independently', () => {
    const { d, n, width } = cfg;
    const x = result.data!.xTrain;
    const y = result.data!.yTrain;
    const init = initialParameters(cfg.init_seed, d, width, cfg.init);
    const initLoss = lossScale(cfg.loss) * meanSquare(naivePredict(init, d, width, x, n, 'relu'), y);
    expect(result.curves!.train_loss[0]).toBeCloseTo(initLoss, 12);
    const final = finalParams(result, d, width);
    const finalLoss = lossScale(cfg.loss) * meanSquare(naivePredict(final, d, width, x, n, 'relu'), y);
    expect(result.run.train_loss!).toBeCloseTo(finalLoss, 12);
    expect(result.curves!.train_loss[result.curves!.epoch.length - 1]).toBe(result.run.train_loss);
    const testPredictions = naivePredict(final, d, width, result.data!.xTest, cfg.n_test, 'relu');
    expect(result.run.test_mse!).toBeCloseTo(meanSquare(testPredictions, result.data!.f0Test), 12);
    expect(result.run.test_risk!).toBeCloseTo(meanSquare(testPredictions, result.data!.yTest), 12);
    expect(result.run.gen_gap!).toBeCloseTo(result.run.test_risk! - finalLoss / lossScale(cfg.loss), 12);
    expect(result.curves!.test_mse[result.curves!.epoch.length - 1]).toBe(result.run.test_mse);
  });

  it('the final lambda_max agrees with a cold-started Lanczos at the final parameters, and eos_ratio = eta lambda / 2', () => {
    const kernel = createJsKernel({ d: cfg.d, n: cfg.n, width: cfg.width, activation: 'relu' });
    kernel.params.set(finalParams(result, cfg.d, cfg.width));
    kernel.loadData(result.data!.xTrain, result.data!.yTrain);
    kernel.lossAndGradient(lossScale(cfg.loss));
    const cold = lanczosLargest((v, out) => kernel.hessianVectorProduct(v, out), kernel.params.length, { tolerance: 1e-12, maxIterations: 500 });
    const run = result.run;
    expect(run.lambda_max_converged).toBe(true);
    expect(run.lambda_max_residual!).toBeLessThanOrEqual(cfg.lanczos_tol * run.lambda_max!);
    expect(Math.abs(run.lambda_max! - cold.value)).toBeLessThanOrEqual(run.lambda_max_residual! + 1e-10);
    expect(run.eos_ratio).toBeCloseTo((cfg.eta * run.lambda_max!) / 2, 14);
    expect(run.lambda_max_iters!).toBeGreaterThan(0);
  });

  it('clipped flags the steps that were clipped, grad_norm is before clipping, and their count is clipped_epochs', () => {
    const clipCfg = config({ clip: 0.3, curve_every: 1, epochs: 120 });
    const clipped = runTask(clipCfg, save);
    const { clipped: flags, grad_norm: gradNorm, epoch } = clipped.curves!;
    expect(epoch.length).toBe(121);
    let count = 0;
    for (let row = 0; row < epoch.length; row++) {
      const expected = row < 120 && gradNorm[row] > 0.3;
      expect(flags[row]).toBe(expected ? 1 : 0);
      count += flags[row];
    }
    expect(count).toBe(clipped.run.clipped_epochs);
    expect(count).toBeGreaterThan(0);
  });
});

describe('runTask: runs and neurons columns', () => {
  const cfg = config({ hutchinson_samples: 8 });
  const result = runTask(cfg, save);
  const { d, n, width } = cfg;

  it('neurons: counts, rates, norms, a, t and g recomputed from the saved parameters and data', () => {
    const final = finalParams(result, d, width);
    const x = result.data!.xTrain;
    const points = toPoints(x, n, d);
    const neurons = result.neurons!;
    for (let k = 0; k < width; k++) {
      const w = Array.from(final.subarray(k * d, (k + 1) * d));
      const norm = Math.hypot(...w);
      let count = 0;
      for (let i = 0; i < n; i++) if (w.reduce((z, wj, j) => z + wj * x[i * d + j], final[width * d + k]) > 0) count++;
      expect(neurons.activation_count[k]).toBe(count);
      expect(neurons.activation_rate[k]).toBe(count / n);
      expect(neurons.w_norm[k]).toBeCloseTo(norm, 14);
      expect(neurons.a[k]).toBeCloseTo(Math.abs(neurons.v[k]) * norm, 14);
      expect(neurons.t[k]).toBeCloseTo(-neurons.b[k] / norm, 14);
      expect(neurons.g[k]).toBeCloseTo(bruteG(points, w.map((c) => c / norm), -neurons.b[k] / norm), 14);
    }
    const init = initialParameters(cfg.init_seed, d, width, cfg.init);
    expect(Array.from(neurons.w0!)).toEqual(Array.from(init.subarray(0, width * d)));
    expect(Array.from(neurons.v0!)).toEqual(Array.from(init.subarray(width * d + width, width * d + 2 * width)));
  });

  it('runs: activity summary, radius, trace and the theory columns', () => {
    const run = result.run;
    const counts = Array.from(result.neurons!.activation_count);
    expect(run.neurons_dead).toBe(counts.filter((c) => c === 0).length);
    expect(run.neurons_full).toBe(counts.filter((c) => c === n).length);
    expect(run.neurons_partial).toBe(width - run.neurons_dead! - run.neurons_full!);
    const active = counts.filter((c) => c > 0).sort((a, b) => a - b);
    const middle = active.length >> 1;
    const median = (active.length % 2 ? active[middle] : (active[middle - 1] + active[middle]) / 2) / n;
    expect(run.median_activation_rate).toBe(median);
    const x = result.data!.xTrain;
    const radius = Math.max(...Array.from({ length: n }, (_, i) => Math.hypot(...x.subarray(i * d, (i + 1) * d))));
    expect(run.data_radius).toBeCloseTo(radius, 14);
    expect(run.hessian_trace).not.toBeNull();
    expect(run.hessian_trace_se!).toBeGreaterThan(0);
    expect(run.vg_norm!).toBeGreaterThan(0);
    expect(run.vg_norm!).toBeLessThanOrEqual(run.thm32_bound!);
    expect(run.vg_zero_neurons).toBe(0);
    // kernel 'auto': whichever kernel createKernel picks for this shape ran and is named.
    expect(run.kernel_used).toBe(createKernel('auto', { d, n, width, activation: 'relu' }).name);
    expect(runTask(config({ kernel: 'js', epochs: 5 }), save).run.kernel_used).toBe('js');
    expect(run.wall_ms).toBeGreaterThan(0);
    expect(run.status).toBe('ok');
    expect(run.diverged_epoch).toBeNull();
  });

  it('is deterministic apart from wall time', () => {
    const again = runTask(cfg, save);
    expect({ ...again, run: { ...again.run, wall_ms: 0 } }).toEqual({ ...result, run: { ...result.run, wall_ms: 0 } });
  });

  it('leaves out what save does not ask for, and the trace when hutchinson_samples is 0', () => {
    const bare = runTask(config({ epochs: 20 }), { params: false, init_params: false, data: false });
    expect(bare.neurons!.w).toBeUndefined();
    expect(bare.neurons!.w0).toBeUndefined();
    expect(bare.data).toBeNull();
    expect(bare.run.hessian_trace).toBeNull();
    expect(bare.run.hessian_trace_se).toBeNull();
  });

  it('gelu: theory columns null, g NaN, curvature still measured', () => {
    const geluResult = runTask(config({ activation: 'gelu', epochs: 50 }), save);
    expect(geluResult.run.vg_norm).toBeNull();
    expect(geluResult.run.thm32_bound).toBeNull();
    expect(geluResult.run.vg_zero_neurons).toBeNull();
    expect(geluResult.neurons!.g.every(Number.isNaN)).toBe(true);
    expect(geluResult.run.lambda_max!).toBeGreaterThan(0);
    const final = finalParams(geluResult, 3, 32);
    const predictions = naivePredict(final, 3, 32, geluResult.data!.xTest, 200, 'gelu');
    expect(geluResult.run.test_mse!).toBeCloseTo(meanSquare(predictions, geluResult.data!.f0Test), 12);
  });
});

describe('runTask: divergence and bad settings', () => {
  it('a diverged run returns its curves up to the divergence and nulls elsewhere, without throwing', () => {
    const cfg = config({ eta: 200, clip: null, epochs: 400, curve_every: 1, lambda_max_every: 5 });
    const result = runTask(cfg, { params: true, init_params: false, data: true });
    const run = result.run;
    expect(run.status).toBe('diverged');
    expect(run.diverged_epoch).toBeGreaterThan(0);
    expect(run.epochs_run).toBe(run.diverged_epoch);
    const epochs = result.curves!.epoch;
    expect(epochs.length).toBe(run.diverged_epoch);
    expect(epochs[epochs.length - 1]).toBe(run.diverged_epoch! - 1);
    expect(result.curves!.train_loss.every(Number.isFinite)).toBe(true);
    for (const column of Object.values(result.curves!)) {
      // Each column owns its buffer, so the worker can transfer it.
      expect((column as Float64Array).byteLength).toBe((column as Float64Array).buffer.byteLength);
    }
    for (const field of ['train_loss', 'test_mse', 'test_risk', 'gen_gap', 'lambda_max', 'eos_ratio', 'vg_norm', 'thm32_bound', 'neurons_dead', 'beta'] as const) {
      expect(run[field]).toBeNull();
    }
    expect(typeof run.clipped_epochs).toBe('number');
    expect(result.neurons).toBeNull();
    expect(result.data).not.toBeNull();
  });

  it('refuses bad measurement settings, naming the field', () => {
    const none = { params: false, init_params: false, data: false };
    expect(() => runTask(config({ curve_every: 0 }), none)).toThrow(/curve_every must be an integer >= 1, got 0/);
    expect(() => runTask(config({ lambda_max_every: -1 }), none)).toThrow(/lambda_max_every/);
    expect(() => runTask(config({ lanczos_tol: 0 }), none)).toThrow(/lanczos_tol must be a number > 0/);
    expect(() => runTask(config({ lanczos_max_iter: 1 }), none)).toThrow(/lanczos_max_iter/);
    expect(() => runTask(config({ hutchinson_samples: 1.5 }), none)).toThrow(/hutchinson_samples/);
  });
});
