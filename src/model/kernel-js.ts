import { gelu, normalCdf, normalPdf } from './activation.js';
import type { Kernel, KernelShape } from './kernel.js';
import type { ActivationKind } from './config.js';
import { networkLayout, type NetworkLayout } from './layout.js';
import { descend, gradientNormSquared } from './step.js';

/**
 * The readable TypeScript kernel: plain loops over typed arrays, neuron-major.
 *
 * Forward cache (state of the last lossAndGradient), K x n slots, neuron k's row at k*n:
 *   pairIndex[k*n + a]   the a-th training point i on which neuron k is "live"
 *                        (relu: z_ki = w_k.x_i + b_k > 0, ascending i; gelu: every point)
 *   pairPhi[k*n + a]     phi(z_ki) (= z_ki for relu), pairDphi: phi'(z_ki), pairD2phi: phi''(z_ki) (gelu only)
 *   liveCount[k]         how many slots of row k are used
 * So the backward pass and Hessian-vector products touch only active (sample, neuron) pairs,
 * which after shattering are a small fraction of all pairs.
 *
 * Operation order (other kernels that must agree bitwise follow it; see kernel-skip.ts):
 *   z_ki = (((b_k + w_k0 x_i0) + w_k1 x_i1) + ...)                     ascending j
 *   f_i  = beta + sum_k v_k phi(z_ki)                                  ascending k (GELU)
 *   f_i  = (beta + sum_k v_k relu(s_k z_ki) over neuron k's listed points, ascending k)
 *          + (c + U.x_i)                                               (ReLU; "Pair lists")
 *   dL/dw_k = sum over live pairs, four consecutive pairs at a time:
 *             g_j += (s0 x0j + s1 x1j + s2 x2j + s3 x3j), then the rest singly
 *   dL/dv_k, dL/db_k (ReLU; and the HVP's v and b entries): over the live pairs in ascending i,
 *             four accumulators by pair position a mod 4 (s_t sums pairs t, t+4, t+8, ...),
 *             combined as (s0 + s2) + (s1 + s3), then the pairs past the last multiple of four
 *             added in turn. Independent sums: one chain's addition latency bounded the loop.
 *   Pair lists (ReLU): each neuron lists its live points (z > 0), ascending i, or, when live on
 *             more than DEAD_LIST_SHARE of them, its dead points (not z > 0, so NaN too), and
 *             s_k = 1 or -1 accordingly. Its share of f is v_k relu(s_k z_ki) (|z_ki| at the
 *             listed points, 0 at the others), plus, for a dead-list neuron, v_k z_ki over all
 *             points, which all those neurons add up to as c + U.x_i with c = sum_k v_k b_k and
 *             U = sum_k v_k w_k (ascending k; U.x_i as dotEvenOdd; added only when some neuron
 *             lists its dead points, and so the totals below). A dense kernel adds the term
 *             at every point; a kernel that certifies points off the listed side without
 *             evaluating them (kernel-skip.ts) adds it at the points it evaluates. The terms left
 *             out are +-0, which leave f unchanged unless f is exactly -0 (beta = -0 and no
 *             non-zero term yet), the one case where the two could differ in the sign of a zero.
 *             A dead-list neuron sums over its dead points, in the same order as over live ones,
 *             and takes the live sums as totals minus those: with R = sum_i rho_i (dL/dbeta) and
 *             P_j = sum_i rho_i x_ij (ascending i for each j),
 *               dL/dw_kj = v_k P_j - sum_dead (rho_i v_k) x_ij      dL/db_k = v_k R - sum_dead rho_i v_k
 *               dL/dv_k  = (b_k R + w_k.P) - sum_dead rho_i z_ki     (w_k.P as dotEvenOdd)
 *             (the identity sum_i rho_i z_ki = b_k R + w_k.P holds up to rounding: the error
 *             bound is of the order of the direct sum's, eps times the sum of |terms|). The HVP
 *             does the same with e_i for rho_i, and its first pass adds the dead-list neurons'
 *             terms over all points through c + G.x_i (hessianVectorProduct). At high activity
 *             (weight decay keeps most pairs live) the gathers then touch a few pairs, not most.
 *
 * Speed notes (measured with V8 in Node 20): the hot loops are module-level functions taking
 * their arrays and lengths as arguments, so that their compiled code does not depend on which
 * kernel instance (closure) calls them; and nothing in them branches on the sign of z: a
 * conditional on z > 0 mispredicts at ~50% activity and cost about 5 ns a pair, several times the
 * arithmetic. ReLU is computed as 0.5 (z + |z|) (exact: 2z halved for z > 0, +0 otherwise) and
 * the live count advances by +(z > 0), which V8 compiles without a branch.
 */

