// WebAssembly SIMD twin of src/model/kernel-js.ts (AssemblyScript, f64x2): ReLU networks, dense
// and with certified work-skipping, and (last section) GELU networks.
//
// Built by `npm run build:wasm` (asc -O3 --runtime stub --enable simd --importMemory) into
// build/kernel.wasm. The module's buffers live in the imported memory at byte offsets that
// src/model/kernel-wasm.ts chooses (above the module's own static data) and hands to the setup
// functions once per kernel, so the JavaScript side sees the same bytes through Float64Array
// views and nothing is copied per epoch.
//
// It performs the TypeScript kernel's floating-point operations in the same order (see the
// "Operation order" note in kernel-js.ts), only with two lanes at a time where lanes are
// independent: two points of one pre-activation sum, two coordinates j of one gradient row,
// the even and odd coordinates of a dot product, pair positions of a four-accumulator sum.
// Multiplies and adds stay separate (no fused multiply-add), so each lane rounds exactly as the
// scalar code does and for ReLU both kernels give bit-identical results.

/**
 * Where the module's own static data ends (AssemblyScript's Math.exp reads lookup tables placed
 * in linear memory); src/model/kernel-wasm.ts puts every buffer above it and checks this.
 */
export function staticDataEnd(): usize {
  return __heap_base;
}

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
let pairIndex: usize = 0; // i32, K x n
// z of neuron k's points, in one of two layouts (zPacked[k]): 0 after a full pass, at slot
// k*n + i for every point i (listed pairs read theirs through pairIndex); 1, the listed ones
// only, at slot k*n + a for the a-th listed pair (the TypeScript kernel's layout), once the first
// Hessian-vector product of a state has packed them, or as the skipping pass packs its candidates.
let pairPhi: usize = 0; // f64, K x n
let zPacked: usize = 0; // i32, K: the layout of neuron k's row of pairPhi (0 or 1, above)
let liveCount: usize = 0; // i32, K
// i32, K: the slot of pairIndex and pairPhi where neuron k's list starts: k*n after a full pass;
// the skipping pass packs its candidate lists one after another, in the order of k, into a
// compact area after the K x n slots, filled anew each epoch. (Rows n slots apart put every
// neuron's list start in the same few cache sets, 4 KB apart for n = 512, and a shattered epoch's
// lists were evicted between its forward and backward passes.)
let listSlot: usize = 0;
/** Where the next candidate list goes in the compact area (filled anew each skipping pass). */
let areaEnd: i32 = 0;
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

/**
 * relu lane-wise as the TypeScript kernel computes it, 0.5 (z + |z|). Not max(z, 0): the two
 * differ at z = -infinity and NaN, so non-finite values could end a run differently.
 */
@inline function reluVec(z: v128): v128 {
  return f64x2.mul(f64x2.splat(0.5), f64x2.add(z, f64x2.abs(z)));
}

/** Scalar relu, as reluVec. */
@inline function relu(z: f64): f64 {
  return 0.5 * (z + Math.abs(z));
}

/**
 * Appends point i at slot `live`, kept when z > 0 (when not, if `dead` is 1; branch-free), z to its
 * slot of the row at slot0; returns the new end.
 */
@inline function keep(live: i32, slot0: i32, i: i32, z: f64, dead: i32): i32 {
  store<i32>(pairIndex + (<usize>live << 2), i);
  setF64(pairPhi, slot0 + i, z);
  return live + (<i32>(z > 0) ^ dead);
}

/** z = b + sum_j w_j x_ij for one point, ascending j (the leftover path). */
@inline function preActivation(wRow: i32, bk: f64, i: i32): f64 {
  let z = bk;
  for (let j = 0; j < d; j++) z += f64At(params, wRow + j) * f64At(xT, j * n + i);
  return z;
}

// Left-packing of listed pairs. The dense pass stores, for each group of four points, the indices
// of those with z > 0 (or, for a dead list, the others): a lane mask from the comparisons selects
// an i8x16.swizzle pattern that moves the listed lanes to the front, one vector store writes them
// at the list's end, and the end advances by the mask's population count. The same slots as the scalar branch-free keep(), with
// a quarter of the stores. A vector store may write up to three slots past the new end; they lie
// inside the neuron's own n slots (the block loop stops eight points before n) and are
// overwritten or never read. z itself is stored for every point (pairPhi's row): packing the
// values too cost more than the backward pass's gathering them for the listed pairs.
let packIndexTable: usize = 0; // 16 x 16 bytes: patterns for the i32 lanes of a 4-bit mask

/**
 * Writes the swizzle patterns into the 256 bytes at `tablesPtr`; zPacked and listSlot (K i32 each)
 * at their pointers.
 */
export function setupPacking(tablesPtr: usize, zPackedPtr: usize, listSlotPtr: usize): void {
  zPacked = zPackedPtr;
  listSlot = listSlotPtr;
  for (let k = 0; k < width; k++) store<i32>(listSlot + (<usize>k << 2), k * n);
  packIndexTable = tablesPtr;
  for (let mask = 0; mask < 16; mask++) fillPattern(packIndexTable + (<usize>mask << 4), mask, 4);
}

/** The 16 bytes that move the lanes (of laneBytes bytes) set in `mask` to the front, in order; zeros after. */
function fillPattern(pattern: usize, mask: i32, laneBytes: i32): void {
  let out = 0;
  for (let lane = 0; lane < 16 / laneBytes; lane++) {
    if ((mask & (1 << lane)) == 0) continue;
    for (let b = 0; b < laneBytes; b++) store<u8>(pattern + <usize>(out * laneBytes + b), <u8>(lane * laneBytes + b));
    out++;
  }
  for (let b = out * laneBytes; b < 16; b++) store<u8>(pattern + <usize>b, 0x80);
}

/**
 * The live points of eight (indices in points0, points1; z in z0..z3, two per vector) appended at
 * slot `live` of pairIndex (at indexAt), or with flip = 15 the others (z <= 0 or NaN); with `withZ`
 * (a constant where inlined) their z too, at the same slots of pairPhi (at phiAt; packTwoZ).
 * Returns the new end. The callers pass the two addresses from locals (V8 reloads globals).
 */
@inline function packEight(live: i32, points0: v128, points1: v128, z0: v128, z1: v128, z2: v128, z3: v128, flip: i32, withZ: bool, indexAt: usize, phiAt: usize): i32 {
  const tableAt = packIndexTable;
  const zero = f64x2.splat(0);
  const m01 = (i64x2.bitmask(f64x2.gt(z0, zero)) | (i64x2.bitmask(f64x2.gt(z1, zero)) << 2)) ^ flip;
  const m23 = (i64x2.bitmask(f64x2.gt(z2, zero)) | (i64x2.bitmask(f64x2.gt(z3, zero)) << 2)) ^ flip;
  if (withZ) {
    let at = live;
    at = packTwoZ(at, z0, m01 & 3, phiAt);
    at = packTwoZ(at, z1, m01 >> 2, phiAt);
    at = packTwoZ(at, z2, m23 & 3, phiAt);
    packTwoZ(at, z3, m23 >> 2, phiAt);
  }
  v128.store(indexAt + (<usize>live << 2), i8x16.swizzle(points0, v128.load(tableAt + (<usize>m01 << 4))));
  live += <i32>popcnt(m01);
  v128.store(indexAt + (<usize>live << 2), i8x16.swizzle(points1, v128.load(tableAt + (<usize>m23 << 4))));
  return live + <i32>popcnt(m23);
}

/**
 * The lanes of z set in the 2-bit mask m moved to the front and stored at slot `at` of pairPhi (at
 * phiAt; the slot after them may be written too); returns at + their count.
 */
@inline function packTwoZ(at: i32, z: v128, m: i32, phiAt: usize): i32 {
  const swapped = v128.shuffle<f64>(z, z, 1, 0);
  v128.store(phiAt + (<usize>at << 3), v128.bitselect(swapped, z, i64x2.splat(-<i64>(m == 2))));
  return at + <i32>popcnt(m);
}

/**
 * f + v relu(s z), s = 1 for a live list and -1 for a dead one (sign): the term of a listed
 * point, and +-0 at the others (kernel-js.ts, "Pair lists"); f itself when `apply` is false (a
 * constant where inlined).
 */
@inline function addTerm(f: v128, v: v128, z: v128, sign: v128, apply: bool = true): v128 {
  return apply ? f64x2.add(f, f64x2.mul(v, reluVec(f64x2.mul(sign, z)))) : f;
}

/** addTerm for one point. */
@inline function addTermOne(f: f64, v: f64, z: f64, sign: f64): f64 {
  return f + v * relu(sign * z);
}

/**
 * Forward of neuron k over all points, and of k + 1 too when `two`, for the side each listed last
 * epoch (listDead), most likely its side again: z into the neuron's row of pairPhi, that side's
 * points packed, live counts written, and f + v_k relu(s_k z) (addTerm) written to
 * predictionSpare, f itself untouched. settleSide then checks each side (a side that changed gets
 * its list and terms again: addTermsAgain) and predictionSpare becomes f. Eight points per
 * iteration, each neuron's z in four vectors; `two` is a constant where this is inlined, so each
 * use compiles to its own loop.
 */
