import type { Kernel } from './kernel.js';

export interface GradientDescentOptions {
  eta: number;
  weightDecay: number;
  /** Global-norm clipping threshold, or null for none. */
  clip: number | null;
  /** c in L = c/n sum r^2. */
  lossScale: number;
  epochs: number;
}

/** Called at every epoch e = 0..epochs with the state after e steps, before step e+1 is taken. */
export type EpochHook = (epoch: number, loss: number, gradNorm: number, clipped: boolean) => void;

export interface GradientDescentOutcome {
  status: 'ok' | 'diverged';
  /** Steps taken. */
  epochsRun: number;
  /** Epoch whose loss or gradient was non-finite, or -1. */
  divergedAt: number;
  /** How many steps were clipped. */
  clippedEpochs: number;
  /** Loss at the final state (NaN when diverged). */
  finalLoss: number;
  finalGradNorm: number;
}

/**
 * Full-batch gradient descent with exact global-norm clipping and weight decay (DESIGN.md,
 * Decisions): g = grad L; if ||g|| > clip then g <- g * clip/||g||; p <- p - eta (g + wd p).
 * Written so that a mse run with (eta, wd, clip) and a half_mse run with (2 eta, wd/2, clip/2)
 * perform the same floating-point operations up to exact powers of two, hence end bit-identical.
 * No allocation: everything lives in the kernel's buffers.
 */
export function gradientDescent(kernel: Kernel, options: GradientDescentOptions, onEpoch?: EpochHook): GradientDescentOutcome {
  const { eta, weightDecay, clip, lossScale, epochs } = options;
  let clippedEpochs = 0;
  for (let epoch = 0; ; epoch++) {
    const loss = kernel.lossAndGradient(lossScale);
    const gradNorm = Math.sqrt(kernel.gradientNormSquared());
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      return { status: 'diverged', epochsRun: epoch, divergedAt: epoch, clippedEpochs, finalLoss: loss, finalGradNorm: gradNorm };
    }
    const clipped = epoch < epochs && clip !== null && gradNorm > clip;
    onEpoch?.(epoch, loss, gradNorm, clipped);
    if (epoch === epochs) {
      return { status: 'ok', epochsRun: epochs, divergedAt: -1, clippedEpochs, finalLoss: loss, finalGradNorm: gradNorm };
    }
    const scale = clipped ? (clip as number) / gradNorm : 1;
    if (clipped) clippedEpochs++;
    kernel.descend(eta, scale, weightDecay);
  }
}
