import { Matrix, EigenvalueDecomposition } from 'ml-matrix';
import type { Kernel } from '../../src/model/index.js';

/** The full Hessian of the kernel's loss, column j = H e_j from the kernel's Hessian-vector product. */
export function hessianByColumns(kernel: Kernel): Matrix {
  const size = kernel.params.length;
  const unit = new Float64Array(size);
  const column = new Float64Array(size);
  const hessian = Matrix.zeros(size, size);
  for (let j = 0; j < size; j++) {
    unit.fill(0);
    unit[j] = 1;
    kernel.hessianVectorProduct(unit, column);
    for (let i = 0; i < size; i++) hessian.set(i, j, column[i]);
  }
  return hessian;
}

/** Eigenvalues of a symmetric matrix (after symmetrising away rounding), ascending. */
export function symmetricEigenvalues(hessian: Matrix): number[] {
  const symmetric = hessian.add(hessian.transpose()).mul(0.5);
  return new EigenvalueDecomposition(symmetric, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => a - b);
}
