/**
 * Curvature of the optimised loss: lambda_max by Lanczos (with its residual and convergence flag),
 * warm-started tracking along a run, and Hutchinson's trace estimate. The Hessian-vector product
 * itself belongs to the kernel (src/model, Kernel.hessianVectorProduct).
 */
export {
  lanczosLargest,
  LanczosWorkspace,
  type LanczosOptions,
  type LanczosResult,
  type LanczosWorkspaceOptions,
  type Matvec,
} from './lanczos.js';
export type { LanczosBackend } from './lanczos-vectors.js';
export { hutchinsonTrace, type TraceEstimate } from './hutchinson.js';
export { LambdaMaxTracker, type LambdaMaxSettings } from './tracker.js';
export { tridiagonalEigen, type TridiagonalWork } from './tridiagonal.js';
