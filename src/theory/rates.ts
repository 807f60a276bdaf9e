/**
 * Exponents of the paper's rates (PAPER.md, "Rates"): a rate n^(-e) is returned as e, logs and
 * d-dependent constants hidden. The report compares fitted slopes of log error vs log n to them.
 */

function checkDimension(d: number): void {
  if (!Number.isInteger(d) || d < 1) throw new Error(`rates: d must be an integer >= 1, got ${d}`);
}

/** Upper bound on the generalisation gap of flat (stable) solutions: n^(-1/(2d+4)). */
export function flatGapUpperExponent(d: number): number {
  checkDimension(d);
  return 1 / (2 * d + 4);
}

/** Minimax lower bound on the generalisation gap: n^(-2/(d+1)). */
export function flatGapLowerExponent(d: number): number {
  checkDimension(d);
  return 2 / (d + 1);
}

/** Upper bound on the estimation error (MSE vs f0) of optimised stable minima: n^(-1/(2d+4)), i.e. n^(-1/6) at d = 1. */
export function estimationUpperExponent(d: number): number {
  checkDimension(d);
  return 1 / (2 * d + 4);
}

/** Minimax lower bound on the estimation error: n^(-2/(d+1)) for d > 1, n^(-1/2) for d = 1. */
export function estimationLowerExponent(d: number): number {
  checkDimension(d);
  return d === 1 ? 1 / 2 : 2 / (d + 1);
}

/** Generalisation gap of low-norm (weight-decay) solutions: n^(-1/4) whatever d. */
export function weightDecayGapExponent(): number {
  return 1 / 4;
}