/** zColumn[i] = z_ki for every point: z = (((b_k + w_k0 x_i0) + w_k1 x_i1) + ...), four points at a time. */
export function preActivations(params: Float64Array, wRow: number, bk: number, x: Float64Array, d: number, n: number, zColumn: Float64Array): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * d;
    const r1 = r0 + d;
    const r2 = r1 + d;
    const r3 = r2 + d;
    let z0 = bk;
    let z1 = bk;
    let z2 = bk;
    let z3 = bk;
    for (let j = 0; j < d; j++) {
      const wkj = params[wRow + j];
      z0 += wkj * x[r0 + j];
      z1 += wkj * x[r1 + j];
      z2 += wkj * x[r2 + j];
      z3 += wkj * x[r3 + j];
    }
    zColumn[i] = z0;
    zColumn[i + 1] = z1;
    zColumn[i + 2] = z2;
    zColumn[i + 3] = z3;
  }
  for (; i < n; i++) {
    const r = i * d;
    let z = bk;
    for (let j = 0; j < d; j++) z += params[wRow + j] * x[r + j];
    zColumn[i] = z;
  }
}

/**
 * out[row + j] = sum_a pairDz[a] x_(i_a) j over the `live` pairs of pairIndex from slot0,
 * four pairs at a time: out_j += (s0 x0j + s1 x1j + s2 x2j + s3 x3j), then the rest singly.
 */
function accumulateInputs(
  pairIndex: Int32Array,
  slot0: number,
  live: number,
  pairDz: Float64Array,
  x: Float64Array,
  d: number,
  out: Float64Array,
  row: number,
): void {
  for (let j = 0; j < d; j++) out[row + j] = 0;
  let a = 0;
  for (; a + 4 <= live; a += 4) {
    const r0 = pairIndex[slot0 + a] * d;
    const r1 = pairIndex[slot0 + a + 1] * d;
    const r2 = pairIndex[slot0 + a + 2] * d;
    const r3 = pairIndex[slot0 + a + 3] * d;
    addFourInputs(out, row, x, d, r0, r1, r2, r3, pairDz[a], pairDz[a + 1], pairDz[a + 2], pairDz[a + 3]);
  }
  for (; a < live; a++) {
    const r = pairIndex[slot0 + a] * d;
    const s = pairDz[a];
    for (let j = 0; j < d; j++) out[row + j] += s * x[r + j];
  }
}

/**
 * The one pass over a ReLU neuron's live pairs (from slot0) that the gradient and both HVP sums
 * share: with w_a = weights[i_a] and t_a = w_a scale, sums[0] = sum t_a and sums[1] = sum w_a z_ka
 * (four accumulators, see the operation order above), and out[row..row+d) = sum t_a x_i (four
 * pairs at a time, as accumulateInputs). The gradient is (residual weights, scale v_k): the b, v
 * and w entries; the HVP takes (jvp weights, 1) and, once per state, (residual weights, 1).
 * Twin: listSums in assembly/kernel.ts.
 */
function listSums(
  pairIndex: Int32Array,
  pairPhi: Float64Array,
  slot0: number,
  live: number,
  weights: Float64Array,
  scale: number,
  x: Float64Array,
  d: number,
  out: Float64Array,
  row: number,
  sums: Float64Array,
): void {
  for (let j = 0; j < d; j++) out[row + j] = 0;
  let v0 = 0;
  let v1 = 0;
  let v2 = 0;
  let v3 = 0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  let a = 0;
  for (; a + 4 <= live; a += 4) {
    const s = slot0 + a;
    const i0 = pairIndex[s];
    const i1 = pairIndex[s + 1];
    const i2 = pairIndex[s + 2];
    const i3 = pairIndex[s + 3];
    const w0 = weights[i0];
    const w1 = weights[i1];
    const w2 = weights[i2];
    const w3 = weights[i3];
    v0 += w0 * pairPhi[s];
    v1 += w1 * pairPhi[s + 1];
    v2 += w2 * pairPhi[s + 2];
    v3 += w3 * pairPhi[s + 3];
    const t0 = w0 * scale;
    const t1 = w1 * scale;
    const t2 = w2 * scale;
    const t3 = w3 * scale;
    b0 += t0;
    b1 += t1;
    b2 += t2;
    b3 += t3;
    addFourInputs(out, row, x, d, i0 * d, i1 * d, i2 * d, i3 * d, t0, t1, t2, t3);
  }
  let sumPhi = v0 + v2 + (v1 + v3);
  let sumT = b0 + b2 + (b1 + b3);
  for (; a < live; a++) {
    const i = pairIndex[slot0 + a];
    const w = weights[i];
    sumPhi += w * pairPhi[slot0 + a];
    const t = w * scale;
    sumT += t;
    for (let j = 0; j < d; j++) out[row + j] += t * x[i * d + j];
  }
  sums[0] = sumT;
  sums[1] = sumPhi;
}

