import { performance } from 'node:perf_hooks';
import { makeDataset, type Dataset } from '../data/index.js';
import { hutchinsonTrace, LambdaMaxTracker, type LanczosResult, type TraceEstimate } from '../hessian/index.js';
import { lossScale, train, type Kernel, type TrainConfig, type TrainOutcome } from '../model/index.js';
import { neuronTheory, theorem32Bound, weightedVariationNorm } from '../theory/index.js';
import { summariseActivity } from './activity.js';
import { epochSchedule } from './schedule.js';
import { nullRunMeasures, type CurveColumns, type DataColumns, type NeuronColumns, type RunMeasures, type TaskResult } from './task-result.js';
import { checkMeasurementSettings } from './validate.js';

export interface SaveOptions {
  /** Final w_k per neuron in the neurons table. */
  params: boolean;
  /** Initial w0, b0, v0 per neuron. */
  init_params: boolean;
  /** The training and test data. */
  data: boolean;
}

/**
 * Trains one task and measures everything DESIGN.md's runs, curves and neurons tables hold.
 * Along the run (onEpoch, at the state after e steps, forward state cached by the kernel):
 * curve rows on the schedule of schedule.ts, lambda_max by warm-started Lanczos, test MSE.
 * At the end: test MSE/risk and gen_gap, the final lambda_max, Hutchinson's trace when asked,
 * activity summary, per-neuron geometry and g, |f|_Vg and Theorem 3.2's right-hand side (relu).
 * A diverged run returns its curves up to the divergence and nulls where nothing can be
 * measured; it does not throw. Bad measurement settings throw, naming the field.
 */
export function runTask(config: TrainConfig, save: SaveOptions): TaskResult {
  const started = performance.now();
  checkMeasurementSettings(config);
  const schedule = epochSchedule(config);
  const rows = schedule.epochs.length;
  const curves: CurveColumns = {
    epoch: new Int32Array(rows),
    train_loss: new Float64Array(rows),
    grad_norm: new Float64Array(rows),
    clipped: new Uint8Array(rows),
    neurons_dead: new Int32Array(rows),
    median_activation_rate: new Float64Array(rows),
    lambda_max: new Float64Array(rows).fill(Number.NaN),
    test_mse: new Float64Array(rows).fill(Number.NaN),
  };
  const counts = new Int32Array(config.width);
  const histogram = new Int32Array(config.n + 1);
  const testPredictions = new Float64Array(config.n_test);
  let tracker: LambdaMaxTracker | null = null;
  let lastLambda: LanczosResult | null = null;
  let lastTest: { mse: number; risk: number } | null = null;
  let row = 0;
  // Test MSE is measured along the run, so the data are made here and handed to train().
  const dataset = makeDataset(config);

  const outcome = train(config, {
    onEpoch(epoch, loss, gradNorm, clipped, kernel) {
      if (row >= rows || schedule.epochs[row] !== epoch) return;
      curves.epoch[row] = epoch;
      curves.train_loss[row] = loss;
      curves.grad_norm[row] = gradNorm;
      curves.clipped[row] = clipped ? 1 : 0;
      kernel.activationCounts(counts);
      const activity = summariseActivity(counts, config.n, histogram);
      curves.neurons_dead[row] = activity.dead;
      curves.median_activation_rate[row] = activity.medianRate;
      if (schedule.isLambdaEpoch(epoch)) {
        tracker ??= new LambdaMaxTracker(kernel, { tolerance: config.lanczos_tol, maxIterations: config.lanczos_max_iter });
        lastLambda = snapshot(tracker.measure());
        curves.lambda_max[row] = lastLambda.value;
      }
      if (schedule.isTestEpoch(epoch)) {
        lastTest = testErrors(kernel, dataset, testPredictions);
        curves.test_mse[row] = lastTest.mse;
      }
      row++;
    },
  }, dataset);
  const { kernel } = outcome;
  try {
    const data = save.data ? dataColumns(dataset) : null;
    if (outcome.status === 'diverged') {
      return {
        run: divergedMeasures(outcome, kernel, started),
        curves: truncateCurves(curves, row),
        neurons: null,
        data,
      };
    }
    const finalLambda = lastLambda as LanczosResult | null;
    const finalTest = lastTest as { mse: number; risk: number } | null;
    const trace =
      config.hutchinson_samples > 0
        ? hutchinsonTrace((v, out) => kernel.hessianVectorProduct(v, out), kernel.params.length, config.hutchinson_samples, [
            'hutchinson',
            config.data_seed,
            config.init_seed,
            kernel.params.length,
          ])
        : null;
    const { run, neurons } = finalMeasures(config, outcome, dataset, finalLambda, finalTest, trace, counts, histogram, save);
    run.wall_ms = performance.now() - started;
    return { run, curves, neurons, data };
  } finally {
    kernel.dispose();
  }
}

function snapshot(result: LanczosResult): LanczosResult {
  return { ...result };
}

function testErrors(kernel: Kernel, dataset: Dataset, predictions: Float64Array): { mse: number; risk: number } {
  kernel.predict(dataset.xTest, dataset.nTest, predictions);
  let squaredErrorF0 = 0;
  let squaredErrorNoisy = 0;
  for (let i = 0; i < dataset.nTest; i++) {
    squaredErrorF0 += (predictions[i] - dataset.f0Test[i]) ** 2;
    squaredErrorNoisy += (predictions[i] - dataset.yTest[i]) ** 2;
  }
  return { mse: squaredErrorF0 / dataset.nTest, risk: squaredErrorNoisy / dataset.nTest };
}

