// WebAssembly SIMD twin of src/model/kernel-js.ts for ReLU networks (AssemblyScript, f64x2).
//
// Built by `npm run build:wasm` (asc -O3 --runtime stub --enable simd --importMemory) into
// build/kernel.wasm. The module owns no data: every buffer lives in the imported memory at byte
// offsets that src/model/kernel-wasm.ts chooses and hands to `setup` once per kernel, so the
// JavaScript side sees the same bytes through Float64Array views and nothing is copied per epoch.
//
// It performs the TypeScript kernel's floating-point operations in the same order (see the
// "Operation order" note in kernel-js.ts), only with two lanes at a time where lanes are
// independent: two points of one pre-activation sum, two coordinates j of one gradient row.
// Multiplies and adds stay separate (no fused multiply-add), so each lane rounds exactly as the
// scalar code does and both kernels give bit-identical results.

let d: i32 = 0;
let n: i32 = 0;
let width: i32 = 0;
/** Byte offsets of the buffers (layout.ts for params, grad, vec, out). */
let params: usize = 0;
let grad: usize = 0;
let x: usize = 0; // n x d, row-major (gathers of one point's row)
let xT: usize = 0; // d x n, column-major (two points' coordinate j in one vector)
let y: usize = 0;
let prediction: usize = 0;
let residualWeight: usize = 0;
let jvpWeight: usize = 0;
let pairDz: usize = 0;
let pairIndex: usize = 0; // i32, K x n
let pairPhi: usize = 0; // f64, K x n
let liveCount: usize = 0; // i32, K
let bOffset: i32 = 0;
let vOffset: i32 = 0;
let betaOffset: i32 = 0;

export function setup(
  dIn: i32,
  nIn: i32,
  widthIn: i32,
  paramsPtr: usize,
  gradPtr: usize,
  xPtr: usize,
  xTPtr: usize,
  yPtr: usize,
  predictionPtr: usize,
  residualWeightPtr: usize,
  jvpWeightPtr: usize,
  pairDzPtr: usize,
  pairIndexPtr: usize,
  pairPhiPtr: usize,
  liveCountPtr: usize,
): void {
  d = dIn;
  n = nIn;
  width = widthIn;
  params = paramsPtr;
  grad = gradPtr;
  x = xPtr;
  xT = xTPtr;
  y = yPtr;
  prediction = predictionPtr;
  residualWeight = residualWeightPtr;
  jvpWeight = jvpWeightPtr;
  pairDz = pairDzPtr;
  pairIndex = pairIndexPtr;
  pairPhi = pairPhiPtr;
  liveCount = liveCountPtr;
  bOffset = width * d;
  vOffset = bOffset + width;
  betaOffset = vOffset + width;
}

@inline function f64At(base: usize, index: i32): f64 {
  return load<f64>(base + (<usize>index << 3));
}

@inline function setF64(base: usize, index: i32, value: f64): void {
  store<f64>(base + (<usize>index << 3), value);
}

@inline function i32At(base: usize, index: i32): i32 {
  return load<i32>(base + (<usize>index << 2));
}

@inline function vecAt(base: usize, index: i32): v128 {
  return v128.load(base + (<usize>index << 3));
}

@inline function setVec(base: usize, index: i32, value: v128): void {
  v128.store(base + (<usize>index << 3), value);
}

/** 0.5 (z + |z|) lane-wise: relu, exactly as the TypeScript kernel computes it. */
@inline function reluVec(z: v128): v128 {
  return f64x2.mul(f64x2.splat(0.5), f64x2.add(z, f64x2.abs(z)));
}

/** Appends pair (i, z) at slot `live` and keeps it when z > 0 (branch-free); returns the new end. */
@inline function keep(live: i32, i: i32, z: f64): i32 {
  store<i32>(pairIndex + (<usize>live << 2), i);
  setF64(pairPhi, live, z);
  return live + <i32>(z > 0);
}

/** z = b + sum_j w_j x_ij for one point, ascending j (the leftover path). */
@inline function preActivation(wRow: i32, bk: f64, i: i32): f64 {
  let z = bk;
  for (let j = 0; j < d; j++) z += f64At(params, wRow + j) * f64At(xT, j * n + i);
  return z;
}