/** A ReLU neuron sums over its dead points when live on more than NUM / DEN of them (assembly/kernel.ts has the twin). */
const DEAD_LIST_SHARE_NUM = 1;
const DEAD_LIST_SHARE_DEN = 2;

/** out[j] = sum_i weights[i] x_ij over the n points, ascending i for each j (the totals of the pair lists). */
function weightedInputSum(weights: Float64Array, x: Float64Array, d: number, n: number, out: Float64Array): void {
  out.fill(0, 0, d);
  for (let i = 0; i < n; i++) {
    const w = weights[i];
    for (let j = 0; j < d; j++) out[j] += w * x[i * d + j];
  }
}

/** out[row + j] = scale totals[j] - out[row + j] for the d entries: a dead list's row sum turned into the live one. */
function subtractFromTotals(out: Float64Array, row: number, scale: number, totals: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) out[row + j] = scale * totals[j] - out[row + j];
}

/**
 * After neuron k's z are known at the points of zColumn (every point, or the `count` in `points`
 * from `first` when that is given): its live count, its side (listDead[k], the "Pair lists"
 * rule), its list from slot k n (the points of that side, ascending i, with z) and
 * v_k relu(s_k z) added to the predictions of the points given. Returns the live count. With
 * `points`, every other point must be certified to lie off the side `certifiedSide` lists (dead
 * for 0, live for 1), the live ones among them counted in `liveElsewhere`; if the rule then picks the other side, whose
 * points were not all evaluated, nothing is written and the result is -1. certifiedSide -1: all
 * points given.
 */
export function listNeuron(
  k: number,
  vk: number,
  zColumn: Float64Array,
  points: Int32Array | null,
  first: number,
  count: number,
  liveElsewhere: number,
  certifiedSide: number,
  n: number,
  prediction: Float64Array,
  pairIndex: Int32Array,
  pairPhi: Float64Array,
  listDead: Uint8Array,
): number {
  let live = liveElsewhere;
  for (let c = 0; c < count; c++) live += +(zColumn[c] > 0);
  const dead = live * DEAD_LIST_SHARE_DEN > DEAD_LIST_SHARE_NUM * n;
  if (certifiedSide >= 0 && +dead !== certifiedSide) return -1;
  listDead[k] = dead ? 1 : 0;
  const sign = dead ? -1 : 1;
  const flip = dead ? 1 : 0;
  const slot0 = k * n;
  let end = slot0;
  // Two copies of one loop: V8 keeps each monomorphic (every point, or the candidates given).
  if (points === null) {
    for (let i = 0; i < count; i++) {
      const z = zColumn[i];
      const sz = sign * z;
      prediction[i] += vk * (0.5 * (sz + Math.abs(sz)));
      pairIndex[end] = i;
      pairPhi[end] = z;
      end += +(z > 0) ^ flip;
    }
  } else {
    for (let c = 0; c < count; c++) {
      const z = zColumn[c];
      const i = points[first + c];
      const sz = sign * z;
      prediction[i] += vk * (0.5 * (sz + Math.abs(sz)));
      pairIndex[end] = i;
      pairPhi[end] = z;
      end += +(z > 0) ^ flip;
    }
  }
  return live;
}

/**
 * f_i += c + U.x_i: the dead-list neurons' v_k z_ki over all points (see "Pair lists"), with
 * c = sum_k v_k b_k and U = sum_k v_k w_k over them in ascending k; U's d entries go to `direction`.
 * Nothing when no neuron lists its dead points. Returns how many do.
 */
