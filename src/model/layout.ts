/**
 * Memory layout of one two-layer network f(x) = sum_k v_k phi(w_k . x + b_k) + beta
 * in a single Float64Array of length K(d+2)+1 (K = width):
 *
 *   [0, K*d)            W, row-major K x d: w_k occupies [k*d, (k+1)*d)
 *   [K*d, K*d+K)        b, the hidden biases
 *   [K*d+K, K*d+2K)     v, the output weights
 *   K*d+2K              beta, the output bias
 *
 * Gradients, Hessian-vector products and Lanczos vectors use the same layout.
 */
export interface NetworkLayout {
  d: number;
  width: number;
  /** Offset of W (always 0). */
  wOffset: number;
  bOffset: number;
  vOffset: number;
  betaOffset: number;
  /** Number of parameters K(d+2)+1. */
  size: number;
}

export function networkLayout(d: number, width: number): NetworkLayout {
  const kd = width * d;
  return { d, width, wOffset: 0, bOffset: kd, vOffset: kd + width, betaOffset: kd + 2 * width, size: kd + 2 * width + 1 };
}