/** Forward of neurons k and k+1 over all points; writes their live pairs and counts. */
function forwardNeuronPair(k: i32): void {
  const wRowK = k * d;
  const wRowL = wRowK + d;
  const bk = f64At(params, bOffset + k);
  const bl = f64At(params, bOffset + k + 1);
  const vk = f64At(params, vOffset + k);
  const vl = f64At(params, vOffset + k + 1);
  const vkVec = f64x2.splat(vk);
  const vlVec = f64x2.splat(vl);
  const slotK = k * n;
  const slotL = slotK + n;
  let liveK = slotK;
  let liveL = slotL;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let zk0 = f64x2.splat(bk);
    let zk1 = zk0;
    let zk2 = zk0;
    let zk3 = zk0;
    let zl0 = f64x2.splat(bl);
    let zl1 = zl0;
    let zl2 = zl0;
    let zl3 = zl0;
    let column = xT + (<usize>i << 3);
    for (let j = 0; j < d; j++) {
      const wk = v128.load_splat<f64>(params + (<usize>(wRowK + j) << 3));
      const wl = v128.load_splat<f64>(params + (<usize>(wRowL + j) << 3));
      const x0 = v128.load(column);
      const x1 = v128.load(column, 16);
      const x2 = v128.load(column, 32);
      const x3 = v128.load(column, 48);
      zk0 = f64x2.add(zk0, f64x2.mul(wk, x0));
      zk1 = f64x2.add(zk1, f64x2.mul(wk, x1));
      zk2 = f64x2.add(zk2, f64x2.mul(wk, x2));
      zk3 = f64x2.add(zk3, f64x2.mul(wk, x3));
      zl0 = f64x2.add(zl0, f64x2.mul(wl, x0));
      zl1 = f64x2.add(zl1, f64x2.mul(wl, x1));
      zl2 = f64x2.add(zl2, f64x2.mul(wl, x2));
      zl3 = f64x2.add(zl3, f64x2.mul(wl, x3));
      column += <usize>n << 3;
    }
    setVec(prediction, i, f64x2.add(f64x2.add(vecAt(prediction, i), f64x2.mul(vkVec, reluVec(zk0))), f64x2.mul(vlVec, reluVec(zl0))));
    setVec(prediction, i + 2, f64x2.add(f64x2.add(vecAt(prediction, i + 2), f64x2.mul(vkVec, reluVec(zk1))), f64x2.mul(vlVec, reluVec(zl1))));
    setVec(prediction, i + 4, f64x2.add(f64x2.add(vecAt(prediction, i + 4), f64x2.mul(vkVec, reluVec(zk2))), f64x2.mul(vlVec, reluVec(zl2))));
    setVec(prediction, i + 6, f64x2.add(f64x2.add(vecAt(prediction, i + 6), f64x2.mul(vkVec, reluVec(zk3))), f64x2.mul(vlVec, reluVec(zl3))));
    liveK = keep(liveK, i, f64x2.extract_lane(zk0, 0));
    liveK = keep(liveK, i + 1, f64x2.extract_lane(zk0, 1));
    liveK = keep(liveK, i + 2, f64x2.extract_lane(zk1, 0));
    liveK = keep(liveK, i + 3, f64x2.extract_lane(zk1, 1));
    liveK = keep(liveK, i + 4, f64x2.extract_lane(zk2, 0));
    liveK = keep(liveK, i + 5, f64x2.extract_lane(zk2, 1));
    liveK = keep(liveK, i + 6, f64x2.extract_lane(zk3, 0));
    liveK = keep(liveK, i + 7, f64x2.extract_lane(zk3, 1));
    liveL = keep(liveL, i, f64x2.extract_lane(zl0, 0));
    liveL = keep(liveL, i + 1, f64x2.extract_lane(zl0, 1));
    liveL = keep(liveL, i + 2, f64x2.extract_lane(zl1, 0));
    liveL = keep(liveL, i + 3, f64x2.extract_lane(zl1, 1));
    liveL = keep(liveL, i + 4, f64x2.extract_lane(zl2, 0));
    liveL = keep(liveL, i + 5, f64x2.extract_lane(zl2, 1));
    liveL = keep(liveL, i + 6, f64x2.extract_lane(zl3, 0));
    liveL = keep(liveL, i + 7, f64x2.extract_lane(zl3, 1));
  }
  for (; i < n; i++) {
    const zk = preActivation(wRowK, bk, i);
    const zl = preActivation(wRowL, bl, i);
    let f = f64At(prediction, i);
    f += vk * (0.5 * (zk + Math.abs(zk)));
    f += vl * (0.5 * (zl + Math.abs(zl)));
    setF64(prediction, i, f);
    liveK = keep(liveK, i, zk);
    liveL = keep(liveL, i, zl);
  }
  store<i32>(liveCount + (<usize>k << 2), liveK - slotK);
  store<i32>(liveCount + (<usize>(k + 1) << 2), liveL - slotL);
}

