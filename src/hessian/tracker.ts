import type { Kernel } from '../model/index.js';
import { LanczosWorkspace, lanczosLargest, type LanczosResult } from './lanczos.js';

export interface LambdaMaxSettings {
  /** lanczos_tol of the spec. */
  tolerance: number;
  /** lanczos_max_iter of the spec. */
  maxIterations: number;
}

/**
 * lambda_max of a kernel's loss Hessian measured repeatedly along a run: one Lanczos workspace for
 * all measurements (the thread's shared one, LanczosWorkspace.shared), and each measurement
 * warm-started from the previous top eigenvector (the Hessian moves little between measurements,
 * so the old eigenvector is already a good start).
 */
export class LambdaMaxTracker {
  private readonly workspace: LanczosWorkspace;
  private readonly previousVector: Float64Array;
  private hasPrevious = false;
  private readonly matvec: (vec: Float64Array, out: Float64Array) => void;

  constructor(
    private readonly kernel: Kernel,
    private readonly settings: LambdaMaxSettings,
  ) {
    const size = kernel.params.length;
    // The thread's shared workspace: the next task's tracker of the same shape takes it over.
    this.workspace = LanczosWorkspace.shared(size, settings.maxIterations);
    this.previousVector = new Float64Array(size);
    this.matvec = (vec, out) => kernel.hessianVectorProduct(vec, out);
  }

  /** lambda_max at the kernel's state of its last lossAndGradient call. */
  measure(): LanczosResult {
    const result = lanczosLargest(this.matvec, this.kernel.params.length, {
      tolerance: this.settings.tolerance,
      maxIterations: this.settings.maxIterations,
      workspace: this.workspace,
      startVector: this.hasPrevious ? this.previousVector : undefined,
    });
    if (Number.isFinite(result.value)) {
      this.previousVector.set(result.vector);
      this.hasPrevious = true;
    }
    return result;
  }
}
