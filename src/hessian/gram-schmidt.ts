/**
 * One classical Gram-Schmidt pass: w <- w - sum_i (q_i . w) q_i over the first `count` basis
 * vectors, the dot products all taken against the incoming w. Four basis vectors at a time: one
 * sweep computes four dot products (four independent sums), one sweep subtracts four multiples,
 * so w is read a quarter as often as in a vector-by-vector loop. Classical Gram-Schmidt loses
 * orthogonality when w is nearly in the span; the caller repeats the pass then (CGS2).
 * This is the readable reference; assembly/linalg.ts has the WASM twin (lanczos-vectors.ts).
 *
 * @param coefficients scratch of length >= count: receives q_i . w
 */
export function gramSchmidtPass(w: Float64Array, basis: readonly Float64Array[], count: number, coefficients: Float64Array): void {
  const size = w.length;
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const q0 = basis[i];
    const q1 = basis[i + 1];
    const q2 = basis[i + 2];
    const q3 = basis[i + 3];
    let d0 = 0;
    let d1 = 0;
    let d2 = 0;
    let d3 = 0;
    for (let p = 0; p < size; p++) {
      const wp = w[p];
      d0 += q0[p] * wp;
      d1 += q1[p] * wp;
      d2 += q2[p] * wp;
      d3 += q3[p] * wp;
    }
    coefficients[i] = d0;
    coefficients[i + 1] = d1;
    coefficients[i + 2] = d2;
    coefficients[i + 3] = d3;
  }
  for (; i < count; i++) {
    const q = basis[i];
    let dot = 0;
    for (let p = 0; p < size; p++) dot += q[p] * w[p];
    coefficients[i] = dot;
  }
  i = 0;
  for (; i + 4 <= count; i += 4) {
    const q0 = basis[i];
    const q1 = basis[i + 1];
    const q2 = basis[i + 2];
    const q3 = basis[i + 3];
    const c0 = coefficients[i];
    const c1 = coefficients[i + 1];
    const c2 = coefficients[i + 2];
    const c3 = coefficients[i + 3];
    for (let p = 0; p < size; p++) w[p] -= c0 * q0[p] + c1 * q1[p] + c2 * q2[p] + c3 * q3[p];
  }
  for (; i < count; i++) {
    const q = basis[i];
    const c = coefficients[i];
    for (let p = 0; p < size; p++) w[p] -= c * q[p];
  }
}