@inline function forwardColumns(k: i32, two: bool): void {
  // The globals the loop reads, as locals: V8 reloads a global after every store to memory.
  const phiAt = pairPhi;
  const indexAt = pairIndex;
  const fAt = prediction;
  const spareAt = predictionSpare;
  const wAt = params;
  const xTAt = xT;
  const nn = n;
  const dd = d;
  const wRowK = k * d;
  const wRowL = wRowK + d;
  const bk = f64At(params, bOffset + k);
  const bl = two ? f64At(params, bOffset + k + 1) : 0;
  const slotK = k * n;
  const slotL = slotK + n;
  const deadK = i32At(listDead, k);
  const deadL = two ? i32At(listDead, k + 1) : 0;
  const flipK = deadK * 15;
  const flipL = deadL * 15;
  const signK: f64 = deadK ? -1 : 1;
  const signL: f64 = deadL ? -1 : 1;
  const signKVec = f64x2.splat(signK);
  const signLVec = f64x2.splat(signL);
  const vk = f64At(params, vOffset + k);
  const vl = two ? f64At(params, vOffset + k + 1) : 0;
  const vkVec = f64x2.splat(vk);
  const vlVec = f64x2.splat(vl);
  let liveK = slotK;
  let liveL = slotL;
  let i = 0;
  for (; i + 8 <= nn; i += 8) {
    let zk0 = f64x2.splat(bk);
    let zk1 = zk0;
    let zk2 = zk0;
    let zk3 = zk0;
    let zl0 = f64x2.splat(bl);
    let zl1 = zl0;
    let zl2 = zl0;
    let zl3 = zl0;
    let column = xTAt + (<usize>i << 3);
    for (let j = 0; j < dd; j++) {
      const wk = v128.load_splat<f64>(wAt + (<usize>(wRowK + j) << 3));
      const wl = two ? v128.load_splat<f64>(wAt + (<usize>(wRowL + j) << 3)) : wk;
      const x0 = v128.load(column);
      const x1 = v128.load(column, 16);
      const x2 = v128.load(column, 32);
      const x3 = v128.load(column, 48);
      zk0 = f64x2.add(zk0, f64x2.mul(wk, x0));
      zk1 = f64x2.add(zk1, f64x2.mul(wk, x1));
      zk2 = f64x2.add(zk2, f64x2.mul(wk, x2));
      zk3 = f64x2.add(zk3, f64x2.mul(wk, x3));
      if (two) {
        zl0 = f64x2.add(zl0, f64x2.mul(wl, x0));
        zl1 = f64x2.add(zl1, f64x2.mul(wl, x1));
        zl2 = f64x2.add(zl2, f64x2.mul(wl, x2));
        zl3 = f64x2.add(zl3, f64x2.mul(wl, x3));
      }
      column += <usize>nn << 3;
    }
    setVec(phiAt, slotK + i, zk0);
    setVec(phiAt, slotK + i + 2, zk1);
    setVec(phiAt, slotK + i + 4, zk2);
    setVec(phiAt, slotK + i + 6, zk3);
    if (two) {
      setVec(phiAt, slotL + i, zl0);
      setVec(phiAt, slotL + i + 2, zl1);
      setVec(phiAt, slotL + i + 4, zl2);
      setVec(phiAt, slotL + i + 6, zl3);
    }
    setVec(spareAt, i, addTerm(addTerm(vecAt(fAt, i), vkVec, zk0, signKVec), vlVec, zl0, signLVec, two));
    setVec(spareAt, i + 2, addTerm(addTerm(vecAt(fAt, i + 2), vkVec, zk1, signKVec), vlVec, zl1, signLVec, two));
    setVec(spareAt, i + 4, addTerm(addTerm(vecAt(fAt, i + 4), vkVec, zk2, signKVec), vlVec, zl2, signLVec, two));
    setVec(spareAt, i + 6, addTerm(addTerm(vecAt(fAt, i + 6), vkVec, zk3, signKVec), vlVec, zl3, signLVec, two));
    const points0 = i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3));
    const points1 = i32x4.add(points0, i32x4.splat(4));
    liveK = packEight(liveK, points0, points1, zk0, zk1, zk2, zk3, flipK, false, indexAt, phiAt);
    if (two) liveL = packEight(liveL, points0, points1, zl0, zl1, zl2, zl3, flipL, false, indexAt, phiAt);
  }
  for (; i < n; i++) {
    const zk = preActivation(wRowK, bk, i);
    let f = addTermOne(f64At(prediction, i), vk, zk, signK);
    liveK = keep(liveK, slotK, i, zk, deadK);
    if (two) {
      const zl = preActivation(wRowL, bl, i);
      f = addTermOne(f, vl, zl, signL);
      liveL = keep(liveL, slotL, i, zl, deadL);
    }
    setF64(predictionSpare, i, f);
  }
  store<i32>(liveCount + (<usize>k << 2), deadK ? n - (liveK - slotK) : liveK - slotK);
  store<i32>(zPacked + (<usize>k << 2), 0);
  store<i32>(listSlot + (<usize>k << 2), slotK);
  if (two) {
    store<i32>(liveCount + (<usize>(k + 1) << 2), deadL ? n - (liveL - slotL) : liveL - slotL);
    store<i32>(zPacked + (<usize>(k + 1) << 2), 0);
    store<i32>(listSlot + (<usize>(k + 1) << 2), slotL);
  }
}

/** Forward of neurons k and k+1 over all points: their lists, counts and terms of f. */
function forwardNeuronPair(k: i32): void {
  forwardColumns(k, true);
  const changed = settleSide(k) | settleSide(k + 1);
  if (changed) addTermsAgain(k, true);
  swapPredictions();
}

/** Forward of neuron k alone (the last one of an odd width; a lone busy neuron of the skipping pass). */
function forwardNeuron(k: i32): void {
  forwardColumns(k, false);
  if (settleSide(k)) addTermsAgain(k, false);
  swapPredictions();
}

/** The spare buffer of f, which forwardColumns writes, becomes f. */
@inline function swapPredictions(): void {
  const f = prediction;
  prediction = predictionSpare;
  predictionSpare = f;
}

/**
 * predictionSpare = f + the terms of neuron k (and k + 1) at their listed points, again from their
 * rows, after settleSide changed a side (forwardColumns added the other side's).
 */
function addTermsAgain(k: i32, two: bool): void {
  const signK: f64 = i32At(listDead, k) ? -1 : 1;
  const signL: f64 = two && i32At(listDead, k + 1) ? -1 : 1;
  const vk = f64At(params, vOffset + k);
  const vl = two ? f64At(params, vOffset + k + 1) : 0;
  const rowK = pairPhi + (<usize>(k * n) << 3);
  const rowL = rowK + (<usize>n << 3);
  for (let i = 0; i < n; i++) {
    let f = addTermOne(f64At(prediction, i), vk, f64At(rowK, i), signK);
    if (two) f = addTermOne(f, vl, f64At(rowL, i), signL);
    setF64(predictionSpare, i, f);
  }
}

/**
 * After neuron k's z are in its row for every point: its side by the rule of kernel-js.ts ("Pair
 * lists"; listNeuron there is the twin). If the forward pass listed the other one, lists this side
 * from the row, sets listDead[k] and returns true.
 */
function settleSide(k: i32): bool {
  const dead = i32At(liveCount, k) * DEAD_LIST_SHARE_DEN > DEAD_LIST_SHARE_NUM * n;
  if (<i32>dead == i32At(listDead, k)) return false;
  store<i32>(listDead + (<usize>k << 2), <i32>dead);
  const slot0 = k * n;
  const zRow = pairPhi + (<usize>slot0 << 3);
  let end = slot0;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const points0 = i32x4.add(i32x4.splat(i), i32x4(0, 1, 2, 3));
    const points1 = i32x4.add(points0, i32x4.splat(4));
    const z = zRow + (<usize>i << 3);
    end = packEight(end, points0, points1, v128.load(z), v128.load(z, 16), v128.load(z, 32), v128.load(z, 48), <i32>dead * 15, false, pairIndex, pairPhi);
  }
  for (; i < n; i++) {
    store<i32>(pairIndex + (<usize>end << 2), i);
    end += <i32>(f64At(zRow, i) > 0) ^ <i32>dead;
  }
  return true;
}

/**
 * f_i = f_i + (c + U.x_i): the dead-list neurons' v_k z_ki over all points, with c = sum_k v_k b_k
 * and U = sum_k v_k w_k over them in ascending k (addLinearPart in kernel-js.ts); nothing when no
 * neuron lists its dead points (deadLists counts them for the rest of the state's work).
 */
function addLinearPart(): void {
  let c: f64 = 0;
  deadLists = 0;
  for (let j = 0; j < d; j++) store<f64>(forwardDirection + (<usize>j << 3), 0.0);
  for (let k = 0; k < width; k++) {
    if (!i32At(listDead, k)) continue;
    deadLists++;
    const vk = f64At(params, vOffset + k);
    c += vk * f64At(params, bOffset + k);
    const w = params + (<usize>(k * d) << 3);
    for (let j = 0; j < d; j++) {
      const offset = <usize>j << 3;
      store<f64>(forwardDirection + offset, load<f64>(forwardDirection + offset) + vk * load<f64>(w + offset));
    }
  }
  if (deadLists == 0) return;
  const rowBytes = <usize>d << 3;
  for (let i = 0; i < n; i++) setF64(prediction, i, f64At(prediction, i) + (c + dotRow(forwardDirection, x + <usize>i * rowBytes)));
}

/** Neurons listing their dead points in the current state (addLinearPart); the totals over all points are needed only then. */
let deadLists: i32 = 0;

/** f(x_i) for every training point, and the lists of every neuron. */
function forwardRelu(): void {
  const beta = f64At(params, betaOffset);
  for (let i = 0; i < n; i++) setF64(prediction, i, beta);
  let k = 0;
  for (; k + 2 <= width; k += 2) forwardNeuronPair(k);
  if (k < width) forwardNeuron(k);
}

/**
 * Predictions of the current parameters on `count` points (a multiple of 8) stored transposed
 * at pointsT (coordinate j of point i at pointsT + 8 (j count + i)): out[i] = beta + sum_k v_k
 * relu(z_ki) with z = b + w_0 x_0 + w_1 x_1 + ... , ascending k and j, the operations and order
 * of predictNetwork in kernel-js.ts, so both give the same bits. Eight points at a time, their
 * eight sums in four vectors kept in registers across all neurons.
 */
export function predictRelu(pointsT: usize, count: i32, out: usize): void {
  const beta = f64x2.splat(f64At(params, betaOffset));
  const columnBytes = <usize>count << 3;
  for (let i = 0; i < count; i += 8) {
    let f0 = beta;
    let f1 = beta;
    let f2 = beta;
    let f3 = beta;
    const block = pointsT + (<usize>i << 3);
    for (let k = 0; k < width; k++) {
      const wRow = params + (<usize>(k * d) << 3);
      let z0 = v128.load64_splat(params + (<usize>(bOffset + k) << 3));
      let z1 = z0;
      let z2 = z0;
      let z3 = z0;
      let column = block;
      for (let j = 0; j < d; j++) {
        const w = v128.load64_splat(wRow + (<usize>j << 3));
        z0 = f64x2.add(z0, f64x2.mul(w, v128.load(column)));
        z1 = f64x2.add(z1, f64x2.mul(w, v128.load(column, 16)));
        z2 = f64x2.add(z2, f64x2.mul(w, v128.load(column, 32)));
        z3 = f64x2.add(z3, f64x2.mul(w, v128.load(column, 48)));
        column += columnBytes;
      }
      const vk = v128.load64_splat(params + (<usize>(vOffset + k) << 3));
      f0 = f64x2.add(f0, f64x2.mul(vk, reluVec(z0)));
      f1 = f64x2.add(f1, f64x2.mul(vk, reluVec(z1)));
      f2 = f64x2.add(f2, f64x2.mul(vk, reluVec(z2)));
      f3 = f64x2.add(f3, f64x2.mul(vk, reluVec(z3)));
    }
    setVec(out, i, f0);
    setVec(out, i + 2, f1);
    setVec(out, i + 4, f2);
    setVec(out, i + 6, f3);
  }
}

/**
 * row_j += s0 x0j + s1 x1j + s2 x2j + s3 x3j for the four points at p0..p3 (row-major inputs),
 * two coordinates j per vector, the odd last one alone: one step of a gradient row's sum. dd is d
 * (a caller in a loop passes it from a local).
 */
