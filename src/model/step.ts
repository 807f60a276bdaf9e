/**
 * The two vector operations of a gradient-descent step over a kernel's parameter and gradient
 * buffers, in the operation order every kernel follows (the WebAssembly twins are
 * gradientNormSquared and descend in assembly/kernel.ts), so that all kernels clip on the same
 * norm and end bit-identical.
 */

/**
 * ||g||^2 = sum_p g_p^2 in four accumulators by p mod 4, combined as (s0 + s2) + (s1 + s3), then
 * the entries past the last multiple of four in turn. Four independent sums instead of one chain:
 * the chain's addition latency, not the arithmetic, bounded the sequential loop.
 */
export function gradientNormSquared(grad: Float64Array): number {
  const size = grad.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let p = 0;
  for (; p + 4 <= size; p += 4) {
    s0 += grad[p] * grad[p];
    s1 += grad[p + 1] * grad[p + 1];
    s2 += grad[p + 2] * grad[p + 2];
    s3 += grad[p + 3] * grad[p + 3];
  }
  let sum = s0 + s2 + (s1 + s3);
  for (; p < size; p++) sum += grad[p] * grad[p];
  return sum;
}

/** params_p <- params_p - eta (grad_p scale + weightDecay params_p), elementwise. */
export function descend(params: Float64Array, grad: Float64Array, eta: number, scale: number, weightDecay: number): void {
  const size = params.length;
  for (let p = 0; p < size; p++) params[p] -= eta * (grad[p] * scale + weightDecay * params[p]);
}
