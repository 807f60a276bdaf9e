import type { TrainConfig } from '../model/index.js';

/**
 * Which epochs a task logs (DESIGN.md, curves): every curve_every epochs, every lambda_max_every
 * and test_mse_every epochs (0: those only at the end), and always the last epoch. Epoch 0 is the
 * initialisation. A measurement at an epoch off the curve_every grid still gets its curve row,
 * so no measured lambda_max or test MSE is dropped.
 */
export interface EpochSchedule {
  /** Logged epochs, ascending. */
  epochs: Int32Array;
  isLambdaEpoch(epoch: number): boolean;
  isTestEpoch(epoch: number): boolean;
}

export function epochSchedule(config: Pick<TrainConfig, 'epochs' | 'curve_every' | 'lambda_max_every' | 'test_mse_every'>): EpochSchedule {
  const { epochs, curve_every: curveEvery, lambda_max_every: lambdaEvery, test_mse_every: testEvery } = config;
  const isLambdaEpoch = (epoch: number) => epoch === epochs || (lambdaEvery > 0 && epoch % lambdaEvery === 0);
  const isTestEpoch = (epoch: number) => epoch === epochs || (testEvery > 0 && epoch % testEvery === 0);
  const logged: number[] = [];
  for (let epoch = 0; epoch <= epochs; epoch++) {
    if (epoch % curveEvery === 0 || isLambdaEpoch(epoch) || isTestEpoch(epoch)) logged.push(epoch);
  }
  return { epochs: Int32Array.from(logged), isLambdaEpoch, isTestEpoch };
}