export function addLinearPart(params: Float64Array, layout: NetworkLayout, listDead: Uint8Array, x: Float64Array, n: number, prediction: Float64Array, direction: Float64Array): number {
  const { d, width, bOffset, vOffset } = layout;
  let c = 0;
  let deadLists = 0;
  direction.fill(0, 0, d);
  for (let k = 0; k < width; k++) {
    if (listDead[k] === 0) continue;
    deadLists++;
    const vk = params[vOffset + k];
    c += vk * params[bOffset + k];
    for (let j = 0; j < d; j++) direction[j] += vk * params[k * d + j];
  }
  if (deadLists === 0) return 0;
  for (let i = 0; i < n; i++) prediction[i] = prediction[i] + (c + dotEvenOdd(direction, 0, x, i * d, d));
  return deadLists;
}

/** out[row + j] += s0 x0j + s1 x1j + s2 x2j + s3 x3j for the points whose rows start at r0..r3. */
function addFourInputs(out: Float64Array, row: number, x: Float64Array, d: number, r0: number, r1: number, r2: number, r3: number, s0: number, s1: number, s2: number, s3: number): void {
  for (let j = 0; j < d; j++) out[row + j] += s0 * x[r0 + j] + s1 * x[r1 + j] + s2 * x[r2 + j] + s3 * x[r3 + j];
}

/** sum of values[0..count) in the operation order above: four accumulators by a mod 4, then the rest. */
function sumInFourAccumulators(values: Float64Array, count: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let a = 0;
  for (; a + 4 <= count; a += 4) {
    s0 += values[a];
    s1 += values[a + 1];
    s2 += values[a + 2];
    s3 += values[a + 3];
  }
  let sum = s0 + s2 + (s1 + s3);
  for (; a < count; a++) sum += values[a];
  return sum;
}

/**
 * a.b over d entries from aOffset and bOffset, summed as the WASM kernel does with two lanes:
 * (sum over even j) + (sum over odd j), then the odd last j.
 */
function dotEvenOdd(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number, d: number): number {
  let even = 0;
  let odd = 0;
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    even += a[aOffset + j] * b[bOffset + j];
    odd += a[aOffset + j + 1] * b[bOffset + j + 1];
  }
  let dot = even + odd;
  if (j < d) dot += a[aOffset + j] * b[bOffset + j];
  return dot;
}

/** u_a = bias + dw.x_(i_a) for the pair in slot `slot` (dw = vec[row..row+d)), dot as dotEvenOdd. */
function directionalDerivative(pairIndex: Int32Array, slot: number, x: Float64Array, d: number, vec: Float64Array, row: number, bias: number): number {
  return bias + dotEvenOdd(vec, row, x, pairIndex[slot] * d, d);
}

/**
 * f(x) for `count` points (row-major, d columns) of the network in `params`: one point at a time,
 * z in the pre-activation order, terms added in ascending k. Shared by every kernel.
 */
export function predictNetwork(
  params: Float64Array,
  layout: NetworkLayout,
  activation: ActivationKind,
  points: Float64Array,
  count: number,
  out: Float64Array,
): Float64Array {
  const { d, width, bOffset, vOffset, betaOffset } = layout;
  const beta = params[betaOffset];
  let i = 0;
  if (activation === 'relu') {
    // Four points at a time, branch-free relu (see the speed notes at the top).
    for (; i + 4 <= count; i += 4) predictFourRelu(params, d, width, bOffset, vOffset, beta, points, i, out);
  }
  for (; i < count; i++) {
    const xRow = i * d;
    let f = beta;
    for (let k = 0; k < width; k++) {
      const wRow = k * d;
      let z = params[bOffset + k];
      for (let j = 0; j < d; j++) z += params[wRow + j] * points[xRow + j];
      f += params[vOffset + k] * (activation === 'relu' ? 0.5 * (z + Math.abs(z)) : gelu(z));
    }
    out[i] = f;
  }
  return out;
}

/** out[i..i+3] of a ReLU network, each point's operations in predictNetwork's order. */
function predictFourRelu(
  params: Float64Array,
  d: number,
  width: number,
  bOffset: number,
  vOffset: number,
  beta: number,
  points: Float64Array,
  i: number,
  out: Float64Array,
): void {
  const r0 = i * d;
  const r1 = r0 + d;
  const r2 = r1 + d;
  const r3 = r2 + d;
  let f0 = beta;
  let f1 = beta;
  let f2 = beta;
  let f3 = beta;
  for (let k = 0; k < width; k++) {
    const wRow = k * d;
    const bk = params[bOffset + k];
    let z0 = bk;
    let z1 = bk;
    let z2 = bk;
    let z3 = bk;
    for (let j = 0; j < d; j++) {
      const wkj = params[wRow + j];
      z0 += wkj * points[r0 + j];
      z1 += wkj * points[r1 + j];
      z2 += wkj * points[r2 + j];
      z3 += wkj * points[r3 + j];
    }
    const vk = params[vOffset + k];
    f0 += vk * (0.5 * (z0 + Math.abs(z0)));
    f1 += vk * (0.5 * (z1 + Math.abs(z1)));
    f2 += vk * (0.5 * (z2 + Math.abs(z2)));
    f3 += vk * (0.5 * (z3 + Math.abs(z3)));
  }
  out[i] = f0;
  out[i + 1] = f1;
  out[i + 2] = f2;
  out[i + 3] = f3;
}

