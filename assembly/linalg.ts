// Lanczos's own vector arithmetic in WebAssembly SIMD (AssemblyScript, f64x2): the twin of the
// plain TypeScript loops of src/hessian/lanczos-vectors.ts and of src/hessian/gram-schmidt.ts.
//
// Built by `npm run build:wasm` (asc -O3 --runtime stub --enable simd --importMemory) into
// build/linalg.wasm. The module owns no data: every vector lives in the imported memory at a
// byte offset that src/hessian/lanczos-vectors.ts chooses (16-aligned), basis vector i at
// `basis + i * stride` bytes, so the JavaScript side sees the same bytes through Float64Array
// views and nothing is copied. Lengths count doubles; a length may be odd (the last element is
// then handled on its own).
//
// Element-wise updates perform the TypeScript operations in the same order, two elements at a
// time, with separate multiplies and adds (no fused multiply-add): each element rounds exactly as
// in TypeScript. Sums (dot products, norms) are where the two differ: TypeScript adds the terms
// in order, here in partial sums that run side by side (`dot` and `dotFour` say which). Same
// input, same bits; against TypeScript, a difference of rounding only.

@inline function pairAt(base: usize, p: i32): v128 {
  return v128.load(base + (<usize>p << 3));
}

@inline function setPair(base: usize, p: i32, value: v128): void {
  v128.store(base + (<usize>p << 3), value);
}

@inline function f64At(base: usize, p: i32): f64 {
  return load<f64>(base + (<usize>p << 3));
}

@inline function setF64(base: usize, p: i32, value: f64): void {
  store<f64>(base + (<usize>p << 3), value);
}

/** Lane 0 + lane 1 of first + second. */
@inline function total(first: v128, second: v128): f64 {
  const sum = f64x2.add(first, second);
  return f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
}

/**
 * a . b in four partial sums, the two lanes of two accumulators (elements p = 0, 1 mod 4 in the
 * first, p = 2, 3 mod 4 in the second, a leftover pair in the first), combined as lane 0 + lane 1
 * of their sum, then the odd last term. One accumulator would leave the loop waiting on its adds.
 */
export function dot(a: usize, b: usize, length: i32): f64 {
  let even = f64x2.splat(0);
  let odd = f64x2.splat(0);
  let p = 0;
  for (; p + 4 <= length; p += 4) {
    even = f64x2.add(even, f64x2.mul(pairAt(a, p), pairAt(b, p)));
    odd = f64x2.add(odd, f64x2.mul(pairAt(a, p + 2), pairAt(b, p + 2)));
  }
  if (p + 2 <= length) {
    even = f64x2.add(even, f64x2.mul(pairAt(a, p), pairAt(b, p)));
    p += 2;
  }
  let sum = total(even, odd);
  if (p < length) sum += f64At(a, p) * f64At(b, p);
  return sum;
}

/** v . v */
export function normSquared(v: usize, length: i32): f64 {
  return dot(v, v, length);
}

/** sum_p (hy_p - theta y_p)^2, the squared residual of a Ritz pair (y, theta) given hy = H y; `dot`'s order. */
export function residualNormSquared(hy: usize, y: usize, theta: f64, length: i32): f64 {
  const thetaPair = f64x2.splat(theta);
  let even = f64x2.splat(0);
  let odd = f64x2.splat(0);
  let p = 0;
  for (; p + 4 <= length; p += 4) {
    const r0 = f64x2.sub(pairAt(hy, p), f64x2.mul(thetaPair, pairAt(y, p)));
    const r1 = f64x2.sub(pairAt(hy, p + 2), f64x2.mul(thetaPair, pairAt(y, p + 2)));
    even = f64x2.add(even, f64x2.mul(r0, r0));
    odd = f64x2.add(odd, f64x2.mul(r1, r1));
  }
  if (p + 2 <= length) {
    const r = f64x2.sub(pairAt(hy, p), f64x2.mul(thetaPair, pairAt(y, p)));
    even = f64x2.add(even, f64x2.mul(r, r));
    p += 2;
  }
  let sum = total(even, odd);
  if (p < length) {
    const r = f64At(hy, p) - theta * f64At(y, p);
    sum += r * r;
  }
  return sum;
}

