export * from './config.js';
export { networkLayout, type NetworkLayout } from './layout.js';
export { erf, erfc, normalCdf, normalPdf, gelu, geluDerivative, geluSecondDerivative, relu } from './activation.js';
export { initialParameters } from './init.js';
export type { Kernel, KernelShape, KernelFactory } from './kernel.js';
export { createJsKernel } from './kernel-js.js';
export { createKernel } from './kernels.js';
export { gradientDescent, type GradientDescentOptions, type GradientDescentOutcome, type EpochHook } from './gradient-descent.js';
export { train, prepareTraining, type TrainHooks, type TrainOutcome } from './train.js';