/**
 * What a ReLU forward pass sees of a kernel built by createPairKernel: neuron by neuron in
 * ascending k it must list the neuron's points (listNeuron: side in listDead[k], pairIndex and
 * pairPhi from slot k*n, ascending i), add their terms to prediction[i] (already holding beta)
 * and set liveCount[k], in the operation order documented above; the kernel then adds the linear
 * part, and backward pass and HVPs run over those lists.
 */
export interface ReluForwardState {
  shape: KernelShape;
  layout: NetworkLayout;
  params: Float64Array;
  /** Training inputs, n x d row-major, valid after loadData. */
  x: Float64Array;
  prediction: Float64Array;
  pairIndex: Int32Array;
  pairPhi: Float64Array;
  liveCount: Int32Array;
  listDead: Uint8Array;
}

export interface ReluForward {
  /** Kernel name reported to callers (kernel_used). */
  name: Kernel['name'];
  /** Called after loadData has copied the inputs into state.x. */
  dataLoaded(): void;
  forward(): void;
  /** Pre-activations evaluated so far (Kernel.pairsEvaluated). */
  pairsEvaluated(): number;
}

/** The dense ReLU forward: every pair evaluated. */
function denseReluForward(state: ReluForwardState): ReluForward {
  const { shape, layout, params, x, prediction, pairIndex, pairPhi, liveCount, listDead } = state;
  const { d, n, width } = shape;
  const { bOffset, vOffset } = layout;
  const zColumn = new Float64Array(n);
  let passes = 0;
  return {
    name: 'js',
    dataLoaded() {},
    pairsEvaluated: () => passes * n * width,
    forward() {
      passes++;
      for (let k = 0; k < width; k++) {
        preActivations(params, k * d, params[bOffset + k], x, d, n, zColumn);
        liveCount[k] = listNeuron(k, params[vOffset + k], zColumn, null, 0, n, 0, -1, n, prediction, pairIndex, pairPhi, listDead);
      }
    },
  };
}

export function createJsKernel(shape: KernelShape): Kernel {
  return createPairKernel(shape, denseReluForward);
}

/**
 * A TypeScript kernel over the pair lists ("Pair lists" above), with the ReLU forward pass supplied by
 * `makeReluForward` (dense here, certified-skipping in kernel-skip.ts); GELU is always dense.
 */