/** Forward of the last neuron when the width is odd. */
function forwardNeuron(k: i32): void {
  const wRow = k * d;
  const bk = f64At(params, bOffset + k);
  const vk = f64At(params, vOffset + k);
  const slot0 = k * n;
  let live = slot0;
  for (let i = 0; i < n; i++) {
    const z = preActivation(wRow, bk, i);
    setF64(prediction, i, f64At(prediction, i) + vk * (0.5 * (z + Math.abs(z))));
    live = keep(live, i, z);
  }
  store<i32>(liveCount + (<usize>k << 2), live - slot0);
}

/** f(x_i) for every training point, and the live pairs of every neuron. */
export function forwardRelu(): void {
  const beta = f64At(params, betaOffset);
  for (let i = 0; i < n; i++) setF64(prediction, i, beta);
  let k = 0;
  for (; k + 2 <= width; k += 2) forwardNeuronPair(k);
  if (k < width) forwardNeuron(k);
}

/**
 * out[row + j] = sum_a pairDz[a] x_(i_a) j over the `live` pairs from slot0, four pairs at a time:
 * out_j += (s0 x0j + s1 x1j + s2 x2j + s3 x3j), two coordinates j per vector.
 */
function accumulateInputs(slot0: i32, live: i32, out: usize, row: i32): void {
  const rowPtr = out + (<usize>row << 3);
  for (let j = 0; j < d; j++) store<f64>(rowPtr + (<usize>j << 3), 0.0);
  const rowBytes = <usize>d << 3;
  let a = 0;
  for (; a + 4 <= live; a += 4) {
    const p0 = x + <usize>i32At(pairIndex, slot0 + a) * rowBytes;
    const p1 = x + <usize>i32At(pairIndex, slot0 + a + 1) * rowBytes;
    const p2 = x + <usize>i32At(pairIndex, slot0 + a + 2) * rowBytes;
    const p3 = x + <usize>i32At(pairIndex, slot0 + a + 3) * rowBytes;
    const t0 = f64At(pairDz, a);
    const t1 = f64At(pairDz, a + 1);
    const t2 = f64At(pairDz, a + 2);
    const t3 = f64At(pairDz, a + 3);
    const s0 = f64x2.splat(t0);
    const s1 = f64x2.splat(t1);
    const s2 = f64x2.splat(t2);
    const s3 = f64x2.splat(t3);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const offset = <usize>j << 3;
      let sum = f64x2.add(f64x2.mul(s0, v128.load(p0 + offset)), f64x2.mul(s1, v128.load(p1 + offset)));
      sum = f64x2.add(sum, f64x2.mul(s2, v128.load(p2 + offset)));
      sum = f64x2.add(sum, f64x2.mul(s3, v128.load(p3 + offset)));
      v128.store(rowPtr + offset, f64x2.add(v128.load(rowPtr + offset), sum));
    }
    if (j < d) {
      const offset = <usize>j << 3;
      const sum = t0 * load<f64>(p0 + offset) + t1 * load<f64>(p1 + offset) + t2 * load<f64>(p2 + offset) + t3 * load<f64>(p3 + offset);
      store<f64>(rowPtr + offset, load<f64>(rowPtr + offset) + sum);
    }
  }
  for (; a < live; a++) {
    const p = x + <usize>i32At(pairIndex, slot0 + a) * rowBytes;
    const t = f64At(pairDz, a);
    for (let j = 0; j < d; j++) {
      const offset = <usize>j << 3;
      store<f64>(rowPtr + offset, load<f64>(rowPtr + offset) + t * load<f64>(p + offset));
    }
  }
}