/** out = v / divisor, element-wise (out may be v). */
export function divide(out: usize, v: usize, divisor: f64, length: i32): void {
  const divisorPair = f64x2.splat(divisor);
  let p = 0;
  for (; p + 2 <= length; p += 2) setPair(out, p, f64x2.div(pairAt(v, p), divisorPair));
  if (p < length) setF64(out, p, f64At(v, p) / divisor);
}

/** w -= alpha q + beta previous: the Lanczos three-term recurrence. */
export function subtractRecurrence(w: usize, q: usize, previous: usize, alpha: f64, beta: f64, length: i32): void {
  const alphaPair = f64x2.splat(alpha);
  const betaPair = f64x2.splat(beta);
  let p = 0;
  for (; p + 2 <= length; p += 2) {
    const step = f64x2.add(f64x2.mul(alphaPair, pairAt(q, p)), f64x2.mul(betaPair, pairAt(previous, p)));
    setPair(w, p, f64x2.sub(pairAt(w, p), step));
  }
  if (p < length) setF64(w, p, f64At(w, p) - (alpha * f64At(q, p) + beta * f64At(previous, p)));
}

/**
 * One classical Gram-Schmidt pass, w <- w - sum_i (q_i . w) q_i over basis vectors i < count,
 * every coefficient taken against the incoming w and written to `coefficients`. As in
 * gram-schmidt.ts, four basis vectors at a time: one sweep forms four dot products, one sweep
 * subtracts four multiples, so w is read a quarter as often; the last count mod 4 vectors one
 * at a time.
 */
export function gramSchmidtPass(w: usize, basis: usize, stride: usize, count: i32, coefficients: usize, length: i32): void {
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const q0 = basis + <usize>i * stride;
    dotFour(w, q0, q0 + stride, q0 + 2 * stride, q0 + 3 * stride, coefficients + (<usize>i << 3), length);
  }
  for (; i < count; i++) setF64(coefficients, i, dot(basis + <usize>i * stride, w, length));
  i = 0;
  for (; i + 4 <= count; i += 4) {
    const q0 = basis + <usize>i * stride;
    addFour(w, q0, q0 + stride, q0 + 2 * stride, q0 + 3 * stride, coefficients + (<usize>i << 3), -1, length);
  }
  for (; i < count; i++) addOne(w, basis + <usize>i * stride, -f64At(coefficients, i), length);
}

/**
 * out[0..4) = q0 . w, q1 . w, q2 . w, q3 . w in one sweep over w. Unlike `dot`, one accumulator
 * per basis vector (the four already run side by side; more would only slow the loop): even
 * elements sum in lane 0, odd ones in lane 1, then lane 0 + lane 1, then the odd last term.
 */
function dotFour(w: usize, q0: usize, q1: usize, q2: usize, q3: usize, out: usize, length: i32): void {
  let sum0 = f64x2.splat(0);
  let sum1 = f64x2.splat(0);
  let sum2 = f64x2.splat(0);
  let sum3 = f64x2.splat(0);
  let p = 0;
  for (; p + 2 <= length; p += 2) {
    const wPair = pairAt(w, p);
    sum0 = f64x2.add(sum0, f64x2.mul(pairAt(q0, p), wPair));
    sum1 = f64x2.add(sum1, f64x2.mul(pairAt(q1, p), wPair));
    sum2 = f64x2.add(sum2, f64x2.mul(pairAt(q2, p), wPair));
    sum3 = f64x2.add(sum3, f64x2.mul(pairAt(q3, p), wPair));
  }
  let d0 = f64x2.extract_lane(sum0, 0) + f64x2.extract_lane(sum0, 1);
  let d1 = f64x2.extract_lane(sum1, 0) + f64x2.extract_lane(sum1, 1);
  let d2 = f64x2.extract_lane(sum2, 0) + f64x2.extract_lane(sum2, 1);
  let d3 = f64x2.extract_lane(sum3, 0) + f64x2.extract_lane(sum3, 1);
  if (p < length) {
    const wLast = f64At(w, p);
    d0 += f64At(q0, p) * wLast;
    d1 += f64At(q1, p) * wLast;
    d2 += f64At(q2, p) * wLast;
    d3 += f64At(q3, p) * wLast;
  }
  setF64(out, 0, d0);
  setF64(out, 1, d1);
  setF64(out, 2, d2);
  setF64(out, 3, d3);
}

