/** Settings of one training task, as the spec module expands them (field names = spec fields). */
export type LossKind = 'half_mse' | 'mse';
export type ActivationKind = 'relu' | 'gelu';
export type InitKind = 'kaiming_normal' | 'torch_default';
export type TargetKind = 'linear' | 'hoelder' | 'caps';
export type KernelChoice = 'auto' | 'js' | 'wasm';

export interface TrainConfig {
  d: number;
  n: number;
  width: number;
  eta: number;
  epochs: number;
  weight_decay: number;
  /** Global-norm clipping threshold of the optimised loss's gradient; null: no clipping. */
  clip: number | null;
  loss: LossKind;
  activation: ActivationKind;
  init: InitKind;
  target: TargetKind;
  target_seed: number;
  /** Noise standard deviation of the labels. */
  sigma: number;
  n_test: number;
  curve_every: number;
  /** 0: only at the end. */
  lambda_max_every: number;
  lanczos_tol: number;
  lanczos_max_iter: number;
  hutchinson_samples: number;
  kernel: KernelChoice;
  /** 0: only at the end. */
  test_mse_every: number;
  data_seed: number;
  init_seed: number;
  /** caps target only: number of boundary-cap atoms and their depth eps (PAPER.md, lower bound). */
  caps_m?: number;
  caps_eps?: number;
}

/** The scale c of the optimised loss L = c/n sum r^2: 1/2 for the paper's half-MSE, 1 for MSELoss. */
export function lossScale(loss: LossKind): number {
  return loss === 'half_mse' ? 0.5 : 1;
}

/** Defaults of DESIGN.md's Decisions, for the fields that have one. */
export const TRAIN_DEFAULTS = {
  weight_decay: 0,
  clip: 50,
  loss: 'half_mse',
  activation: 'relu',
  init: 'kaiming_normal',
  target: 'linear',
  target_seed: 0,
  sigma: 1,
  n_test: 10000,
  curve_every: 100,
  lambda_max_every: 0,
  lanczos_tol: 1e-6,
  lanczos_max_iter: 100,
  hutchinson_samples: 0,
  kernel: 'auto',
  test_mse_every: 0,
} as const satisfies Partial<TrainConfig>;