/**
 * Loss c/n sum r^2 and its gradient into grad, after a dense forward pass or (skipping = 1) the
 * certified skipping one; both leave the same live pairs, so the rest is shared.
 */
export function lossAndGradientRelu(lossScale: f64, skipping: i32): f64 {
  if (skipping) forwardSkipRelu();
  else forwardRelu();
  const coefficient = (2 * lossScale) / <f64>n;
  let sumSquares: f64 = 0;
  let gradBeta: f64 = 0;
  for (let i = 0; i < n; i++) {
    const r = f64At(prediction, i) - f64At(y, i);
    sumSquares += r * r;
    const weight = coefficient * r;
    setF64(residualWeight, i, weight);
    gradBeta += weight;
  }
  setF64(grad, betaOffset, gradBeta);
  for (let k = 0; k < width; k++) {
    const vk = f64At(params, vOffset + k);
    const slot0 = k * n;
    const live = i32At(liveCount, k);
    let gradV: f64 = 0;
    let gradB: f64 = 0;
    for (let a = 0; a < live; a++) {
      const weight = f64At(residualWeight, i32At(pairIndex, slot0 + a));
      gradV += weight * f64At(pairPhi, slot0 + a);
      const dz = weight * vk;
      setF64(pairDz, a, dz);
      gradB += dz;
    }
    setF64(grad, bOffset + k, gradB);
    setF64(grad, vOffset + k, gradV);
    accumulateInputs(slot0, live, grad, k * d);
  }
  return lossScale * (sumSquares / <f64>n);
}

/** u = db_k + sum_j dw_kj x_ij for the pair in `slot` (ascending j). */
@inline function directional(slot: i32, vec: usize, row: i32, bias: f64): f64 {
  const p = x + <usize>(i32At(pairIndex, slot) * d) * 8;
  let u = bias;
  for (let j = 0; j < d; j++) u += f64At(vec, row + j) * load<f64>(p + (<usize>j << 3));
  return u;
}

let pairU: usize = 0; // f64, K x n: u of each live pair, from the HVP's first pass to its second
let uColumn: usize = 0; // f64, n

export function setupHvp(pairUPtr: usize, uColumnPtr: usize): void {
  pairU = pairUPtr;
  uColumn = uColumnPtr;
}

/**
 * out = H vec at the state of the last lossAndGradientRelu (same formulas as kernel-js.ts).
 * u = dw_k.x_i + db_k of each live pair comes from a vectorised pass over all points when the
 * neuron is live on more than a third of them, else pair by pair; either way in the
 * pre-activation order, so the values are the same. It is kept for the second pass.
 */