@inline function addFourInputs(rowPtr: usize, p0: usize, p1: usize, p2: usize, p3: usize, dz01: v128, dz23: v128, dd: i32 = d): void {
  const t0 = f64x2.extract_lane(dz01, 0);
  const t1 = f64x2.extract_lane(dz01, 1);
  const t2 = f64x2.extract_lane(dz23, 0);
  const t3 = f64x2.extract_lane(dz23, 1);
  const s0 = v128.shuffle<f64>(dz01, dz01, 0, 0);
  const s1 = v128.shuffle<f64>(dz01, dz01, 1, 1);
  const s2 = v128.shuffle<f64>(dz23, dz23, 0, 0);
  const s3 = v128.shuffle<f64>(dz23, dz23, 1, 1);
  let j = 0;
  for (; j + 2 <= dd; j += 2) {
    const offset = <usize>j << 3;
    let sum = f64x2.add(f64x2.mul(s0, v128.load(p0 + offset)), f64x2.mul(s1, v128.load(p1 + offset)));
    sum = f64x2.add(sum, f64x2.mul(s2, v128.load(p2 + offset)));
    sum = f64x2.add(sum, f64x2.mul(s3, v128.load(p3 + offset)));
    v128.store(rowPtr + offset, f64x2.add(v128.load(rowPtr + offset), sum));
  }
  if (j < dd) {
    const offset = <usize>j << 3;
    const sum = t0 * load<f64>(p0 + offset) + t1 * load<f64>(p1 + offset) + t2 * load<f64>(p2 + offset) + t3 * load<f64>(p3 + offset);
    store<f64>(rowPtr + offset, load<f64>(rowPtr + offset) + sum);
  }
}

/** row_j += t x_ij (one leftover pair), two coordinates j per vector, the odd last one alone; dd is d. */
@inline function addOneInput(rowPtr: usize, p: usize, t: f64, dd: i32 = d): void {
  const tVec = f64x2.splat(t);
  let j = 0;
  for (; j + 2 <= dd; j += 2) {
    const offset = <usize>j << 3;
    v128.store(rowPtr + offset, f64x2.add(v128.load(rowPtr + offset), f64x2.mul(tVec, v128.load(p + offset))));
  }
  if (j < dd) {
    const offset = <usize>j << 3;
    store<f64>(rowPtr + offset, load<f64>(rowPtr + offset) + t * load<f64>(p + offset));
  }
}

/** Two gathered doubles base[i0], base[i1] as one vector. */
@inline function gather2(base: usize, i0: i32, i1: i32): v128 {
  return f64x2.replace_lane(f64x2.splat(f64At(base, i0)), 1, f64At(base, i1));
}

/** (s0 + s2) + (s1 + s3) from the lanes (s0, s1) and (s2, s3): the four-accumulator sums' end. */
@inline function combine4(s01: v128, s23: v128): f64 {
  const s = f64x2.add(s01, s23);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** Results of the last listSums call. */
let listSumT: f64 = 0;
let listSumPhi: f64 = 0;

/**
 * The one pass over neuron k's listed pairs (its live pairs, or its dead ones: "Pair lists") that
 * the gradient and both HVP sums share (kernel-js.ts, listSums, has the order): with
 * w_a = weights[i_a] and t_a = w_a scale, listSumT = sum t_a and listSumPhi = sum w_a z_ka, each in four accumulators by pair position a mod 4 combined as
 * (s0 + s2) + (s1 + s3), then the leftover pairs in turn; the d entries at rowPtr = sum t_a x_i,
 * four pairs at a time. Nothing is stored per pair. z_ka is read where pairPhi holds it
 * (zPacked[k]): at the pair's slot once packed for the HVP, else at the point's.
 */
function listSums(k: i32, weights: usize, scale: f64, rowPtr: usize): void {
  // Four compiled copies: either layout, and without the multiplications when the scale is 1
  // (the HVP's sums; w * 1 is w, so the results are the same).
  if (i32At(zPacked, k) == 1) {
    if (scale == 1) listSumsOf(k, weights, scale, rowPtr, true, true);
    else listSumsOf(k, weights, scale, rowPtr, true, false);
  } else if (scale == 1) listSumsOf(k, weights, scale, rowPtr, false, true);
  else listSumsOf(k, weights, scale, rowPtr, false, false);
}

/** listSums for either layout of pairPhi (`packed` and `unit`, scale == 1, are constants where this is inlined). */
@inline function listSumsOf(k: i32, weights: usize, scale: f64, rowPtr: usize, packed: bool, unit: bool): void {
  // The globals the loop reads, as locals: V8 reloads a global after every store to memory.
  const dd = d;
  const indexAt = pairIndex;
  const phiAt = pairPhi;
  const xAt = x;
  const scaleVec = f64x2.splat(scale);
  const slot0 = i32At(listSlot, k);
  const zRow = phiAt + (<usize>(k * n) << 3);
  const live = listCount(k);
  const rowBytes = <usize>dd << 3;
  for (let j = 0; j < dd; j++) store<f64>(rowPtr + (<usize>j << 3), 0.0);
  let phi01 = f64x2.splat(0);
  let phi23 = phi01;
  let t01 = phi01;
  let t23 = phi01;
  let a = 0;
  for (; a + 4 <= live; a += 4) {
    const s = slot0 + a;
    const i0 = i32At(indexAt, s);
    const i1 = i32At(indexAt, s + 1);
    const i2 = i32At(indexAt, s + 2);
    const i3 = i32At(indexAt, s + 3);
    const w01 = gather2(weights, i0, i1);
    const w23 = gather2(weights, i2, i3);
    phi01 = f64x2.add(phi01, f64x2.mul(w01, packed ? vecAt(phiAt, s) : gather2(zRow, i0, i1)));
    phi23 = f64x2.add(phi23, f64x2.mul(w23, packed ? vecAt(phiAt, s + 2) : gather2(zRow, i2, i3)));
    const scaled01 = unit ? w01 : f64x2.mul(w01, scaleVec);
    const scaled23 = unit ? w23 : f64x2.mul(w23, scaleVec);
    t01 = f64x2.add(t01, scaled01);
    t23 = f64x2.add(t23, scaled23);
    addFourInputs(rowPtr, xAt + <usize>i0 * rowBytes, xAt + <usize>i1 * rowBytes, xAt + <usize>i2 * rowBytes, xAt + <usize>i3 * rowBytes, scaled01, scaled23, dd);
  }
  let sumPhi = combine4(phi01, phi23);
  let sumT = combine4(t01, t23);
  for (; a < live; a++) {
    const i = i32At(indexAt, slot0 + a);
    const w = f64At(weights, i);
    sumPhi += w * (packed ? f64At(phiAt, slot0 + a) : f64At(zRow, i));
    const t = unit ? w : w * scale;
    sumT += t;
    addOneInput(rowPtr, xAt + <usize>i * rowBytes, t, dd);
  }
  listSumT = sumT;
  listSumPhi = sumPhi;
}

/**
 * Neuron k's gradient: with rho_i = (2c/n) r_i, over its live points dL/dw_k = sum rho_i v_k x_i,
 * dL/db_k = sum rho_i v_k, dL/dv_k = sum rho_i z_ki; for a neuron on its dead list (kernel-js.ts,
 * "Pair lists"), v_k P - (the dead points' sum), v_k R - ..., (b_k R + w_k.P) - ..., with
 * R = sum rho_i and P = sum rho_i x_i over all points.
 */
@inline function neuronGradient(k: i32, out: usize): void {
  const vk = f64At(params, vOffset + k);
  const rowPtr = out + (<usize>(k * d) << 3);
  const dead = i32At(listDead, k);
  // listSums for a scale that need not be 1, inlined (one call per neuron saved; with scale 1 its
  // multiplications give the same numbers).
  if (i32At(zPacked, k) == 1) listSumsOf(k, residualWeight, vk, rowPtr, true, false);
  else listSumsOf(k, residualWeight, vk, rowPtr, false, false);
  if (dead) {
    subtractFromTotals(rowPtr, vk, residualTotals);
    setF64(out, bOffset + k, vk * residualTotal - listSumT);
    setF64(out, vOffset + k, (f64At(params, bOffset + k) * residualTotal + dotRow(params + (<usize>(k * d) << 3), residualTotals)) - listSumPhi);
  } else {
    setF64(out, bOffset + k, listSumT);
    setF64(out, vOffset + k, listSumPhi);
  }
}

/** Neuron k's gradient with no live point (an empty live list): +0 everywhere, as neuronGradient gives. */
@inline function zeroGradient(k: i32, out: usize): void {
  const rowPtr = out + (<usize>(k * d) << 3);
  for (let j = 0; j < d; j++) store<f64>(rowPtr + (<usize>j << 3), 0.0);
  setF64(out, bOffset + k, 0);
  setF64(out, vOffset + k, 0);
}

// Pair lists. Each ReLU neuron's terms of f and its sums run over a list of its points (pairIndex
// from slot k n, ascending i): its live points, or, once it is live on more than DEAD_LIST_SHARE of
// them, its dead ones (listDead[k] = 1). A dead-list neuron's share of f is then v_k z over all
// points (addLinearPart) plus v_k relu(-z) over its list, and its live sums are totals over all
// points minus its dead points' sums. kernel-js.ts ("Pair lists") has the rule and the order; this
// is its twin. The skipping pass certifies the points off a neuron's listed side without
// evaluating them: the inactive ones of a live list, and the active ones of a dead list.

/** A neuron takes its dead list when live on more than NUM / DEN of the points (kernel-js.ts has the twin). */
const DEAD_LIST_SHARE_NUM: i32 = 1;
const DEAD_LIST_SHARE_DEN: i32 = 2;
let listDead: usize = 0; // i32, K: 1 when neuron k's list holds its dead points
let predictionSpare: usize = 0; // f64, n: where the full pass writes f + its terms (then swapped with prediction)
let residualTotals: usize = 0; // f64, d: P = sum_i rho_i x_i of the current state
let jvpTotals: usize = 0; // f64, d: Q = sum_i e_i x_i of the current product
let jvpDirection: usize = 0; // f64, d: G = sum over dead-list neurons of dv_k w_k + v_k dw_k
let forwardDirection: usize = 0; // f64, d: U = sum over dead-list neurons of v_k w_k
/** R = sum_i rho_i of the current state (dL/dbeta), kept apart from grad. */
let residualTotal: f64 = 0;

export function setupLists(listDeadPtr: usize, totalsPtr: usize, predictionSparePtr: usize): void {
  listDead = listDeadPtr;
  predictionSpare = predictionSparePtr;
  residualTotals = totalsPtr;
  jvpTotals = totalsPtr + (<usize>d << 3);
  jvpDirection = totalsPtr + (<usize>(2 * d) << 3);
  forwardDirection = totalsPtr + (<usize>(3 * d) << 3);
}

/** The length of neuron k's list. */
@inline function listCount(k: i32): i32 {
  const live = i32At(liveCount, k);
  return i32At(listDead, k) ? n - live : live;
}

/** row_j = scale totals_j - row_j for the d entries (two per vector, the odd last alone). */
function subtractFromTotals(rowPtr: usize, scale: f64, totals: usize): void {
  const scaleVec = f64x2.splat(scale);
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const offset = <usize>j << 3;
    v128.store(rowPtr + offset, f64x2.sub(f64x2.mul(scaleVec, v128.load(totals + offset)), v128.load(rowPtr + offset)));
  }
  if (j < d) {
    const offset = <usize>j << 3;
    store<f64>(rowPtr + offset, scale * load<f64>(totals + offset) - load<f64>(rowPtr + offset));
  }
}