function truncateCurves(curves: CurveColumns, rows: number): CurveColumns {
  // slice, not subarray: each column must own its buffer to be transferred between threads.
  return {
    epoch: curves.epoch.slice(0, rows),
    train_loss: curves.train_loss.slice(0, rows),
    grad_norm: curves.grad_norm.slice(0, rows),
    clipped: curves.clipped.slice(0, rows),
    neurons_dead: curves.neurons_dead.slice(0, rows),
    median_activation_rate: curves.median_activation_rate.slice(0, rows),
    lambda_max: curves.lambda_max.slice(0, rows),
    test_mse: curves.test_mse.slice(0, rows),
  };
}

function dataColumns(dataset: Dataset): DataColumns {
  const { d, xTrain, yTrain, f0Train, xTest, yTest, f0Test } = dataset;
  return { d, xTrain, yTrain, f0Train, xTest, yTest, f0Test };
}

function emptyMeasures(kernel: Kernel, outcome: TrainOutcome): RunMeasures {
  return nullRunMeasures({ status: outcome.status, epochs_run: outcome.epochsRun, clipped_epochs: outcome.clippedEpochs, kernel_used: kernel.name });
}

function divergedMeasures(outcome: TrainOutcome, kernel: Kernel, started: number): RunMeasures {
  return { ...emptyMeasures(kernel, outcome), diverged_epoch: outcome.divergedAt, wall_ms: performance.now() - started };
}

/** null for NaN and infinities (a measure that could not be taken). */
function finiteOrNull(value: number | undefined | null): number | null {
  return value !== undefined && value !== null && Number.isFinite(value) ? value : null;
}

function finalMeasures(
  config: TrainConfig,
  outcome: TrainOutcome,
  dataset: Dataset,
  lambda: LanczosResult | null,
  test: { mse: number; risk: number } | null,
  trace: TraceEstimate | null,
  counts: Int32Array,
  histogram: Int32Array,
  save: SaveOptions,
): { run: RunMeasures; neurons: NeuronColumns } {
  const { kernel } = outcome;
  const { layout, params } = kernel;
  const { width, d, bOffset, vOffset, betaOffset } = layout;
  const run = emptyMeasures(kernel, outcome);
  const trainLoss = outcome.finalLoss;
  run.train_loss = finiteOrNull(trainLoss);
  run.test_mse = finiteOrNull(test?.mse);
  run.test_risk = finiteOrNull(test?.risk);
  // Mean squared training residual, whatever the loss convention: L = c * mean r^2.
  const trainMeanSquare = trainLoss / lossScale(config.loss);
  run.gen_gap = test ? finiteOrNull(test.risk - trainMeanSquare) : null;
  if (lambda) {
    run.lambda_max = finiteOrNull(lambda.value);
    run.lambda_max_iters = lambda.iterations;
    run.lambda_max_residual = finiteOrNull(lambda.residual);
    run.lambda_max_converged = lambda.converged;
    run.eos_ratio = finiteOrNull((config.eta * lambda.value) / 2);
  }
  if (trace) {
    run.hessian_trace = finiteOrNull(trace.trace);
    run.hessian_trace_se = finiteOrNull(trace.standardError);
  }
  run.data_radius = dataset.radius;
  run.beta = params[betaOffset];

  kernel.activationCounts(counts);
  const activity = summariseActivity(counts, config.n, histogram);
  run.neurons_dead = activity.dead;
  run.neurons_partial = activity.partial;
  run.neurons_full = activity.full;
  run.median_activation_rate = finiteOrNull(activity.medianRate);

  const theory = neuronTheory(params, layout, dataset.xTrain, config.n);
  if (config.activation === 'relu') {
    const vg = weightedVariationNorm(params, layout, theory);
    run.vg_norm = vg.vgNorm;
    run.vg_zero_neurons = vg.zeroNeurons;
    run.thm32_bound =
      run.lambda_max === null ? null : theorem32Bound({ lambdaMax: run.lambda_max, trainLoss, loss: config.loss, dataRadius: dataset.radius });
  } else {
    // g and the theorem need ReLU's positive homogeneity (DESIGN.md: null for gelu).
    theory.g.fill(Number.NaN);
  }

  const activationRate = new Float64Array(width);
  for (let k = 0; k < width; k++) activationRate[k] = counts[k] / config.n;
  const neurons: NeuronColumns = {
    activation_count: Int32Array.from(counts),
    activation_rate: activationRate,
    w_norm: theory.wNorm,
    b: params.slice(bOffset, bOffset + width),
    v: params.slice(vOffset, vOffset + width),
    a: theory.a,
    t: theory.t,
    g: theory.g,
  };
  if (save.params) neurons.w = params.slice(0, width * d);
  if (save.init_params) {
    const initial = outcome.initialParams;
    neurons.w0 = initial.slice(0, width * d);
    neurons.b0 = initial.slice(bOffset, bOffset + width);
    neurons.v0 = initial.slice(vOffset, vOffset + width);
  }
  return { run, neurons };
}