export function hessianVectorProductRelu(vec: usize, out: usize, lossScale: f64): void {
  const coefficient = (2 * lossScale) / <f64>n;
  const vecBeta = f64At(vec, betaOffset);
  for (let i = 0; i < n; i++) setF64(jvpWeight, i, vecBeta);
  for (let k = 0; k < width; k++) {
    const wRow = k * d;
    const dbk = f64At(vec, bOffset + k);
    const dvk = f64At(vec, vOffset + k);
    const vk = f64At(params, vOffset + k);
    const slot0 = k * n;
    const live = i32At(liveCount, k);
    const dense = live * 3 > n;
    if (dense) rowTimesInputs(vec, wRow, dbk, uColumn);
    for (let a = 0; a < live; a++) {
      const i = i32At(pairIndex, slot0 + a);
      const u = dense ? f64At(uColumn, i) : directional(slot0 + a, vec, wRow, dbk);
      setF64(pairU, slot0 + a, u);
      setF64(jvpWeight, i, f64At(jvpWeight, i) + (dvk * f64At(pairPhi, slot0 + a) + vk * u));
    }
  }
  let outBeta: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = f64At(jvpWeight, i) * coefficient;
    setF64(jvpWeight, i, e);
    outBeta += e;
  }
  setF64(out, betaOffset, outBeta);
  for (let k = 0; k < width; k++) {
    const wRow = k * d;
    const dvk = f64At(vec, vOffset + k);
    const vk = f64At(params, vOffset + k);
    const slot0 = k * n;
    const live = i32At(liveCount, k);
    let outV: f64 = 0;
    let outB: f64 = 0;
    for (let a = 0; a < live; a++) {
      const i = i32At(pairIndex, slot0 + a);
      const e = f64At(jvpWeight, i);
      const rho = f64At(residualWeight, i);
      const u = f64At(pairU, slot0 + a);
      outV += e * f64At(pairPhi, slot0 + a) + rho * u;
      const dz = e * vk + rho * dvk;
      setF64(pairDz, a, dz);
      outB += dz;
    }
    accumulateInputs(slot0, live, out, wRow);
    setF64(out, bOffset + k, outB);
    setF64(out, vOffset + k, outV);
  }
}

// ---------------------------------------------------------------------------------------------
// Exact work-skipping. The certificate and the slack are those of src/model/kernel-skip.ts (see
// its header): since ||x_i|| <= R, z_ki moves by at most delta_k = R ||w_k - w0_k|| + |b_k - b0_k|
// from its value at the anchor (w0_k, b0_k), the parameters at the neuron's last full evaluation.
// The list is organised differently from the TypeScript twin: at the anchor the points with
// margin m_i = -z_ki up to a reach (twice the displacement of the previous interval) go first on
// the neuron's list, sorted by margin (active points, m < 0, first), so an epoch evaluates exactly
// the prefix with m_i <= delta_k + slack and stops: its cost follows the current displacement.
// When delta_k + slack passes the reach, the neuron is evaluated in full again. The active pairs found are put back in
// ascending i through a bitmap of the n points, so the live pairs are those of the dense pass.
// A neuron is evaluated in full again (new anchor, new sorted list) once the inactive pairs it
// evaluated since its anchor add up to more than WASTE_BUDGET n. A neuron live on more than n/BUSY
// points, or whose prefix grew past n/FAST (it moves fast), takes the vectorised full pass instead
// (two such neighbours share the dense two-neuron pass) and keeps no list: for `backoff` epochs,
// doubled each time this happens and halved at each regular re-evaluation. A gathered pair costs
// about three times a pair of the vectorised pass, hence BUSY = FAST = 8 (measured: with 4, an
// E2 network at eta 0.2 evaluated 41% of its pairs and ran 25% slower than dense).

/** Inactive evaluations, in units of n, that a neuron may spend before it is evaluated in full again. */
const WASTE_BUDGET: i32 = 4;
/** A neuron live on more than n / BUSY points, or whose prefix reaches n / FAST, takes full passes. */
const BUSY: i32 = 8;
const FAST: i32 = 8;
let radius: f64 = 0;
let pairsEvaluated: f64 = 0;
let anchorW: usize = 0; // K x d
let anchorB: usize = 0; // K
let anchorWNorm: usize = 0; // K
let wasted: usize = 0; // K
let anchored: usize = 0; // i32, K
let candidates: usize = 0; // i32, K x n: point indices sorted by margin at the anchor
let candidateMargin: usize = 0; // f64, K x n: their margins, ascending
let firstMargin: usize = 0; // f64, K: the smallest margin, so that a dead neuron's list stays untouched
let sortedCount: usize = 0; // i32, K: length of the sorted part of the list (margins <= sortedLimit)
let sortedLimit: usize = 0; // f64, K: the margin up to which the list is sorted
let denseUntil: usize = 0; // f64, K: epoch until which the neuron takes the full pass
let backoff: usize = 0; // f64, K: how many epochs the next switch to the full pass lasts
let epoch: f64 = 0;
/** Pairs evaluated by the last evaluatePrefix call. */
let lastEvaluated: i32 = 0;
let zColumn: usize = 0; // n
let liveBits: usize = 0; // u32, ceil(n / 32)