/** out_j = sum_i weights_i x_ij over all points, ascending i for each j (two j per vector, the odd last alone). */
function weightedInputSum(weights: usize, out: usize): void {
  const rowBytes = <usize>d << 3;
  for (let j = 0; j < d; j++) store<f64>(out + (<usize>j << 3), 0.0);
  for (let i = 0; i < n; i++) addOneInput(out, x + <usize>i * rowBytes, f64At(weights, i));
}

/**
 * After a forward pass, for either activation: rho_i = (2c/n) r_i into residualWeight, their sum
 * (dL/dbeta) into grad; returns sum r_i^2.
 */
function residualWeights(lossScale: f64): f64 {
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
  return sumSquares;
}

/**
 * Loss c/n sum r^2 and its gradient into grad, after a dense forward pass or (skipping = 1) the
 * certified skipping one; both leave the same lists and f, so the rest is shared.
 */
export function lossAndGradientRelu(lossScale: f64, skipping: i32): f64 {
  hvpStateReady = 0;
  if (skipping) forwardSkipRelu();
  else forwardRelu();
  addLinearPart();
  const sumSquares = residualWeights(lossScale);
  residualTotal = f64At(grad, betaOffset);
  if (deadLists > 0) weightedInputSum(residualWeight, residualTotals);
  for (let k = 0; k < width; k++) {
    // A neuron found dormant again (2) still has the zeros of its last gradient in grad.
    if (skipping && i32At(dormant, k) == 2) continue;
    if (i32At(liveCount, k) == 0) zeroGradient(k, grad);
    else neuronGradient(k, grad);
  }
  return lossScale * (sumSquares / <f64>n);
}

/**
 * sum_p g_p^2 over the gradient, in four accumulators by p mod 4 combined as (s0 + s2) + (s1 + s3),
 * then the leftover entries in turn: the order of src/model/step.ts (gradientNormSquared).
 */
export function gradientNormSquared(size: i32): f64 {
  let s01 = f64x2.splat(0);
  let s23 = s01;
  let p = 0;
  for (; p + 4 <= size; p += 4) {
    const g01 = vecAt(grad, p);
    const g23 = vecAt(grad, p + 2);
    s01 = f64x2.add(s01, f64x2.mul(g01, g01));
    s23 = f64x2.add(s23, f64x2.mul(g23, g23));
  }
  let sum = combine4(s01, s23);
  for (; p < size; p++) {
    const g = f64At(grad, p);
    sum += g * g;
  }
  return sum;
}

/**
 * params_p -= eta (grad_p scale + weightDecay params_p) for every p (src/model/step.ts, descend).
 * Without weight decay, and with eta > 0 and scale >= 0 finite, that is exactly params_p for a
 * finite parameter whose gradient is +0: a dormant neuron's (forwardSkipRelu found its parameters
 * equal to the anchor's, finite, and zeroGradient wrote its gradient), so its entries are skipped.
 */
export function descend(size: i32, eta: f64, scale: f64, weightDecay: f64): void {
  if (dormantNow > 0 && weightDecay == 0 && eta > 0 && scale >= 0 && eta * scale < Infinity) {
    descendAwake(eta, scale);
    return;
  }
  descendRange(0, size, eta, scale, weightDecay);
}

/** descend over params_p for p in [from, to), two entries per vector (the same bits as one at a time). */
@inline function descendRange(from: i32, to: i32, eta: f64, scale: f64, weightDecay: f64): void {
  const etaVec = f64x2.splat(eta);
  const scaleVec = f64x2.splat(scale);
  const decayVec = f64x2.splat(weightDecay);
  let p = from;
  for (; p + 2 <= to; p += 2) {
    const w = vecAt(params, p);
    setVec(params, p, f64x2.sub(w, f64x2.mul(etaVec, f64x2.add(f64x2.mul(vecAt(grad, p), scaleVec), f64x2.mul(decayVec, w)))));
  }
  for (; p < to; p++) {
    const w = f64At(params, p);
    setF64(params, p, w - eta * (f64At(grad, p) * scale + weightDecay * w));
  }
}

/** descendRange for the one entry p, without weight decay (the same operations). */
@inline function descendOne(p: i32, eta: f64, scale: f64): void {
  const w = f64At(params, p);
  setF64(params, p, w - eta * (f64At(grad, p) * scale + 0 * w));
}

/** descend without weight decay over beta and every neuron but the dormant ones with an empty list. */
function descendAwake(eta: f64, scale: f64): void {
  for (let k = 0; k < width; k++) {
    if (i32At(dormant, k) && i32At(liveCount, k) == 0) continue;
    descendRange(k * d, k * d + d, eta, scale, 0);
    descendOne(bOffset + k, eta, scale);
    descendOne(vOffset + k, eta, scale);
  }
  descendOne(betaOffset, eta, scale);
}

// Hessian-vector products (ReLU). With c = 2 lossScale / n, rho_i = c r_i, e_i = c (J vec)_i and
// L_k the live points of neuron k:
//   (J vec)_i = dbeta + sum_{k: i in L_k} [dv_k z_ki + v_k (db_k + dw_k.x_i)]
//   (H vec)_beta = sum_i e_i
//   (H vec)_v_k  = sum_{L_k} e_i z_ki + dw_k.S_k + db_k T_k
//   (H vec)_b_k  = v_k sum_{L_k} e_i + dv_k T_k
//   (H vec)_w_k  = v_k sum_{L_k} e_i x_i + dv_k S_k
// where T_k = sum_{L_k} rho_i and S_k = sum_{L_k} rho_i x_i carry the whole residual (second
// derivative) term. They depend on the state only, so they are summed once per state, at the
// first product after a lossAndGradientRelu, and a product costs two passes over the listed pairs.
// A dead-list neuron's sums over L_k are totals over all points minus its listed points' sums, and
// its terms of J vec come through c + G.x_i (jvpStart) less its listed points' terms.

let hvpS: usize = 0; // f64, K x d
let hvpT: usize = 0; // f64, K
/** 1 once hvpS and hvpT hold the sums of the current state. */
let hvpStateReady: i32 = 0;

export function setupHvp(hvpSPtr: usize, hvpTPtr: usize): void {
  hvpS = hvpSPtr;
  hvpT = hvpTPtr;
}

/**
 * T_k and S_k of every neuron (listSums with the residual weights, unscaled); then, while the
 * neuron's list is at hand, its listed z moved from its points' slots to its pairs' if they are not
 * there yet (in place: pair a's point is at slot a or later), the layout the products read.
 */
function residualSumsAndPacking(): void {
  for (let k = 0; k < width; k++) {
    const sRow = hvpS + (<usize>(k * d) << 3);
    listSums(k, residualWeight, 1, sRow);
    if (i32At(listDead, k)) {
      subtractFromTotals(sRow, 1, residualTotals);
      setF64(hvpT, k, residualTotal - listSumT);
    } else setF64(hvpT, k, listSumT);
    if (i32At(zPacked, k) == 1) continue;
    const slot0 = i32At(listSlot, k);
    const live = listCount(k);
    for (let a = 0; a < live; a++) setF64(pairPhi, slot0 + a, f64At(pairPhi, slot0 + i32At(pairIndex, slot0 + a)));
    store<i32>(zPacked + (<usize>k << 2), 1);
  }
}

export function hessianVectorProductRelu(vec: usize, out: usize, lossScale: f64): void {
  if (!hvpStateReady) {
    residualSumsAndPacking();
    hvpStateReady = 1;
  }
  const coefficient = (2 * lossScale) / <f64>n;
  jvpStart(vec);
  for (let k = 0; k < width; k++) neuronJvp(k, vec);
  let outBeta: f64 = 0;
  for (let i = 0; i < n; i++) {
    const e = f64At(jvpWeight, i) * coefficient;
    setF64(jvpWeight, i, e);
    outBeta += e;
  }
  setF64(out, betaOffset, outBeta);
  jvpTotal = outBeta;
  if (deadLists > 0) weightedInputSum(jvpWeight, jvpTotals);
  for (let k = 0; k < width; k++) neuronHvpBackward(k, vec, out);
}

/** E = sum_i e_i of the current product. */
let jvpTotal: f64 = 0;

/**
 * jvp_i = dbeta + (c + G.x_i): the dead-list neurons' terms dv_k z_ki + v_k (db_k + dw_k.x_i)
 * summed over all their points, with z_ki = b_k + w_k.x_i, as c = sum_k (dv_k b_k + v_k db_k) and
 * G = sum_k (dv_k w_k + v_k dw_k) (ascending k); neuronJvp then subtracts their dead points' terms.
 * jvp_i = dbeta when no neuron lists its dead points.
 */
function jvpStart(vec: usize): void {
  const vecBeta = f64At(vec, betaOffset);
  if (deadLists == 0) {
    for (let i = 0; i < n; i++) setF64(jvpWeight, i, vecBeta);
    return;
  }
  let c: f64 = 0;
  for (let j = 0; j < d; j++) store<f64>(jvpDirection + (<usize>j << 3), 0.0);
  for (let k = 0; k < width; k++) {
    if (!i32At(listDead, k)) continue;
    const dvk = f64At(vec, vOffset + k);
    const vk = f64At(params, vOffset + k);
    c += dvk * f64At(params, bOffset + k) + vk * f64At(vec, bOffset + k);
    const w = params + (<usize>(k * d) << 3);
    const dw = vec + (<usize>(k * d) << 3);
    for (let j = 0; j < d; j++) {
      const offset = <usize>j << 3;
      store<f64>(jvpDirection + offset, load<f64>(jvpDirection + offset) + (dvk * load<f64>(w + offset) + vk * load<f64>(dw + offset)));
    }
  }
  const rowBytes = <usize>d << 3;
  for (let i = 0; i < n; i++) setF64(jvpWeight, i, vecBeta + (c + dotRow(jvpDirection, x + <usize>i * rowBytes)));
}

/**
 * a.b over d doubles, in the order of kernel-js.ts (dotEvenOdd): even and odd j in two lanes,
 * (sum over even j) + (sum over odd j), then the odd last j.
 */
@inline function dotRow(a: usize, b: usize): f64 {
  let acc = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const offset = <usize>j << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + offset), v128.load(b + offset)));
  }
  let dot = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (j < d) dot += load<f64>(a + (<usize>j << 3)) * load<f64>(b + (<usize>j << 3));
  return dot;
}

/** jvp_i += dv_k z_ki + v_k u for the pair in slot s (point i). */
@inline function addJvpTerm(s: i32, i: i32, u: f64, dvk: f64, vk: f64): void {
  setF64(jvpWeight, i, f64At(jvpWeight, i) + (dvk * f64At(pairPhi, s) + vk * u));
}

/**
 * Neuron k's share of the first pass: u = db_k + dw_k.x_i, jvp_i += dv_k z_ki + v_k u; four pairs
 * interleaved (each dot product is a chain of additions; four chains overlap).
 */