export function createPairKernel(shape: KernelShape, makeReluForward: (state: ReluForwardState) => ReluForward): Kernel {
  const { d, n, width, activation } = shape;
  const layout = networkLayout(d, width);
  const { bOffset, vOffset, betaOffset } = layout;
  const params = new Float64Array(layout.size);
  const grad = new Float64Array(layout.size);
  const y = new Float64Array(n);

  /** Training inputs, n x d row-major. */
  const x = new Float64Array(n * d);
  const zColumn = new Float64Array(n);
  /** Per live pair of the neuron being processed: d(loss)/d(z_ki), then reused by the HVP. */
  const pairDz = new Float64Array(n);
  /** Per live pair, the HVP's term of the neuron's v entry (GELU). */
  const pairVTerm = new Float64Array(n);
  /** listSums's two results. */
  const pairSums = new Float64Array(2);
  const pairIndex = new Int32Array(width * n);
  const pairPhi = new Float64Array(width * n);
  const pairDphi = activation === 'gelu' ? new Float64Array(width * n) : new Float64Array(0);
  const pairD2phi = activation === 'gelu' ? new Float64Array(width * n) : new Float64Array(0);
  const liveCount = new Int32Array(width);
  /** ReLU: 1 when neuron k's list (pairIndex, pairPhi from slot k n) holds its dead points, not its live ones. */
  const listDead = new Uint8Array(width);
  /** The pair lists' totals: R, P = sum rho_i x_i of the state; E, Q = sum e_i x_i of a product; G of its first pass. */
  let residualTotal = 0;
  const residualTotals = new Float64Array(d);
  let jvpTotal = 0;
  const jvpTotals = new Float64Array(d);
  const jvpDirection = new Float64Array(d);
  /** U of the forward's linear part (addLinearPart). */
  const forwardDirection = new Float64Array(d);
  /** Neurons listing their dead points in the current state; the totals over all points are needed only then. */
  let deadLists = 0;
  const listCount = (k: number): number => (listDead[k] === 1 ? n - liveCount[k] : liveCount[k]);
  const positiveCount = new Int32Array(width);
  const prediction = new Float64Array(n);
  /** (2c/n) r_i, the loss's derivative with respect to f(x_i). */
  const residualWeight = new Float64Array(n);
  /** Scratch of the Hessian-vector product: (2c/n) (J vec)_i. */
  const jvpWeight = new Float64Array(n);
  let cachedLossScale = 0;

  function forward(): void {
    prediction.fill(params[betaOffset]);
    if (activation === 'relu') forwardRelu();
    else forwardGelu();
  }

  const reluForward = makeReluForward({ shape, layout, params, x, prediction, pairIndex, pairPhi, liveCount, listDead });

  function forwardRelu(): void {
    reluForward.forward();
    deadLists = addLinearPart(params, layout, listDead, x, n, prediction, forwardDirection);
    positiveCount.set(liveCount);
  }

  function forwardGelu(): void {
    for (let k = 0; k < width; k++) {
      preActivations(params, k * d, params[bOffset + k], x, d, n, zColumn);
      const vk = params[vOffset + k];
      const slot0 = k * n;
      let positive = 0;
      for (let i = 0; i < n; i++) {
        const z = zColumn[i];
        // gelu, geluDerivative, geluSecondDerivative (activation.ts) with Phi(z) and the density
        // computed once per pair: the same numbers for one erf and one exp instead of two each.
        const cdf = normalCdf(z);
        const pdf = normalPdf(z);
        const phi = z * cdf;
        pairIndex[slot0 + i] = i;
        pairPhi[slot0 + i] = phi;
        pairDphi[slot0 + i] = cdf + z * pdf;
        pairD2phi[slot0 + i] = pdf * (2 - z * z);
        prediction[i] += vk * phi;
        positive += +(z > 0);
      }
      liveCount[k] = n;
      positiveCount[k] = positive;
    }
  }

  function backwardGelu(k: number): number {
    const vk = params[vOffset + k];
    const slot0 = k * n;
    let gradV = 0;
    let gradB = 0;
    for (let a = 0; a < n; a++) {
      const weight = residualWeight[a];
      gradV += weight * pairPhi[slot0 + a];
      const dz = weight * vk * pairDphi[slot0 + a];
      pairDz[a] = dz;
      gradB += dz;
    }
    grad[bOffset + k] = gradB;
    return gradV;
  }

  function lossAndGradient(lossScale: number): number {
    forward();
    residualSumsReady = false;
    cachedLossScale = lossScale;
    const coefficient = (2 * lossScale) / n;
    let sumSquares = 0;
    let gradBeta = 0;
    for (let i = 0; i < n; i++) {
      const r = prediction[i] - y[i];
      sumSquares += r * r;
      const weight = coefficient * r;
      residualWeight[i] = weight;
      gradBeta += weight;
    }
    grad[betaOffset] = gradBeta;
    if (activation === 'relu') {
      residualTotal = gradBeta;
      if (deadLists > 0) weightedInputSum(residualWeight, x, d, n, residualTotals);
    }
    for (let k = 0; k < width; k++) {
      const slot0 = k * n;
      const live = liveCount[k];
      if (activation === 'relu') {
        const vk = params[vOffset + k];
        const dead = listDead[k] === 1;
        listSums(pairIndex, pairPhi, slot0, listCount(k), residualWeight, vk, x, d, grad, k * d, pairSums);
        if (dead) {
          subtractFromTotals(grad, k * d, vk, residualTotals, d);
          grad[bOffset + k] = vk * residualTotal - pairSums[0];
          grad[vOffset + k] = params[bOffset + k] * residualTotal + dotEvenOdd(params, k * d, residualTotals, 0, d) - pairSums[1];
        } else {
          grad[bOffset + k] = pairSums[0];
          grad[vOffset + k] = pairSums[1];
        }
      } else {
        grad[vOffset + k] = backwardGelu(k);
        accumulateInputs(pairIndex, slot0, live, pairDz, x, d, grad, k * d);
      }
    }
    return lossScale * (sumSquares / n);
  }

  /**
   * H vec = (2c/n) sum_i [ (J vec)_i grad f_i + r_i (Hess f_i) vec ]  (Gauss-Newton + residual).
   * Both activations: e_i = (2c/n)(J vec)_i first (jvpWeight), with u = dw.x + db per live pair
   * and (J vec)_i = dbeta + sum_k [dv phi + v phi' u]; the beta entry is sum_i e_i. Then per neuron:
   * ReLU in factored form (hessianVectorProductRelu), GELU pair by pair.
   */
  function hessianVectorProduct(vec: Float64Array, out: Float64Array): void {
    const coefficient = (2 * cachedLossScale) / n;
    const relu = activation === 'relu';
    if (relu) jvpStart(vec);
    else jvpWeight.fill(vec[betaOffset]);
    for (let k = 0; k < width; k++) {
      const wRow = k * d;
      const dbk = vec[bOffset + k];
      // A dead list's terms are subtracted: (-dv) z + (-v) u is exactly -(dv z + v u).
      const sign = relu && listDead[k] === 1 ? -1 : 1;
      const dvk = sign * vec[vOffset + k];
      const vk = sign * params[vOffset + k];
      const slot0 = k * n;
      const live = relu ? listCount(k) : liveCount[k];
      for (let a = 0; a < live; a++) {
        const u = directionalDerivative(pairIndex, slot0 + a, x, d, vec, wRow, dbk);
        const dphi = relu ? 1 : pairDphi[slot0 + a];
        jvpWeight[pairIndex[slot0 + a]] += dvk * pairPhi[slot0 + a] + vk * dphi * u;
      }
    }
    let outBeta = 0;
    for (let i = 0; i < n; i++) {
      jvpWeight[i] *= coefficient;
      outBeta += jvpWeight[i];
    }
    out[betaOffset] = outBeta;
    if (relu) {
      jvpTotal = outBeta;
      if (deadLists > 0) weightedInputSum(jvpWeight, x, d, n, jvpTotals);
      hessianVectorProductRelu(vec, out);
    } else hessianVectorProductGelu(vec, out);
  }

  /**
   * ReLU: jvp_i = dbeta + (c + G.x_i), the dead-list neurons' terms dv_k z_ki + v_k (db_k + dw_k.x_i)
   * over all their points with z_ki = b_k + w_k.x_i, as c = sum_k (dv_k b_k + v_k db_k) and
   * G = sum_k (dv_k w_k + v_k dw_k) (ascending k); the first pass then subtracts their dead points'.
   * jvp_i = dbeta when no neuron lists its dead points.
   */
  function jvpStart(vec: Float64Array): void {
    const vecBeta = vec[betaOffset];
    if (deadLists === 0) {
      jvpWeight.fill(vecBeta);
      return;
    }
    let c = 0;
    jvpDirection.fill(0);
    for (let k = 0; k < width; k++) {
      if (listDead[k] === 0) continue;
      const dvk = vec[vOffset + k];
      const vk = params[vOffset + k];
      c += dvk * params[bOffset + k] + vk * vec[bOffset + k];
      for (let j = 0; j < d; j++) jvpDirection[j] += dvk * params[k * d + j] + vk * vec[k * d + j];
    }
    for (let i = 0; i < n; i++) jvpWeight[i] = vecBeta + (c + dotEvenOdd(jvpDirection, 0, x, i * d, d));
  }

  /** T_k = sum rho_i and S_k = sum rho_i x_i over each neuron's live pairs (see hessianVectorProductRelu). */
  const residualSumS = activation === 'relu' ? new Float64Array(width * d) : new Float64Array(0);
  const residualSumT = activation === 'relu' ? new Float64Array(width) : new Float64Array(0);
  /** Whether residualSumS/T belong to the state of the last lossAndGradient. */
  let residualSumsReady = false;

  /** residualSumS/T of the current state: listSums with the residual weights, unscaled (twin: residualSumsAndPacking in assembly/kernel.ts). */
  function residualSums(): void {
    for (let k = 0; k < width; k++) {
      listSums(pairIndex, pairPhi, k * n, listCount(k), residualWeight, 1, x, d, residualSumS, k * d, pairSums);
      if (listDead[k] === 1) {
        subtractFromTotals(residualSumS, k * d, 1, residualTotals, d);
        residualSumT[k] = residualTotal - pairSums[0];
      } else residualSumT[k] = pairSums[0];
    }
  }

  /**
   * ReLU, per neuron k with live points L_k (phi = z, phi' = 1, phi'' = 0):
   *   (H vec)_v_k = sum_{L_k} e_i z_ki + dw_k.S_k + db_k T_k
   *   (H vec)_b_k = v_k sum_{L_k} e_i + dv_k T_k
   *   (H vec)_w_k = v_k sum_{L_k} e_i x_i + dv_k S_k
   * with T_k = sum_{L_k} rho_i, S_k = sum_{L_k} rho_i x_i (rho_i = (2c/n) r_i): the residual term
   * depends on the state only, so it is summed once per state and a product costs two passes over
   * the listed pairs (listSums; a dead list's sums over L_k are totals minus its own). Dot products
   * as dotEvenOdd.
   */
  function hessianVectorProductRelu(vec: Float64Array, out: Float64Array): void {
    if (!residualSumsReady) {
      residualSums();
      residualSumsReady = true;
    }
    for (let k = 0; k < width; k++) {
      const row = k * d;
      listSums(pairIndex, pairPhi, k * n, listCount(k), jvpWeight, 1, x, d, out, row, pairSums);
      let sumE = pairSums[0];
      let sumV = pairSums[1];
      if (listDead[k] === 1) {
        subtractFromTotals(out, row, 1, jvpTotals, d);
        sumE = jvpTotal - sumE;
        sumV = params[bOffset + k] * jvpTotal + dotEvenOdd(params, row, jvpTotals, 0, d) - sumV;
      }
      const vk = params[vOffset + k];
      const dvk = vec[vOffset + k];
      const tk = residualSumT[k];
      for (let j = 0; j < d; j++) out[row + j] = vk * out[row + j] + dvk * residualSumS[row + j];
      out[bOffset + k] = vk * sumE + dvk * tk;
      out[vOffset + k] = sumV + (dotEvenOdd(vec, row, residualSumS, row, d) + vec[bOffset + k] * tk);
    }
  }

  /**
   * GELU, pair by pair: (Hess f_i) vec has w-block x (phi' dv + v phi'' u), b-block
   * (phi' dv + v phi'' u), v-block phi' u. u is computed again rather than cached: K x n doubles
   * of cache would cost more memory traffic than the d multiply-adds.
   */
  function hessianVectorProductGelu(vec: Float64Array, out: Float64Array): void {
    for (let k = 0; k < width; k++) {
      const wRow = k * d;
      const dbk = vec[bOffset + k];
      const dvk = vec[vOffset + k];
      const vk = params[vOffset + k];
      const slot0 = k * n;
      const live = liveCount[k];
      for (let a = 0; a < live; a++) {
        const i = pairIndex[slot0 + a];
        const e = jvpWeight[i];
        const rho = residualWeight[i];
        const u = directionalDerivative(pairIndex, slot0 + a, x, d, vec, wRow, dbk);
        const dphi = pairDphi[slot0 + a];
        pairVTerm[a] = e * pairPhi[slot0 + a] + rho * dphi * u;
        pairDz[a] = e * vk * dphi + rho * (dphi * dvk + vk * pairD2phi[slot0 + a] * u);
      }
      accumulateInputs(pairIndex, slot0, live, pairDz, x, d, out, wRow);
      out[bOffset + k] = sumInFourAccumulators(pairDz, live);
      out[vOffset + k] = sumInFourAccumulators(pairVTerm, live);
    }
  }

  function loadData(inputs: Float64Array, labels: Float64Array): void {
    x.set(inputs.subarray(0, n * d));
    y.set(labels.subarray(0, n));
    reluForward.dataLoaded();
  }

  function activationCounts(out: Int32Array): void {
    out.set(positiveCount);
  }

  function predict(points: Float64Array, count: number, out: Float64Array): Float64Array {
    return predictNetwork(params, layout, activation, points, count, out);
  }

  return {
    name: reluForward.name,
    shape,
    layout,
    params,
    grad,
    loadData,
    lossAndGradient,
    hessianVectorProduct,
    gradientNormSquared: () => gradientNormSquared(grad),
    descend: (eta, scale, weightDecay) => descend(params, grad, eta, scale, weightDecay),
    activationCounts,
    predict,
    pairsEvaluated: reluForward.pairsEvaluated,
    dispose() {},
  };
}