export function setupSkip(
  anchorWPtr: usize,
  anchorBPtr: usize,
  anchorWNormPtr: usize,
  wastedPtr: usize,
  anchoredPtr: usize,
  candidatesPtr: usize,
  candidateMarginPtr: usize,
  zColumnPtr: usize,
  liveBitsPtr: usize,
  firstMarginPtr: usize,
  denseUntilPtr: usize,
  backoffPtr: usize,
  sortedCountPtr: usize,
  sortedLimitPtr: usize,
): void {
  sortedCount = sortedCountPtr;
  sortedLimit = sortedLimitPtr;
  firstMargin = firstMarginPtr;
  denseUntil = denseUntilPtr;
  backoff = backoffPtr;
  anchorW = anchorWPtr;
  anchorB = anchorBPtr;
  anchorWNorm = anchorWNormPtr;
  wasted = wastedPtr;
  anchored = anchoredPtr;
  candidates = candidatesPtr;
  candidateMargin = candidateMarginPtr;
  zColumn = zColumnPtr;
  liveBits = liveBitsPtr;
}

/** After new data: the radius max ||x_i|| (inflated by 1e-12) and every neuron unanchored. */
export function skipDataLoaded(): void {
  let maxNormSq: f64 = 0;
  for (let i = 0; i < n; i++) {
    let normSq: f64 = 0;
    for (let j = 0; j < d; j++) {
      const v = f64At(x, i * d + j);
      normSq += v * v;
    }
    maxNormSq = Math.max(maxNormSq, normSq);
  }
  radius = Math.sqrt(maxNormSq) * (1 + 1e-12);
  // The first pass is a full one for every neuron: it learns which are busy without sorting
  // the lists of neurons that are about to take full passes anyway.
  for (let k = 0; k < width; k++) {
    store<i32>(anchored + (<usize>k << 2), 0);
    setF64(denseUntil, k, epoch + 2);
    setF64(backoff, k, 1);
  }
}

export function skipPairsEvaluated(): f64 {
  return pairsEvaluated;
}

/**
 * out[i] = bias + sum_j weights[row + j] x_ij for every point, ascending j, two points per vector
 * and eight per iteration (the dense pre-activation order; with vec for weights, the HVP's u).
 */
function rowTimesInputs(weights: usize, row: i32, bias: f64, out: usize): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    let z0 = f64x2.splat(bias);
    let z1 = z0;
    let z2 = z0;
    let z3 = z0;
    let column = xT + (<usize>i << 3);
    for (let j = 0; j < d; j++) {
      const w = v128.load_splat<f64>(weights + (<usize>(row + j) << 3));
      z0 = f64x2.add(z0, f64x2.mul(w, v128.load(column)));
      z1 = f64x2.add(z1, f64x2.mul(w, v128.load(column, 16)));
      z2 = f64x2.add(z2, f64x2.mul(w, v128.load(column, 32)));
      z3 = f64x2.add(z3, f64x2.mul(w, v128.load(column, 48)));
      column += <usize>n << 3;
    }
    setVec(out, i, z0);
    setVec(out, i + 2, z1);
    setVec(out, i + 4, z2);
    setVec(out, i + 6, z3);
  }
  for (; i < n; i++) {
    let z = bias;
    for (let j = 0; j < d; j++) z += f64At(weights, row + j) * f64At(xT, j * n + i);
    setF64(out, i, z);
  }
}

/** zColumn[i] = z_ki for every point. */
function allPreActivations(k: i32): void {
  rowTimesInputs(params, k * d, f64At(params, bOffset + k), zColumn);
}

/** From zColumn (all points): f_i += v_k relu(z) and the live pairs, exactly as the dense pass. */
function compactColumn(k: i32): i32 {
  const vk = f64At(params, vOffset + k);
  const slot0 = k * n;
  let live = slot0;
  for (let i = 0; i < n; i++) {
    const z = f64At(zColumn, i);
    setF64(prediction, i, f64At(prediction, i) + vk * (0.5 * (z + Math.abs(z))));
    live = keep(live, i, z);
  }
  return live - slot0;
}