function neuronJvp(k: i32, vec: usize): void {
  const dbk = f64At(vec, bOffset + k);
  // A dead list's terms are subtracted: (-dv) z + (-v) u is exactly -(dv z + v u).
  const sign: f64 = i32At(listDead, k) ? -1 : 1;
  const dvk = sign * f64At(vec, vOffset + k);
  const vk = sign * f64At(params, vOffset + k);
  const slot0 = i32At(listSlot, k);
  const end = slot0 + listCount(k);
  const rowBytes = <usize>d << 3;
  const dw = vec + (<usize>(k * d) << 3);
  let s = slot0;
  for (; s + 4 <= end; s += 4) {
    const i0 = i32At(pairIndex, s);
    const i1 = i32At(pairIndex, s + 1);
    const i2 = i32At(pairIndex, s + 2);
    const i3 = i32At(pairIndex, s + 3);
    const p0 = x + <usize>i0 * rowBytes;
    const p1 = x + <usize>i1 * rowBytes;
    const p2 = x + <usize>i2 * rowBytes;
    const p3 = x + <usize>i3 * rowBytes;
    let acc0 = f64x2.splat(0);
    let acc1 = acc0;
    let acc2 = acc0;
    let acc3 = acc0;
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const offset = <usize>j << 3;
      const w = v128.load(dw + offset);
      acc0 = f64x2.add(acc0, f64x2.mul(w, v128.load(p0 + offset)));
      acc1 = f64x2.add(acc1, f64x2.mul(w, v128.load(p1 + offset)));
      acc2 = f64x2.add(acc2, f64x2.mul(w, v128.load(p2 + offset)));
      acc3 = f64x2.add(acc3, f64x2.mul(w, v128.load(p3 + offset)));
    }
    let dot0 = f64x2.extract_lane(acc0, 0) + f64x2.extract_lane(acc0, 1);
    let dot1 = f64x2.extract_lane(acc1, 0) + f64x2.extract_lane(acc1, 1);
    let dot2 = f64x2.extract_lane(acc2, 0) + f64x2.extract_lane(acc2, 1);
    let dot3 = f64x2.extract_lane(acc3, 0) + f64x2.extract_lane(acc3, 1);
    if (j < d) {
      const offset = <usize>j << 3;
      const w = load<f64>(dw + offset);
      dot0 += w * load<f64>(p0 + offset);
      dot1 += w * load<f64>(p1 + offset);
      dot2 += w * load<f64>(p2 + offset);
      dot3 += w * load<f64>(p3 + offset);
    }
    addJvpTerm(s, i0, dbk + dot0, dvk, vk);
    addJvpTerm(s + 1, i1, dbk + dot1, dvk, vk);
    addJvpTerm(s + 2, i2, dbk + dot2, dvk, vk);
    addJvpTerm(s + 3, i3, dbk + dot3, dvk, vk);
  }
  for (; s < end; s++) {
    const i = i32At(pairIndex, s);
    addJvpTerm(s, i, dbk + dotRow(dw, x + <usize>i * rowBytes), dvk, vk);
  }
}

/**
 * The second pass for neuron k: E = sum e_i, V = sum e_i z_ki and R = sum e_i x_i over its live
 * points (listSums, unscaled; a dead list's totals minus its sums), then out_w = v_k R + dv_k S_k, out_b = v_k E + dv_k T_k,
 * out_v = V + (dw_k.S_k + db_k T_k).
 */
function neuronHvpBackward(k: i32, vec: usize, out: usize): void {
  const row = k * d;
  const rowPtr = out + (<usize>row << 3);
  listSums(k, jvpWeight, 1, rowPtr);
  let sumE = listSumT;
  let sumV = listSumPhi;
  if (i32At(listDead, k)) {
    subtractFromTotals(rowPtr, 1, jvpTotals);
    sumE = jvpTotal - sumE;
    sumV = (f64At(params, bOffset + k) * jvpTotal + dotRow(params + (<usize>row << 3), jvpTotals)) - sumV;
  }
  const vk = f64At(params, vOffset + k);
  const dvk = f64At(vec, vOffset + k);
  const tk = f64At(hvpT, k);
  const sRow = hvpS + (<usize>row << 3);
  for (let j = 0; j < d; j++) {
    const offset = <usize>j << 3;
    store<f64>(rowPtr + offset, vk * load<f64>(rowPtr + offset) + dvk * load<f64>(sRow + offset));
  }
  setF64(out, bOffset + k, vk * sumE + dvk * tk);
  setF64(out, vOffset + k, sumV + (dotRow(vec + (<usize>row << 3), sRow) + f64At(vec, bOffset + k) * tk));
}

// ---------------------------------------------------------------------------------------------
// Exact work-skipping. The certificate and the slack are those of src/model/kernel-skip.ts (see
// its header): since ||x_i|| <= R, z_ki moves by at most delta_k = R ||w_k - w0_k|| + |b_k - b0_k|
// from its value at the anchor (w0_k, b0_k), the parameters at the neuron's last re-anchoring.
// A neuron lists its live points, or its dead ones when live on more than half ("Pair lists"
// above). At the anchor, the points with margin m_i up to a reach (REACH_FACTOR times the
// displacement of the interval that just ended) become its candidates, in ascending i, m_i being
// how far z_ki is from crossing to the listed side: -z_ki for a live list, z_ki for a dead one.
// For small d their inputs are copied, transposed in blocks of eight, next to the list when the
// neuron is first evaluated on them; above it they are gathered from x each time (evaluateListOf).
// While delta_k + slack stays within the reach, every other point provably stays off the listed
// side (inactive for a live list, active for a dead one; its term of f is 0), and an epoch
// evaluates the candidates with the dense pass's vectorised loop over those inputs (the same
// operations in the same order, so the same z), packing the listed ones in ascending i as the
// dense pass does: the lists come out the same. Past the reach, or once the unlisted candidates it
// evaluated since its anchor add up to more than WASTE_BUDGET n, the neuron is re-anchored: from
// its wide list (the points within WIDE_FACTOR times the reach at its last full evaluation) while
// that provably holds every point within the new reach (subAnchor), else by a full evaluation
// (reevaluate). A neuron whose list is longer than `capacity`, or with more candidates
// than that (it moves fast), takes the vectorised full pass instead (two such neighbours share the
// dense two-neuron pass) and keeps no candidates: for `backoff` epochs, doubled each time this
// happens and halved at each regular re-evaluation. A neuron whose smallest margin at the anchor
// exceeds delta_k + slack has an empty list this epoch without evaluating anything; if its
// parameters equal the anchor's then (a dead neuron, no weight decay), it is `dormant`: until they
// differ, an epoch only compares them with the anchor, and its gradient is written as zeros.

/**
 * A re-anchored neuron's candidates: the points within this many times the displacement of the
 * interval that just ended. Smaller lists cost re-anchorings, which the wide lists make cheap; 1.5
 * with WIDE_FACTOR 8 against 2 with 4: 0.0880 to 0.0858 ms at the shattered E1 state, 0.134 to
 * 0.129 ms over E1's first 4000 epochs, E2 states within 1% (d 2, 4; weight decay at d 5) or 3%
 * faster (d 5); medians of 5 to 11 interleaved runs.
 */
const REACH_FACTOR: f64 = 1.5;
/** Unlisted evaluations, in units of n, that a neuron may spend before it is evaluated in full again. */
const WASTE_BUDGET: i32 = 4;
/** Candidates a neuron may have (a multiple of 8; kernel-wasm.ts chooses it and says why). */
let capacity: i32 = 0;
let radius: f64 = 0;
let pairsEvaluated: f64 = 0;
let anchorW: usize = 0; // K x d
let anchorB: usize = 0; // K
let anchorWNorm: usize = 0; // K
let anchorSlack: usize = 0; // K: the bound while the parameters equal the anchor
let wasted: usize = 0; // K
let anchored: usize = 0; // i32, K
let candidates: usize = 0; // i32, K x listStride: candidate points, ascending
/** Slots per neuron in `candidates`: capacity and a spare block (reevaluate writes one past the end). */
let listStride: i32 = 0;
let inputsCopied: usize = 0; // i32, K: 1 once candidateX holds the inputs of the neuron's current candidates
// f64, K x capacity x d: their inputs, block b of 8 at b 8d, coordinate j at + 8j (0: gathered instead)
let candidateX: usize = 0;
let candidateCount: usize = 0; // i32, K
let reach: usize = 0; // f64, K: the margin up to which the points are candidates
let firstMargin: usize = 0; // f64, K: the smallest margin of any point at the anchor
let denseUntil: usize = 0; // f64, K: epoch until which the neuron takes the full pass
let backoff: usize = 0; // f64, K: how many epochs the next switch to the full pass lasts
// i32, K: 1 once the neuron's empty live list was certified at its anchor's bound, 2 once that held
// again in a later epoch (forwardSkipRelu), so that its last gradient is already zeros.
let dormant: usize = 0;
// The wide list: at each full evaluation with a finite reach, the points with margin <= WIDE_FACTOR
// times that reach, ascending i (at most wideCapacity of them, else none: wideCount -1), and the
// parameters of that evaluation (the full anchor). Every other point's margin then exceeds the wide
// reach less the displacement since the full anchor, so a later re-anchoring whose reach stays
// below that evaluates only the wide list's points (subAnchor) instead of all n.
const WIDE_FACTOR: f64 = 8;
let wideCapacity: i32 = 0;
let wideList: usize = 0; // i32, K x (wideCapacity + 8)
let wideCount: usize = 0; // i32, K: the wide list's length, -1 when there is none
let wideReach: usize = 0; // f64, K
let fullW: usize = 0; // f64, K x d: the full anchor
let fullB: usize = 0; // f64, K
let fullWNorm: usize = 0; // f64, K: ||w|| there

/** Neurons dormant in the last skipping pass (descend goes neuron by neuron only if there are some). */
let dormantNow: i32 = 0;
let epoch: f64 = 0;