/**
 * out = sum_i weights_i q_i over basis vectors i < count (the Ritz vector y = Q s): out is
 * cleared, then four basis vectors are added per sweep, out += ((s0 q0 + s1 q1) + s2 q2) + s3 q3,
 * and the last count mod 4 one at a time.
 */
export function combination(out: usize, basis: usize, stride: usize, weights: usize, count: i32, length: i32): void {
  memory.fill(out, 0, <usize>length << 3);
  let i = 0;
  for (; i + 4 <= count; i += 4) {
    const q0 = basis + <usize>i * stride;
    addFour(out, q0, q0 + stride, q0 + 2 * stride, q0 + 3 * stride, weights + (<usize>i << 3), 1, length);
  }
  for (; i < count; i++) addOne(out, basis + <usize>i * stride, f64At(weights, i), length);
}

/**
 * out += s0 q0 + s1 q1 + s2 q2 + s3 q3 with s = sign * weights[0..4), summed left to right as in
 * gram-schmidt.ts. With sign -1 it is the Gram-Schmidt subtraction: negating every weight negates
 * the sum exactly, so out + (-step) rounds as out - step.
 */
function addFour(out: usize, q0: usize, q1: usize, q2: usize, q3: usize, weights: usize, sign: f64, length: i32): void {
  const s0 = sign * f64At(weights, 0);
  const s1 = sign * f64At(weights, 1);
  const s2 = sign * f64At(weights, 2);
  const s3 = sign * f64At(weights, 3);
  const s0Pair = f64x2.splat(s0);
  const s1Pair = f64x2.splat(s1);
  const s2Pair = f64x2.splat(s2);
  const s3Pair = f64x2.splat(s3);
  let p = 0;
  for (; p + 2 <= length; p += 2) {
    let step = f64x2.add(f64x2.mul(s0Pair, pairAt(q0, p)), f64x2.mul(s1Pair, pairAt(q1, p)));
    step = f64x2.add(step, f64x2.mul(s2Pair, pairAt(q2, p)));
    step = f64x2.add(step, f64x2.mul(s3Pair, pairAt(q3, p)));
    setPair(out, p, f64x2.add(pairAt(out, p), step));
  }
  if (p < length) {
    const step = s0 * f64At(q0, p) + s1 * f64At(q1, p) + s2 * f64At(q2, p) + s3 * f64At(q3, p);
    setF64(out, p, f64At(out, p) + step);
  }
}

/** out += multiple v, element-wise as in TypeScript (Lanczos: H y gets s_(m-1) w, the last step's w having no basis vector). */
export function addMultiple(out: usize, v: usize, multiple: f64, length: i32): void {
  addOne(out, v, multiple, length);
}

/** out += s q */
function addOne(out: usize, q: usize, s: f64, length: i32): void {
  const sPair = f64x2.splat(s);
  let p = 0;
  for (; p + 2 <= length; p += 2) setPair(out, p, f64x2.add(pairAt(out, p), f64x2.mul(sPair, pairAt(q, p))));
  if (p < length) setF64(out, p, f64At(out, p) + s * f64At(q, p));
}