/** One gapped insertion-sort pass over the list from slot0 (Shell sort by margin). */
function shellPass(slot0: i32, count: i32, gap: i32): void {
  for (let a = slot0 + gap; a < slot0 + count; a++) {
    const m = f64At(candidateMargin, a);
    const index = i32At(candidates, a);
    let b = a;
    while (b - gap >= slot0 && f64At(candidateMargin, b - gap) > m) {
      setF64(candidateMargin, b, f64At(candidateMargin, b - gap));
      store<i32>(candidates + (<usize>b << 2), i32At(candidates, b - gap));
      b -= gap;
    }
    setF64(candidateMargin, b, m);
    store<i32>(candidates + (<usize>b << 2), index);
  }
}

/** Full evaluation with a new anchor and margin-sorted list; returns the live count. */
/**
 * Full evaluation with a new anchor. Points with margin <= reach go first, sorted by margin;
 * the others follow unsorted (they stay certified while the bound is below reach, and the
 * neuron is evaluated in full again before it is not). Returns the live count.
 */
function reevaluate(k: i32, reach: f64): i32 {
  const wRow = k * d;
  allPreActivations(k);
  const slot0 = k * n;
  let near = slot0;
  let far = slot0 + n;
  for (let i = 0; i < n; i++) {
    const m = -f64At(zColumn, i);
    if (m <= reach) {
      store<i32>(candidates + (<usize>near << 2), i);
      setF64(candidateMargin, near, m);
      near++;
    } else {
      far--;
      store<i32>(candidates + (<usize>far << 2), i);
      setF64(candidateMargin, far, m);
    }
  }
  const count = near - slot0;
  // Ciura's gaps.
  if (count > 701) shellPass(slot0, count, 701);
  if (count > 301) shellPass(slot0, count, 301);
  if (count > 132) shellPass(slot0, count, 132);
  if (count > 57) shellPass(slot0, count, 57);
  if (count > 23) shellPass(slot0, count, 23);
  if (count > 10) shellPass(slot0, count, 10);
  if (count > 4) shellPass(slot0, count, 4);
  shellPass(slot0, count, 1);
  store<i32>(sortedCount + (<usize>k << 2), count);
  setF64(sortedLimit, k, reach);
  let wNormSq: f64 = 0;
  for (let j = 0; j < d; j++) {
    const w = f64At(params, wRow + j);
    setF64(anchorW, wRow + j, w);
    wNormSq += w * w;
  }
  setF64(anchorB, k, f64At(params, bOffset + k));
  setF64(anchorWNorm, k, Math.sqrt(wNormSq));
  setF64(firstMargin, k, count > 0 ? f64At(candidateMargin, slot0) : reach);
  store<i32>(anchored + (<usize>k << 2), 1);
  setF64(wasted, k, 0);
  pairsEvaluated += <f64>n;
  return compactColumn(k);
}

/**
 * Exact z of the list's prefix with margin <= limit (the rest is certified inactive), f_i +=
 * v_k relu(z) for each, then the active ones as live pairs in ascending i. Returns the live count
 * and adds the inactive evaluations to the neuron's waste.
 */
function evaluatePrefix(k: i32, limit: f64): i32 {
  const wRow = k * d;
  const bk = f64At(params, bOffset + k);
  const vk = f64At(params, vOffset + k);
  const slot0 = k * n;
  const words = (n + 31) >> 5;
  for (let w = 0; w < words; w++) store<u32>(liveBits + (<usize>w << 2), 0);
  let c = slot0;
  let active = 0;
  const end = slot0 + i32At(sortedCount, k);
  for (; c < end; c++) {
    if (f64At(candidateMargin, c) > limit) break;
    const i = i32At(candidates, c);
    const p = x + <usize>(i * d) * 8;
    let z = bk;
    for (let j = 0; j < d; j++) z += f64At(params, wRow + j) * load<f64>(p + (<usize>j << 3));
    setF64(prediction, i, f64At(prediction, i) + vk * (0.5 * (z + Math.abs(z))));
    setF64(zColumn, i, z);
    const isActive = <u32>(z > 0);
    const word = liveBits + (<usize>(i >> 5) << 2);
    store<u32>(word, load<u32>(word) | (isActive << (<u32>i & 31)));
    active += <i32>isActive;
  }
  const evaluated = c - slot0;
  lastEvaluated = evaluated;
  pairsEvaluated += <f64>evaluated;
  setF64(wasted, k, f64At(wasted, k) + <f64>(evaluated - active));
  let live = slot0;
  for (let w = 0; w < words; w++) {
    let bits = load<u32>(liveBits + (<usize>w << 2));
    while (bits != 0) {
      const i = (w << 5) + <i32>ctz(bits);
      store<i32>(pairIndex + (<usize>live << 2), i);
      setF64(pairPhi, live, f64At(zColumn, i));
      live++;
      bits &= bits - 1;
    }
  }
  return live - slot0;
}