export function setupSkip(
  capacityIn: i32,
  inputsCopiedPtr: usize,
  anchorWPtr: usize,
  anchorBPtr: usize,
  anchorWNormPtr: usize,
  anchorSlackPtr: usize,
  wastedPtr: usize,
  anchoredPtr: usize,
  candidatesPtr: usize,
  candidateXPtr: usize,
  candidateCountPtr: usize,
  reachPtr: usize,
  firstMarginPtr: usize,
  denseUntilPtr: usize,
  backoffPtr: usize,
  dormantPtr: usize,
  wideCapacityIn: i32,
  wideListPtr: usize,
  wideCountPtr: usize,
  wideReachPtr: usize,
  fullWPtr: usize,
  fullBPtr: usize,
  fullWNormPtr: usize,
): void {
  wideCapacity = wideCapacityIn;
  wideList = wideListPtr;
  wideCount = wideCountPtr;
  wideReach = wideReachPtr;
  fullW = fullWPtr;
  fullB = fullBPtr;
  fullWNorm = fullWNormPtr;
  capacity = capacityIn;
  listStride = capacityIn + 8;
  inputsCopied = inputsCopiedPtr;
  anchorW = anchorWPtr;
  anchorB = anchorBPtr;
  anchorWNorm = anchorWNormPtr;
  anchorSlack = anchorSlackPtr;
  wasted = wastedPtr;
  anchored = anchoredPtr;
  candidates = candidatesPtr;
  candidateX = candidateXPtr;
  candidateCount = candidateCountPtr;
  reach = reachPtr;
  firstMargin = firstMarginPtr;
  denseUntil = denseUntilPtr;
  backoff = backoffPtr;
  dormant = dormantPtr;
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
  // The first pass is a full one for every neuron: it learns which are busy without listing
  // candidates for neurons that are about to take full passes anyway.
  for (let k = 0; k < width; k++) {
    store<i32>(anchored + (<usize>k << 2), 0);
    store<i32>(dormant + (<usize>k << 2), 0);
    store<i32>(wideCount + (<usize>k << 2), -1);
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

/**
 * Full evaluation with a new anchor: the neuron's list and terms (forwardNeuron), then the points
 * with margin <= reachNow (how far z is from leaving the side the neuron does not list: -z for a
 * live list, z for a dead list) become the candidates, in ascending i, inputs copied; with more
 * than `capacity` of them the neuron takes full passes for a while instead and stays unanchored.
 * Those with margin <= WIDE_FACTOR reachNow become the wide list, with this anchor as the full one.
 * Returns the live count.
 */
function reevaluate(k: i32, reachNow: f64): i32 {
  store<i32>(dormant + (<usize>k << 2), 0);
  store<i32>(wideCount + (<usize>k << 2), -1);
  forwardNeuron(k);
  const live = i32At(liveCount, k);
  const sign: f64 = i32At(listDead, k) ? 1 : -1;
  const slot0 = k * n;
  const zRow = pairPhi + (<usize>slot0 << 3);
  const list = candidates + (<usize>(k * listStride) << 2);
  const wide = wideList + (<usize>(k * (wideCapacity + 8)) << 2);
  pairsEvaluated += <f64>n;
  setAnchor(k);
  if (reachNow == 0) {
    // The next epoch's bound (at least the slack, > 0) passes this reach: it re-anchors with a
    // measured displacement, so no candidates are listed now.
    store<i32>(candidateCount + (<usize>k << 2), 0);
    setF64(reach, k, 0);
    return live;
  }
  // Branch-free: every point is written at the lists' ends, which advance past their points; the
  // ends stop at capacity (each list has a spare slot there).
  const wideReachNow = WIDE_FACTOR * reachNow;
  let count = 0;
  let wideNow = 0;
  let smallest = Infinity;
  for (let i = 0; i < n; i++) {
    const margin = sign * f64At(zRow, i);
    smallest = Math.min(smallest, margin);
    store<i32>(list + (<usize>min(count, capacity) << 2), i);
    count += <i32>(margin <= reachNow);
    store<i32>(wide + (<usize>min(wideNow, wideCapacity) << 2), i);
    wideNow += <i32>(margin <= wideReachNow);
  }
  if (count > capacity) {
    toDenseMode(k);
    return live;
  }
  if (wideNow <= wideCapacity) {
    store<i32>(wideCount + (<usize>k << 2), wideNow);
    setF64(wideReach, k, wideReachNow);
    const wRow = k * d;
    for (let j = 0; j < d; j++) setF64(fullW, wRow + j, f64At(anchorW, wRow + j));
    setF64(fullB, k, f64At(anchorB, k));
    setF64(fullWNorm, k, f64At(anchorWNorm, k));
  }
  store<i32>(candidateCount + (<usize>k << 2), count);
  // Their inputs are copied when first evaluated (a neuron may be re-anchored before that).
  store<i32>(inputsCopied + (<usize>k << 2), 0);
  setF64(reach, k, reachNow);
  setF64(firstMargin, k, smallest);
  return live;
}

/** Neuron k moves too fast for a list: full passes for a while, longer each time it happens. */
function toDenseMode(k: i32): void {
  const h = f64At(backoff, k);
  setF64(denseUntil, k, epoch + h);
  setF64(backoff, k, Math.min(1024, 2 * h));
  store<i32>(anchored + (<usize>k << 2), 0);
}

/**
 * Re-anchors neuron k with candidates up to margin reachNow: from its wide list when every point
 * off that list provably has a larger margin now, else by a full evaluation (reevaluate).
 */
function reanchor(k: i32, reachNow: f64): i32 {
  if (i32At(wideCount, k) >= 0) {
    // Off the wide list, margin > wideReach at the full anchor, so > wideReach - bound now; the
    // factor takes the subtraction's rounding (far inside the bound's own slack) off it.
    const outside = (f64At(wideReach, k) - boundFrom(k, fullW, fullB, fullWNorm, 0)) * (1 - 1e-12);
    if (reachNow <= outside) return subAnchor(k, reachNow, outside);
  }
  return reevaluate(k, reachNow);
}

/**
 * Re-anchors neuron k from its wide list: its points are evaluated as candidates are (their terms
 * added to f, the listed ones packed at the neuron's own row, k n), those with margin <= reachNow
 * become the candidates, and the smallest margin is the least of theirs and `outside` (a lower
 * bound on every other point's). The side cannot change: the list is shorter than n/2.
 */
function subAnchor(k: i32, reachNow: f64, outside: f64): i32 {
  const list = candidates + (<usize>(k * listStride) << 2);
  selectList = list;
  selectCount = 0;
  selectReach = reachNow;
  selectSmallest = outside;
  const wide = wideList + (<usize>(k * (wideCapacity + 8)) << 2);
  const listed = evaluateListOf(k, wide, i32At(wideCount, k), k * n, false, true);
  const live = i32At(listDead, k) ? n - listed : listed;
  setAnchor(k);
  if (selectCount > capacity) {
    // As in reevaluate: too many candidates, so full passes for a while.
    toDenseMode(k);
    return live;
  }
  store<i32>(candidateCount + (<usize>k << 2), selectCount);
  store<i32>(inputsCopied + (<usize>k << 2), 0);
  setF64(reach, k, reachNow);
  setF64(firstMargin, k, selectSmallest);
  return live;
}

/** Where subAnchor's evaluation (candidateBlock with `select`) lists the new candidates. */
let selectList: usize = 0;
let selectCount: i32 = 0;
let selectReach: f64 = 0;
let selectSmallest: f64 = 0;

/** The anchor of neuron k: its parameters now, and the certificate's slack at zero displacement. */
function setAnchor(k: i32): void {
  const wRow = k * d;
  let wNormSq: f64 = 0;
  for (let j = 0; j < d; j++) {
    const w = f64At(params, wRow + j);
    setF64(anchorW, wRow + j, w);
    wNormSq += w * w;
  }
  const b0 = f64At(params, bOffset + k);
  setF64(anchorB, k, b0);
  const w0Norm = Math.sqrt(wNormSq);
  setF64(anchorWNorm, k, w0Norm);
  setF64(anchorSlack, k, boundSlack(b0, b0, w0Norm, w0Norm));
  store<i32>(anchored + (<usize>k << 2), 1);
  setF64(wasted, k, 0);
}

/**
 * The inputs of neuron k's candidates, transposed in blocks of eight next to its list; the last
 * block padded with zeros (its spare lanes are evaluated and then ignored).
 */
function copyCandidateInputs(k: i32): void {
  const count = i32At(candidateCount, k);
  const list = candidates + (<usize>(k * listStride) << 2);
  const blocks = (count + 7) >> 3;
  const copy = candidateX + (<usize>(k * capacity * d) << 3);
  for (let b = 0; b < blocks; b++) {
    const block = copy + (<usize>(b * 8 * d) << 3);
    for (let l = 0; l < 8; l++) {
      const c = b * 8 + l;
      if (c < count) {
        const i = i32At(list, c);
        for (let j = 0; j < d; j++) setF64(block, j * 8 + l, f64At(x, i * d + j));
      } else {
        store<i32>(list + (<usize>c << 2), 0);
        for (let j = 0; j < d; j++) setF64(block, j * 8 + l, 0);
      }
    }
  }
  store<i32>(inputsCopied + (<usize>k << 2), 1);
}

/**
 * The candidates of neuron k, eight at a time: z as the dense pass computes it; the points of the
 * neuron's side (listDead[k]; every other point is certified off it) packed in ascending i with
 * their z (layout 1), and their terms v_k relu(s_k z) added to f. Returns the live count. The
 * side cannot change here: fewer than n/2 candidates (capacity) leave a live list with fewer than
 * n/2 live points and a dead list with more than n/2.
 */
@inline function evaluateCandidates(k: i32): i32 {
  const list = candidates + (<usize>(k * listStride) << 2);
  const count = i32At(candidateCount, k);
  // Packed in the compact area (listSlot), right after the list packed there before it.
  let listed: i32;
  if (candidateX != 0) {
    if (!i32At(inputsCopied, k)) copyCandidateInputs(k);
    listed = evaluateListOf(k, list, count, areaEnd, true, false);
  } else {
    listed = evaluateListOf(k, list, count, areaEnd, false, false);
  }
  areaEnd += listed;
  setF64(wasted, k, f64At(wasted, k) + <f64>(count - listed));
  return i32At(listDead, k) ? n - listed : listed;
}

/**
 * The `count` points of neuron k's `list` (ascending i) evaluated as candidates, their listed ones
 * packed from slot0 (listSlot): over the candidates' copied inputs (`copied`: kernel-wasm.ts
 * reserves candidateX for small d), or over the rows of x, eight rows gathered and transposed two
 * coordinates at a time (the same z: the same operations in the same order); with `select`,
 * subAnchor's selection of new candidates too. Returns the number packed.
 */
@inline function evaluateListOf(k: i32, list: usize, count: i32, slot0: i32, copied: bool, select: bool): i32 {
  const side = i32At(listDead, k);
  const bk = f64At(params, bOffset + k);
  store<i32>(listSlot + (<usize>k << 2), slot0);
  const column = copied ? candidateX + (<usize>(k * capacity * d) << 3) : 0;
  let end = slot0;
  let c = 0;
  // Blocks of eight; with gathered inputs the last one computes only as many pairs of points as it has.
  for (; count - c >= 8; c += 8) end = candidateBlock(k, list, c, count, end, column, bk, side, copied, 8, select);
  const rest = count - c;
  if (copied || rest > 6) {
    if (rest > 0) end = candidateBlock(k, list, c, count, end, column, bk, side, copied, 8, select);
  } else if (rest > 4) end = candidateBlock(k, list, c, count, end, column, bk, side, false, 6, select);
  else if (rest > 2) end = candidateBlock(k, list, c, count, end, column, bk, side, false, 4, select);
  else if (rest > 0) end = candidateBlock(k, list, c, count, end, column, bk, side, false, 2, select);
  pairsEvaluated += <f64>count;
  store<i32>(zPacked + (<usize>k << 2), 1);
  return end - slot0;
}

/**
 * The block of neuron k's candidates from c (of `count`): z of its first `lanes` points (2, 4, 6 or
 * 8; copied inputs take 8); their terms added to f, the listed ones packed at `end`, and with
 * `select` subAnchor's new candidates listed (selectLanes). Returns the new end. `copied`, `lanes`
 * and `select` are constants where this is inlined, so each use compiles to its own loop.
 */
@inline function candidateBlock(k: i32, list: usize, c: i32, count: i32, end: i32, column: usize, bk: f64, side: i32, copied: bool, lanes: i32, select: bool): i32 {
  const wPtr = params + (<usize>(k * d) << 3);
  const points0 = v128.load(list + (<usize>c << 2));
  const points1 = v128.load(list + (<usize>c << 2), 16);
  let z0 = f64x2.splat(bk);
  let z1 = z0;
  let z2 = z0;
  let z3 = z0;
  if (copied) {
    let block = column + (<usize>(c * d) << 3);
    for (let j = 0; j < d; j++) {
      const w = v128.load_splat<f64>(wPtr + (<usize>j << 3));
      z0 = f64x2.add(z0, f64x2.mul(w, v128.load(block)));
      z1 = f64x2.add(z1, f64x2.mul(w, v128.load(block, 16)));
      z2 = f64x2.add(z2, f64x2.mul(w, v128.load(block, 32)));
      z3 = f64x2.add(z3, f64x2.mul(w, v128.load(block, 48)));
      block += 64;
    }
  } else {
    // Eight input rows read two coordinates at a time and transposed (the same z). Lanes past
    // the count read the rows of stale list entries (valid points) and are ignored.
    const rowBytes = <usize>d << 3;
    const at = list + (<usize>c << 2);
    const p0 = x + <usize>load<i32>(at) * rowBytes;
    const p1 = x + <usize>load<i32>(at, 4) * rowBytes;
    const p2 = lanes > 2 ? x + <usize>load<i32>(at, 8) * rowBytes : 0;
    const p3 = lanes > 2 ? x + <usize>load<i32>(at, 12) * rowBytes : 0;
    const p4 = lanes > 4 ? x + <usize>load<i32>(at, 16) * rowBytes : 0;
    const p5 = lanes > 4 ? x + <usize>load<i32>(at, 20) * rowBytes : 0;
    const p6 = lanes > 6 ? x + <usize>load<i32>(at, 24) * rowBytes : 0;
    const p7 = lanes > 6 ? x + <usize>load<i32>(at, 28) * rowBytes : 0;
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const offset = <usize>j << 3;
      const wa = v128.load_splat<f64>(wPtr + offset);
      const wb = v128.load_splat<f64>(wPtr + offset + 8);
      // Each vector takes coordinate j, then j + 1.
      z0 = addTwoCoordinates(z0, wa, wb, p0, p1, offset);
      if (lanes > 2) z1 = addTwoCoordinates(z1, wa, wb, p2, p3, offset);
      if (lanes > 4) z2 = addTwoCoordinates(z2, wa, wb, p4, p5, offset);
      if (lanes > 6) z3 = addTwoCoordinates(z3, wa, wb, p6, p7, offset);
    }
    if (j < d) {
      const offset = <usize>j << 3;
      const w = v128.load_splat<f64>(wPtr + offset);
      z0 = f64x2.add(z0, f64x2.mul(w, f64x2.replace_lane(v128.load_splat<f64>(p0 + offset), 1, load<f64>(p1 + offset))));
      if (lanes > 2) z1 = f64x2.add(z1, f64x2.mul(w, f64x2.replace_lane(v128.load_splat<f64>(p2 + offset), 1, load<f64>(p3 + offset))));
      if (lanes > 4) z2 = f64x2.add(z2, f64x2.mul(w, f64x2.replace_lane(v128.load_splat<f64>(p4 + offset), 1, load<f64>(p5 + offset))));
      if (lanes > 6) z3 = f64x2.add(z3, f64x2.mul(w, f64x2.replace_lane(v128.load_splat<f64>(p6 + offset), 1, load<f64>(p7 + offset))));
    }
  }
  const valid = count - c;
  if (select) selectLanes(list, c, min(valid, 8), z0, z1, z2, z3, side, lanes);
  if (valid >= 8) {
    const signVec = f64x2.splat(side ? -1 : 1);
    const vkVec = f64x2.splat(f64At(params, vOffset + k));
    const at = list + (<usize>c << 2);
    addTwoTerms(load<i32>(at), load<i32>(at, 4), z0, vkVec, signVec);
    addTwoTerms(load<i32>(at, 8), load<i32>(at, 12), z1, vkVec, signVec);
    addTwoTerms(load<i32>(at, 16), load<i32>(at, 20), z2, vkVec, signVec);
    addTwoTerms(load<i32>(at, 24), load<i32>(at, 28), z3, vkVec, signVec);
    return packEight(end, points0, points1, z0, z1, z2, z3, side * 15, true, pairIndex, pairPhi);
  }
  // The last, partial block: lanes past the count are padding.
  const vk = f64At(params, vOffset + k);
  storeLanes(z0, z1, z2, z3, lanes);
  for (let l = 0; l < valid; l++) {
    const i = i32At(list, c + l);
    const z = f64At(laneScratch, l);
    setF64(pairPhi, end, z);
    store<i32>(pairIndex + (<usize>end << 2), i);
    setF64(prediction, i, addTermOne(f64At(prediction, i), vk, z, side ? -1 : 1));
    end += <i32>(z > 0) ^ side;
  }
  return end;
}

/** subAnchor's new candidates among the block's first `lanes` points: margin <= selectReach. */
@inline function selectLanes(list: usize, c: i32, count: i32, z0: v128, z1: v128, z2: v128, z3: v128, side: i32, lanes: i32): void {
  const sign: f64 = side ? 1 : -1;
  storeLanes(z0, z1, z2, z3, lanes);
  for (let l = 0; l < count; l++) {
    const margin = sign * f64At(laneScratch, l);
    selectSmallest = Math.min(selectSmallest, margin);
    store<i32>(selectList + (<usize>min(selectCount, capacity) << 2), i32At(list, c + l));
    selectCount += <i32>(margin <= selectReach);
  }
}

/** The computed lanes of z (2 to 8, a constant where inlined), for reading one at a time. */
const laneScratch: usize = memory.data(64, 16);

@inline function storeLanes(z0: v128, z1: v128, z2: v128, z3: v128, lanes: i32): void {
  v128.store(laneScratch, z0);
  if (lanes > 2) v128.store(laneScratch, z1, 16);
  if (lanes > 4) v128.store(laneScratch, z2, 32);
  if (lanes > 6) v128.store(laneScratch, z3, 48);
}

/** z + wa x_j + wb x_j+1 for the two points whose rows are at pa and pb, coordinates j, j + 1 at offset (each lane in that order). */
@inline function addTwoCoordinates(z: v128, wa: v128, wb: v128, pa: usize, pb: usize, offset: usize): v128 {
  const ra = v128.load(pa + offset);
  const rb = v128.load(pb + offset);
  return f64x2.add(f64x2.add(z, f64x2.mul(wa, v128.shuffle<f64>(ra, rb, 0, 2))), f64x2.mul(wb, v128.shuffle<f64>(ra, rb, 1, 3)));
}

/** For the points i0 and i1: f_i + v_k relu(s_k z) (addTerm). */
@inline function addTwoTerms(i0: i32, i1: i32, z: v128, vk: v128, sign: v128): void {
  const terms = f64x2.mul(vk, reluVec(f64x2.mul(sign, z)));
  setF64(prediction, i0, f64At(prediction, i0) + f64x2.extract_lane(terms, 0));
  setF64(prediction, i1, f64At(prediction, i1) + f64x2.extract_lane(terms, 1));
}

/** Whether the w row at wRow equals its anchor exactly (two coordinates per comparison). */
@inline function equalsAnchor(wRow: i32): bool {
  const w = params + (<usize>wRow << 3);
  const w0 = anchorW + (<usize>wRow << 3);
  let equal = i64x2.splat(-1);
  let j = 0;
  for (; j + 2 <= d; j += 2) equal = v128.and(equal, f64x2.eq(v128.load(w + (<usize>j << 3)), v128.load(w0 + (<usize>j << 3))));
  return i64x2.all_true(equal) && (j == d || load<f64>(w + (<usize>j << 3)) == load<f64>(w0 + (<usize>j << 3)));
}

/**
 * delta_k + slack: how far any z_ki may have moved since neuron k's anchor. The slack takes
 * ||w0_k|| + ||w_k - w0_k|| for ||w_k|| (at least as large, to rounding far inside the slack's
 * margin), which saves a second sum and square root. A neuron whose parameters still equal the
 * anchor's (a dead neuron without weight decay never moves) gets the slack kept from the anchor.
 */
@inline function certifiedBound(k: i32): f64 {
  return boundFrom(k, anchorW, anchorB, anchorWNorm, anchorSlack);
}

/**
 * certifiedBound from the anchor in w0Rows, b0s and w0Norms (K x d, K, K): with `stillSlack`
 * (nonzero), the bound kept there is taken while the parameters equal the anchor's.
 */
@inline function boundFrom(k: i32, w0Rows: usize, b0s: usize, w0Norms: usize, stillSlack: usize): f64 {
  const w = params + (<usize>(k * d) << 3);
  const w0 = w0Rows + (<usize>(k * d) << 3);
  const bk = f64At(params, bOffset + k);
  const b0 = f64At(b0s, k);
  let sums = f64x2.splat(0);
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const offset = <usize>j << 3;
    const step = f64x2.sub(v128.load(w + offset), v128.load(w0 + offset));
    sums = f64x2.add(sums, f64x2.mul(step, step));
  }
  let moveSq = f64x2.extract_lane(sums, 0) + f64x2.extract_lane(sums, 1);
  if (j < d) {
    const step = load<f64>(w + (<usize>j << 3)) - load<f64>(w0 + (<usize>j << 3));
    moveSq += step * step;
  }
  // Every step exactly 0 (or below 1e-160, far inside the slack): the anchor's own bound.
  if (stillSlack != 0 && moveSq == 0 && bk == b0) return f64At(stillSlack, k);
  const move = Math.sqrt(moveSq);
  const w0Norm = f64At(w0Norms, k);
  const displacement = (radius * move + Math.abs(bk - b0)) * (1 + 1e-9);
  return displacement + boundSlack(bk, b0, w0Norm + move, w0Norm);
}

