/**
 * Deterministic synthetic task results for the io tests: every value is a function of the task
 * index (and a variant number, for re-runs), so a test can rebuild what any task wrote.
 */
import type { TaskResult, TaskStatus } from '../../src/metrics/task-result.js';
import type { ConfigValue, TableOptions } from '../../src/io/index.js';

export const OPTIONS: TableOptions = {
  configColumns: [
    { name: 'd', type: 'int32' },
    { name: 'n', type: 'int32' },
    { name: 'eta', type: 'float64' },
    { name: 'clip', type: 'float64' },
    { name: 'optim', type: 'utf8' },
    { name: 'flag', type: 'bool' },
  ],
  saveParams: true,
  saveInitParams: true,
  saveData: true,
};

export const PLAIN_OPTIONS: TableOptions = { configColumns: OPTIONS.configColumns };

export interface TaskShape {
  d: number;
  width: number;
  curveRows: number;
  nTrain: number;
  nTest: number;
}

export const SMALL: TaskShape = { d: 3, width: 5, curveRows: 4, nTrain: 6, nTest: 7 };

/** A hash-like id so that commit order and task_id order differ. */
export function taskId(index: number): string {
  let h = (index + 1) * 0x9e3779b1;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return `${(h >>> 0).toString(16).padStart(8, '0')}-${index}`;
}

/** mulberry32: a tiny seeded generator, enough for test values. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function floats(next: () => number, length: number, nanEvery = 0): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = nanEvery > 0 && i % nanEvery === 1 ? Number.NaN : next() * 10;
  return out;
}

const STATUSES: TaskStatus[] = ['ok', 'ok', 'diverged', 'failed', 'timeout'];

export function taskConfig(index: number): Record<string, ConfigValue> {
  return {
    d: 1 + (index % 5),
    n: 32 << (index % 3),
    eta: 0.01 * (index + 1),
    clip: index % 2 === 0 ? 50 : null,
    optim: index % 3 === 0 ? 'gd' : index % 3 === 1 ? null : 'wd é∑',
    flag: index % 4 === 0 ? null : index % 4 === 1,
  };
}

/** The result task `index` returns; `variant` changes every value (a re-run that came out differently). */
export function taskResult(index: number, shape: TaskShape = SMALL, variant = 0, options: TableOptions = OPTIONS): TaskResult {
  const next = generator(index * 7919 + variant * 104729 + 1);
  const status = variant > 0 ? 'ok' : STATUSES[index % STATUSES.length];
  const failed = status === 'failed' || status === 'timeout';
  const { d, width, curveRows, nTrain, nTest } = shape;
  const epoch = new Int32Array(curveRows);
  const clipped = new Uint8Array(curveRows);
  const neuronsDead = new Int32Array(curveRows);
  for (let i = 0; i < curveRows; i++) {
    epoch[i] = i * 100;
    clipped[i] = (i + index) % 3 === 0 ? 1 : 0;
    neuronsDead[i] = (i * 7 + index) % (width + 1);
  }
  const activationCount = new Int32Array(width);
  for (let k = 0; k < width; k++) activationCount[k] = (k * 13 + index) % (nTrain + 1);
  return {
    run: {
      status,
      error: failed ? `Error: task ${index} blew up\n  at line "${variant}"` : null,
      epochs_run: 100 * curveRows,
      diverged_epoch: status === 'diverged' ? 17 + index : null,
      train_loss: failed ? null : next(),
      test_mse: failed ? null : next(),
      test_risk: next(),
      gen_gap: next(),
      lambda_max: index % 2 === 0 ? next() * 100 : null,
      lambda_max_iters: index % 2 === 0 ? 12 + index : null,
      lambda_max_residual: index % 2 === 0 ? 1e-7 * next() : null,
      lambda_max_converged: index % 2 === 0 ? index % 4 === 0 : null,
      eos_ratio: next(),
      hessian_trace: null,
      hessian_trace_se: null,
      vg_norm: next(),
      thm32_bound: next(),
      vg_zero_neurons: index % 3,
      data_radius: 1 + next(),
      beta: next(),
      clipped_epochs: index,
      neurons_dead: failed ? null : index % width,
      neurons_partial: failed ? null : 2,
      neurons_full: failed ? null : 1,
      median_activation_rate: failed ? null : 0.5 + next() / 10,
      kernel_used: index % 2 === 0 ? 'js' : 'wasm',
      wall_ms: 1000 + index + variant,
    },
    curves: failed ? null : {
      epoch,
      train_loss: floats(next, curveRows),
      grad_norm: floats(next, curveRows),
      clipped,
      neurons_dead: neuronsDead,
      median_activation_rate: floats(next, curveRows),
      lambda_max: floats(next, curveRows, 2),
      test_mse: floats(next, curveRows, 3),
    },
    neurons: failed ? null : {
      activation_count: activationCount,
      activation_rate: floats(next, width),
      w_norm: floats(next, width),
      b: floats(next, width),
      v: floats(next, width),
      a: floats(next, width),
      t: floats(next, width, 3),
      g: floats(next, width, 2),
      ...(options.saveParams ? { w: floats(next, width * d) } : {}),
      ...(options.saveInitParams ? { w0: floats(next, width * d), b0: floats(next, width), v0: floats(next, width) } : {}),
    },
    data: failed || !options.saveData ? null : {
      d,
      xTrain: floats(next, nTrain * d),
      yTrain: floats(next, nTrain),
      f0Train: floats(next, nTrain),
      xTest: floats(next, nTest * d),
      yTest: floats(next, nTest),
      f0Test: floats(next, nTest),
    },
  };
}