@inline function denseMode(k: i32): bool {
  return i32At(liveCount, k) * BUSY > n || epoch < f64At(denseUntil, k);
}

/** The skipping forward pass: same prediction and live pairs as forwardRelu. */
export function forwardSkipRelu(): void {
  const beta = f64At(params, betaOffset);
  for (let i = 0; i < n; i++) setF64(prediction, i, beta);
  epoch += 1;
  for (let k = 0; k < width; k++) {
    if (denseMode(k) && k + 1 < width && denseMode(k + 1)) {
      // Two neighbours in full-pass mode share the dense kernel's two-neuron pass.
      forwardNeuronPair(k);
      pairsEvaluated += <f64>(2 * n);
      store<i32>(anchored + (<usize>k << 2), 0);
      store<i32>(anchored + (<usize>(k + 1) << 2), 0);
      k++;
      continue;
    }
    let live: i32;
    if (denseMode(k)) {
      // Busy or fast-moving neuron: the vectorised full pass; its list would go stale.
      allPreActivations(k);
      live = compactColumn(k);
      pairsEvaluated += <f64>n;
      store<i32>(anchored + (<usize>k << 2), 0);
    } else if (i32At(anchored, k) == 0) {
      // No displacement known yet: sort nothing beyond the active points; the next epoch's bound
      // passes this reach and re-evaluates with a measured one (a full pass costs less than a sort).
      live = reevaluate(k, 0);
    } else {
      const wRow = k * d;
      const bk = f64At(params, bOffset + k);
      const b0 = f64At(anchorB, k);
      let moveSq: f64 = 0;
      let wNormSq: f64 = 0;
      for (let j = 0; j < d; j++) {
        const w = f64At(params, wRow + j);
        const step = w - f64At(anchorW, wRow + j);
        moveSq += step * step;
        wNormSq += w * w;
      }
      const displacement = (radius * Math.sqrt(moveSq) + Math.abs(bk - b0)) * (1 + 1e-9);
      const slack = 1e-12 * <f64>(d + 2) * (1 + Math.abs(bk) + Math.abs(b0) + radius * (Math.sqrt(wNormSq) + f64At(anchorWNorm, k)));
      const limit = displacement + slack;
      const overBudget = f64At(wasted, k) > <f64>(WASTE_BUDGET * n);
      if (limit != limit) {
        // A diverging run: the full pass, which the dense kernel takes too.
        live = reevaluate(k, Infinity);
      } else if (overBudget || limit > f64At(sortedLimit, k)) {
        if (overBudget) setF64(backoff, k, Math.max(1, f64At(backoff, k) / 2));
        // Sort as far as twice the displacement of the interval that just ended.
        live = reevaluate(k, 2 * limit);
      } else if (limit < f64At(firstMargin, k)) {
        live = 0;
      } else {
        live = evaluatePrefix(k, limit);
        // Gathering n/FAST points costs about a vectorised full pass: this neuron moves too
        // fast for its list; give it full passes for a while, longer each time it happens.
        if (lastEvaluated * FAST > n) {
          const h = f64At(backoff, k);
          setF64(denseUntil, k, epoch + h);
          setF64(backoff, k, Math.min(1024, 2 * h));
        }
      }
    }
    store<i32>(liveCount + (<usize>k << 2), live);
  }
}