/** The rounding slack of the certificate (kernel-skip.ts derives it). */
@inline function boundSlack(bk: f64, b0: f64, wNorm: f64, w0Norm: f64): f64 {
  return 1e-12 * <f64>(d + 2) * (1 + Math.abs(bk) + Math.abs(b0) + radius * (wNorm + w0Norm));
}

/** Whether neuron k takes the full pass this epoch: its list (last epoch) is too long, or it moves too fast. */
@inline function denseMode(k: i32): bool {
  return listCount(k) > capacity || epoch < f64At(denseUntil, k);
}

/** The skipping forward pass: same prediction and lists as forwardRelu. */
function forwardSkipRelu(): void {
  const beta = f64At(params, betaOffset);
  for (let i = 0; i < n; i++) setF64(prediction, i, beta);
  epoch += 1;
  dormantNow = 0;
  areaEnd = width * n;
  for (let k = 0; k < width; k++) {
    if (i32At(dormant, k)) {
      // A dead neuron (no weight decay): while its parameters equal the anchor, the branch below
      // that made it dormant is taken again with the same numbers (the state it reads changes only
      // in the paths that clear this flag): an empty list, nothing to evaluate or add to f.
      if (equalsAnchor(k * d) && f64At(params, bOffset + k) == f64At(anchorB, k)) {
        store<i32>(liveCount + (<usize>k << 2), 0);
        store<i32>(dormant + (<usize>k << 2), 2);
        dormantNow++;
        continue;
      }
      store<i32>(dormant + (<usize>k << 2), 0);
    }
    const dense = denseMode(k);
    if (dense && k + 1 < width && denseMode(k + 1)) {
      // Two neighbours in full-pass mode share the dense kernel's two-neuron pass.
      forwardNeuronPair(k);
      pairsEvaluated += <f64>(2 * n);
      store<i32>(anchored + (<usize>k << 2), 0);
      store<i32>(anchored + (<usize>(k + 1) << 2), 0);
      k++;
      continue;
    }
    let live: i32;
    if (dense) {
      // Busy or fast-moving neuron: the vectorised full pass; its list would go stale.
      forwardNeuron(k);
      live = i32At(liveCount, k);
      pairsEvaluated += <f64>n;
      store<i32>(anchored + (<usize>k << 2), 0);
    } else if (i32At(anchored, k) == 0) {
      // No displacement known yet: anchored with reach 0 and no candidates; the next epoch's bound
      // passes that reach and re-evaluates with a measured one (a full pass costs less than guessing).
      live = reevaluate(k, 0);
    } else {
      const limit = certifiedBound(k);
      const overBudget = f64At(wasted, k) > <f64>(WASTE_BUDGET * n);
      if (limit != limit) {
        // A diverging run: the full pass, which the dense kernel takes too.
        live = reevaluate(k, Infinity);
      } else if (overBudget || limit > f64At(reach, k)) {
        if (overBudget) setF64(backoff, k, Math.max(1, f64At(backoff, k) / 2));
        // List as far as REACH_FACTOR times the displacement of the interval that just ended.
        live = reanchor(k, REACH_FACTOR * limit);
      } else if (limit < f64At(firstMargin, k)) {
        // Every point certified off the listed side: an empty list, nothing to add to f.
        const side = i32At(listDead, k);
        live = side ? n : 0;
        // At the anchor's bound, the epochs to come take this branch too while the parameters stay.
        if (!side && limit == f64At(anchorSlack, k)) {
          store<i32>(dormant + (<usize>k << 2), 1);
          dormantNow++;
        }
      } else {
        live = evaluateCandidates(k);
      }
    }
    store<i32>(liveCount + (<usize>k << 2), live);
  }
}

