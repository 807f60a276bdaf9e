/**
 * What one finished task hands back (worker -> coordinator -> io writer): plain numbers for the
 * runs row and typed-array columns for its curves, neurons and (optionally) data rows, so that
 * the buffers can be transferred between threads without copying. Column names match
 * DESIGN.md's tables; the config columns and task_id are added by the coordinator.
 */

export type TaskStatus = 'ok' | 'diverged' | 'failed' | 'timeout';

/** The measured columns of a runs row; null where a measure does not apply or was not taken. */
export interface RunMeasures {
  status: TaskStatus;
  error: string | null;
  epochs_run: number;
  /** Epoch at which a non-finite loss appeared (diverged runs), else null. */
  diverged_epoch: number | null;
  train_loss: number | null;
  test_mse: number | null;
  test_risk: number | null;
  gen_gap: number | null;
  lambda_max: number | null;
  lambda_max_iters: number | null;
  lambda_max_residual: number | null;
  lambda_max_converged: boolean | null;
  eos_ratio: number | null;
  hessian_trace: number | null;
  hessian_trace_se: number | null;
  vg_norm: number | null;
  thm32_bound: number | null;
  /** Neurons with w = 0, left out of |f|_Vg. */
  vg_zero_neurons: number | null;
  data_radius: number | null;
  beta: number | null;
  clipped_epochs: number;
  neurons_dead: number | null;
  neurons_partial: number | null;
  neurons_full: number | null;
  median_activation_rate: number | null;
  kernel_used: string;
  wall_ms: number;
}

/**
 * curves rows of one task, one entry per logged epoch (0, curve_every, 2 curve_every, ..., and
 * the last epoch). NaN in lambda_max / test_mse means "not measured at this epoch" (null in Arrow).
 */
export interface CurveColumns {
  epoch: Int32Array;
  train_loss: Float64Array;
  grad_norm: Float64Array;
  /** 1 when the step taken from this epoch's state was clipped. */
  clipped: Uint8Array;
  neurons_dead: Int32Array;
  median_activation_rate: Float64Array;
  lambda_max: Float64Array;
  test_mse: Float64Array;
}

/** neurons rows of one task, one entry per hidden neuron k = 0..width-1. */
export interface NeuronColumns {
  activation_count: Int32Array;
  activation_rate: Float64Array;
  w_norm: Float64Array;
  b: Float64Array;
  /** Signed output weight. */
  v: Float64Array;
  /** a = |v| ||w||. */
  a: Float64Array;
  /** Threshold t = -b/||w|| (NaN, null in Arrow, when w = 0). */
  t: Float64Array;
  /** g(u, t), the empirical weight (NaN, null in Arrow, when w = 0 or for gelu). */
  g: Float64Array;
  /** Final w_k, width x d row-major (save.params). */
  w?: Float64Array;
  /** Initial values (save.init_params): w0 width x d row-major, b0, v0. */
  w0?: Float64Array;
  b0?: Float64Array;
  v0?: Float64Array;
}

/** data rows of one task (save.data): training split first, then the test split. */
export interface DataColumns {
  d: number;
  xTrain: Float64Array;
  yTrain: Float64Array;
  f0Train: Float64Array;
  xTest: Float64Array;
  yTest: Float64Array;
  f0Test: Float64Array;
}

export interface TaskResult {
  run: RunMeasures;
  curves: CurveColumns | null;
  neurons: NeuronColumns | null;
  data: DataColumns | null;
}

/**
 * A runs row with every measure null: the starting point of a diverged run's row, and the whole
 * row of a task that produced no result (it threw, its worker died, or it timed out).
 */
export function nullRunMeasures(fields: Pick<RunMeasures, 'status'> & Partial<RunMeasures>): RunMeasures {
  return {
    error: null,
    epochs_run: 0,
    diverged_epoch: null,
    train_loss: null,
    test_mse: null,
    test_risk: null,
    gen_gap: null,
    lambda_max: null,
    lambda_max_iters: null,
    lambda_max_residual: null,
    lambda_max_converged: null,
    eos_ratio: null,
    hessian_trace: null,
    hessian_trace_se: null,
    vg_norm: null,
    thm32_bound: null,
    vg_zero_neurons: null,
    data_radius: null,
    beta: null,
    clipped_epochs: 0,
    neurons_dead: null,
    neurons_partial: null,
    neurons_full: null,
    median_activation_rate: null,
    kernel_used: '',
    wall_ms: 0,
    ...fields,
  };
}
