import type { LossKind } from '../model/index.js';

export interface Theorem32Inputs {
  /** lambda_max of the optimised loss's Hessian (as measured in the run). */
  lambdaMax: number;
  /** The optimised loss L at the same parameters (as reported in train_loss). */
  trainLoss: number;
  loss: LossKind;
  /** R = max ||x_i|| over the training inputs. */
  dataRadius: number;
}

/**
 * Right-hand side of Theorem 3.2 (PAPER.md): |f|_Vg <= lambda_max/2 - 1/2 + (R + 1) sqrt(2 L),
 * stated for the half-MSE L = 1/(2n) sum r^2. A `mse` run optimises twice that loss, whose
 * Hessian is twice as large, so its quantities are halved first: L_half = L/2, lambda_half = lambda/2.
 *
 * @example theorem32Bound({ lambdaMax: 2.2, trainLoss: 0.02, loss: 'half_mse', dataRadius: 1 })
 *          = 1.1 - 0.5 + 2 * sqrt(0.04) = 1.0
 */
export function theorem32Bound(inputs: Theorem32Inputs): number {
  const { lambdaHalf, lossHalf } = halfMseQuantities(inputs.lambdaMax, inputs.trainLoss, inputs.loss);
  return lambdaHalf / 2 - 0.5 + (inputs.dataRadius + 1) * Math.sqrt(2 * lossHalf);
}

/** lambda_max and L converted to the half-MSE convention of the theory. */
export function halfMseQuantities(lambdaMax: number, trainLoss: number, loss: LossKind): { lambdaHalf: number; lossHalf: number } {
  const factor = loss === 'mse' ? 0.5 : 1;
  return { lambdaHalf: lambdaMax * factor, lossHalf: trainLoss * factor };
}
