import { makeDataset, type Dataset } from '../data/index.js';
import { lossScale, type TrainConfig } from './config.js';
import { gradientDescent, type EpochHook, type GradientDescentOutcome } from './gradient-descent.js';
import { initialParameters } from './init.js';
import type { Kernel } from './kernel.js';
import { createKernel } from './kernels.js';

export interface TrainHooks {
  /** Every epoch, with the kernel holding the state after `epoch` steps (forward state cached). */
  onEpoch?: (epoch: number, loss: number, gradNorm: number, clipped: boolean, kernel: Kernel) => void;
}

export interface TrainOutcome extends GradientDescentOutcome {
  dataset: Dataset;
  initialParams: Float64Array;
  /** The kernel, holding the final parameters and the forward state at them; the caller disposes it. */
  kernel: Kernel;
}

/** Sets up a task's data, network and kernel (nothing trained yet). */
export function prepareTraining(config: TrainConfig, dataset: Dataset = makeDataset(config)): { dataset: Dataset; initialParams: Float64Array; kernel: Kernel } {
  const initialParams = initialParameters(config.init_seed, config.d, config.width, config.init);
  const kernel = createKernel(config.kernel, { d: config.d, n: config.n, width: config.width, activation: config.activation });
  kernel.loadData(dataset.xTrain, dataset.yTrain);
  kernel.params.set(initialParams);
  return { dataset, initialParams, kernel };
}

/**
 * Trains one task: data and initial parameters from their seeds, then config.epochs steps of
 * full-batch gradient descent on the optimised loss (config.loss). A non-finite loss, gradient
 * or final parameter ends the run with status `diverged`; it never throws for that. A caller that
 * already holds the task's data (makeDataset(config)) may pass them instead of sampling them again.
 */
export function train(config: TrainConfig, hooks: TrainHooks = {}, dataset?: Dataset): TrainOutcome {
  const { dataset: data, initialParams, kernel } = prepareTraining(config, dataset);
  const onEpoch: EpochHook | undefined = hooks.onEpoch
    ? (epoch, loss, gradNorm, clipped) => hooks.onEpoch!(epoch, loss, gradNorm, clipped, kernel)
    : undefined;
  const outcome = gradientDescent(
    kernel,
    { eta: config.eta, weightDecay: config.weight_decay, clip: config.clip, lossScale: lossScale(config.loss), epochs: config.epochs },
    onEpoch,
  );
  if (outcome.status === 'ok' && !kernel.params.every(Number.isFinite)) {
    return { ...outcome, status: 'diverged', divergedAt: outcome.epochsRun, dataset: data, initialParams, kernel };
  }
  return { ...outcome, dataset: data, initialParams, kernel };
}