// ---------------------------------------------------------------------------------------------
// GELU networks: the twin of kernel-js.ts's GELU paths (forwardGelu, backwardGelu,
// hessianVectorProductGelu), every pair live, with the activation of src/model/activation.ts
// ported operation for operation. The only difference is Math.exp: AssemblyScript's own exp and
// V8's may differ in the last bit, so this kernel agrees with the TypeScript one to rounding
// (about 1e-15 relative), not bitwise.

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;
const ONE_OVER_SQRT_PI: f64 = 0.5641895835477563;
const INV_SQRT_2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;

let pairDphi: usize = 0; // f64, K x n: phi'(z_ki)
let pairD2phi: usize = 0; // f64, K x n: phi''(z_ki)
let positiveCount: usize = 0; // i32, K: points with z_ki > 0
let geluColumn: usize = 0; // f64, n: one neuron's pre-activations
let pairTerm: usize = 0; // f64, n: per pair of one neuron, d(out)/dz
let pairVTerm: usize = 0; // f64, n: per pair of one neuron, its term of out_v

export function setupGelu(pairDphiPtr: usize, pairD2phiPtr: usize, positiveCountPtr: usize, columnPtr: usize, pairTermPtr: usize, pairVTermPtr: usize): void {
  pairDphi = pairDphiPtr;
  pairD2phi = pairD2phiPtr;
  positiveCount = positiveCountPtr;
  geluColumn = columnPtr;
  pairTerm = pairTermPtr;
  pairVTerm = pairVTermPtr;
}

// Parameters are named t and loop counters m so that nothing shadows the module's globals x, n.
// Math.exp reads lookup tables from the module's static data (staticDataEnd above).

/** exp(-t^2) for 0 <= t < 27 (activation.ts, expMinusSquare). */
function expMinusSquare(t: f64): f64 {
  const tHigh = Math.round(t * 2097152) / 2097152;
  return Math.exp(-tHigh * tHigh) * Math.exp(-(t - tHigh) * (t + tHigh));
}

/** erf(t), 0 <= t < 3, by the all-positive series (activation.ts, erfSeries). */
function erfSeries(t: f64): f64 {
  const twoTSquared = 2 * t * t;
  let term = t;
  let sum = t;
  for (let m = 1; m < 200; m++) {
    term *= twoTSquared / <f64>(2 * m + 1);
    const next = sum + term;
    if (next == sum) break;
    sum = next;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(t) * sum;
}

/** erfc(t), t >= 3, by the continued fraction (activation.ts, erfcContinuedFraction). */
function erfcContinuedFraction(t: f64): f64 {
  let tail = t;
  for (let m = 60; m >= 1; m--) tail = t + (0.5 * <f64>m) / tail;
  return (ONE_OVER_SQRT_PI * expMinusSquare(t)) / tail;
}

function erf(t: f64): f64 {
  const at = Math.abs(t);
  let value: f64;
  if (at < 3) value = erfSeries(at);
  else if (at < 27) value = 1 - erfcContinuedFraction(at);
  else if (at >= 27) value = 1;
  else return NaN;
  return t < 0 ? -value : value;
}

function erfc(t: f64): f64 {
  if (t >= 3) return t < 27 ? erfcContinuedFraction(t) : 0;
  return 1 - erf(t);
}

/** Phi(z) = erfc(-z/sqrt 2)/2. */
@inline function normalCdf(z: f64): f64 {
  return 0.5 * erfc(-z * INV_SQRT_2);
}

@inline function normalPdf(z: f64): f64 {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** Forward of a GELU network: every pair live, phi, phi', phi'' kept per pair. */
function forwardGelu(): void {
  const beta = f64At(params, betaOffset);
  for (let i = 0; i < n; i++) setF64(prediction, i, beta);
  for (let k = 0; k < width; k++) {
    rowTimesInputs(params, k * d, f64At(params, bOffset + k), geluColumn);
    const vk = f64At(params, vOffset + k);
    const slot0 = k * n;
    let positive = 0;
    for (let i = 0; i < n; i++) {
      const z = f64At(geluColumn, i);
      const cdf = normalCdf(z);
      const pdf = normalPdf(z);
      const phi = z * cdf;
      store<i32>(pairIndex + (<usize>(slot0 + i) << 2), i);
      setF64(pairPhi, slot0 + i, phi);
      setF64(pairDphi, slot0 + i, cdf + z * pdf);
      setF64(pairD2phi, slot0 + i, pdf * (2 - z * z));
      setF64(prediction, i, f64At(prediction, i) + vk * phi);
      positive += <i32>(z > 0);
    }
    store<i32>(liveCount + (<usize>k << 2), n);
    store<i32>(positiveCount + (<usize>k << 2), positive);
  }
}

/** row = sum_a pairTerm[a] x_a over the n points of one neuron (kernel-js.ts, accumulateInputs). */
function accumulateAllInputs(rowPtr: usize): void {
  const rowBytes = <usize>d << 3;
  for (let j = 0; j < d; j++) store<f64>(rowPtr + (<usize>j << 3), 0.0);
  let a = 0;
  for (; a + 4 <= n; a += 4) {
    const p0 = x + <usize>a * rowBytes;
    addFourInputs(rowPtr, p0, p0 + rowBytes, p0 + 2 * rowBytes, p0 + 3 * rowBytes, vecAt(pairTerm, a), vecAt(pairTerm, a + 2));
  }
  for (; a < n; a++) addOneInput(rowPtr, x + <usize>a * rowBytes, f64At(pairTerm, a));
}

/** sum of values[0..n) by four accumulators (kernel-js.ts, sumInFourAccumulators). */
function sumInFour(values: usize): f64 {
  let s01 = f64x2.splat(0);
  let s23 = s01;
  let a = 0;
  for (; a + 4 <= n; a += 4) {
    s01 = f64x2.add(s01, vecAt(values, a));
    s23 = f64x2.add(s23, vecAt(values, a + 2));
  }
  let sum = combine4(s01, s23);
  for (; a < n; a++) sum += f64At(values, a);
  return sum;
}

/** Loss and gradient of a GELU network (kernel-js.ts: lossAndGradient with backwardGelu). */
export function lossAndGradientGelu(lossScale: f64): f64 {
  forwardGelu();
  const sumSquares = residualWeights(lossScale);
  for (let k = 0; k < width; k++) {
    const vk = f64At(params, vOffset + k);
    const slot0 = k * n;
    let gradV: f64 = 0;
    let gradB: f64 = 0;
    for (let a = 0; a < n; a++) {
      const weight = f64At(residualWeight, a);
      gradV += weight * f64At(pairPhi, slot0 + a);
      const dz = weight * vk * f64At(pairDphi, slot0 + a);
      setF64(pairTerm, a, dz);
      gradB += dz;
    }
    setF64(grad, bOffset + k, gradB);
    setF64(grad, vOffset + k, gradV);
    accumulateAllInputs(grad + (<usize>(k * d) << 3));
  }
  return lossScale * (sumSquares / <f64>n);
}

/** H vec of a GELU network at the state of the last lossAndGradientGelu (kernel-js.ts, hessianVectorProduct with the GELU pass). */
export function hessianVectorProductGelu(vec: usize, out: usize, lossScale: f64): void {
  const coefficient = (2 * lossScale) / <f64>n;
  const rowBytes = <usize>d << 3;
  const vecBeta = f64At(vec, betaOffset);
  for (let i = 0; i < n; i++) setF64(jvpWeight, i, vecBeta);
  for (let k = 0; k < width; k++) {
    const dbk = f64At(vec, bOffset + k);
    const dvk = f64At(vec, vOffset + k);
    const vk = f64At(params, vOffset + k);
    const dw = vec + (<usize>(k * d) << 3);
    const slot0 = k * n;
    for (let a = 0; a < n; a++) {
      const u = dbk + dotRow(dw, x + <usize>a * rowBytes);
      const dphi = f64At(pairDphi, slot0 + a);
      setF64(jvpWeight, a, f64At(jvpWeight, a) + (dvk * f64At(pairPhi, slot0 + a) + vk * dphi * u));
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
    const dbk = f64At(vec, bOffset + k);
    const dvk = f64At(vec, vOffset + k);
    const vk = f64At(params, vOffset + k);
    const dw = vec + (<usize>(k * d) << 3);
    const slot0 = k * n;
    for (let a = 0; a < n; a++) {
      const e = f64At(jvpWeight, a);
      const rho = f64At(residualWeight, a);
      const u = dbk + dotRow(dw, x + <usize>a * rowBytes);
      const dphi = f64At(pairDphi, slot0 + a);
      setF64(pairVTerm, a, e * f64At(pairPhi, slot0 + a) + rho * dphi * u);
      setF64(pairTerm, a, e * vk * dphi + rho * (dphi * dvk + vk * f64At(pairD2phi, slot0 + a) * u));
    }
    accumulateAllInputs(out + (<usize>(k * d) << 3));
    setF64(out, bOffset + k, sumInFour(pairTerm));
    setF64(out, vOffset + k, sumInFour(pairVTerm));
  }
}
