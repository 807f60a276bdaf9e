import { builtModule } from '../wasm/build-module.js';
import type { Kernel, KernelShape } from './kernel.js';
import { predictNetwork } from './kernel-js.js';
import { networkLayout } from './layout.js';

/**
 * The WebAssembly SIMD kernel (assembly/kernel.ts, built into build/kernel.wasm by `npm run
 * build:wasm`, which `npm ci` runs through the "prepare" script), for ReLU and GELU networks;
 * certified work-skipping (wasm-skip) for ReLU only.
 *
 * Each kernel instance has its own WebAssembly.Memory, sized once for its shape and never grown,
 * so the Float64Array views below stay valid for the kernel's life. Byte layout (16-aligned),
 * above the module's own static data (the first STATIC_BYTES):
 *   params, grad, vec, out      P = K(d+2)+1 doubles each (layout.ts); vec/out carry HVPs
 *   x (n x d row-major), xT (d x n), y, prediction, residualWeight, jvpWeight (n each)
 *   pairIndex (K x n int32), pairPhi (K x n doubles: z in one of two layouts per neuron, see
 *   assembly/kernel.ts), each with K x (capacity + 8) more slots with skipping (the compact
 *   area the candidate lists are packed into); liveCount, zPacked and listSlot (K int32 each);
 *   packing patterns (256 bytes)
 *   hvpS (K x d), hvpT (K): the HVP's residual sums of the current state (assembly/kernel.ts)
 *   listDead (K int32), the pair lists' totals (4 x d): which neurons list their dead points;
 *   a second buffer of n predictions (the full pass writes f there, then the two swap)
 *   ReLU: PREDICT_CHUNK test points transposed (d x PREDICT_CHUNK) and their predictions
 *   with skipping: anchors, candidate lists with their inputs (assembly/kernel.ts)
 *   GELU: phi' and phi'' per pair (K x n each), positive counts (K), three columns (n)
 * It performs the TypeScript kernel's operations in the same order, so for ReLU both give
 * bit-identical results (the tests check it); for GELU they agree to rounding (the two sides'
 * Math.exp may differ in the last bit). It is faster because two lanes run at once.
 */

interface KernelExports {
  setup(
    d: number,
    n: number,
    width: number,
    params: number,
    grad: number,
    x: number,
    xT: number,
    y: number,
    prediction: number,
    residualWeight: number,
    jvpWeight: number,
    pairIndex: number,
    pairPhi: number,
    liveCount: number,
  ): void;
  lossAndGradientRelu(lossScale: number, skipping: number): number;
  hessianVectorProductRelu(vec: number, out: number, lossScale: number): void;
  predictRelu(pointsT: number, count: number, out: number): void;
  setupGelu(pairDphi: number, pairD2phi: number, positiveCount: number, column: number, pairTerm: number, pairVTerm: number): void;
  lossAndGradientGelu(lossScale: number): number;
  hessianVectorProductGelu(vec: number, out: number, lossScale: number): void;
  setupHvp(hvpS: number, hvpT: number): void;
  setupLists(listDead: number, totals: number, predictionSpare: number): void;
  setupSkip(
    capacity: number,
    inputsCopied: number,
    anchorW: number,
    anchorB: number,
    anchorWNorm: number,
    anchorSlack: number,
    wasted: number,
    anchored: number,
    candidates: number,
    candidateX: number,
    candidateCount: number,
    reach: number,
    firstMargin: number,
    denseUntil: number,
    backoff: number,
    dormant: number,
    wideCapacity: number,
    wideList: number,
    wideCount: number,
    wideReach: number,
    fullW: number,
    fullB: number,
    fullWNorm: number,
  ): void;
  skipDataLoaded(): void;
  setupPacking(tables: number, zPacked: number, listSlot: number): void;
  staticDataEnd(): number;
  gradientNormSquared(size: number): number;
  descend(size: number, eta: number, scale: number, weightDecay: number): void;
  skipPairsEvaluated(): number;
}

/** Points per predictRelu call (a multiple of 8). */
const PREDICT_CHUNK = 512;
const PAGE_BYTES = 65536;
/** The most pages a (32-bit) WebAssembly memory can have: 4 GiB. */
const MAX_PAGES = 65536;
/**
 * Bytes at the bottom of the memory left to the module's static data (the lookup tables of
 * AssemblyScript's Math.exp, used by GELU): buffers start above them. createWasmKernel checks
 * that the module's data ends below.
 */
const STATIC_BYTES = PAGE_BYTES;
/**
 * How many candidates a neuron of the skipping kernel may have: n/4 for d <= 5 and n/8 above,
 * rounded up to a multiple of 8, and fewer than n/2 (so that a neuron evaluated on its candidates
 * keeps its side: assembly/kernel.ts, evaluateCandidates); a neuron whose list is longer, or with
 * more candidates, takes full passes. A candidate costs more than a point of the vectorised full
 * pass (its prediction and z are scattered, its inputs read from a copy, where the full pass
 * shares each input load between two neurons), the more so the larger d. Measured (ms per epoch;
 * E2 states after 6000 GD or 12000 weight-decay epochs, n = 512, width 2048):
 *   d = 2 GD: n/4 0.51, n/3 0.50, n/2 0.54;  d = 4 GD: 0.70, 0.69, 0.73
 *   d = 5: GD n/4 1.06-1.10, n/8 1.35-1.38; weight decay n/4 0.61-0.63, n/8 0.55-0.56;
 *          first 27 epochs from init n/4 2.04, n/8 1.86 (dense 1.89)
 *   d = 10: first 20 epochs from init n/4 3.4-3.8, n/8 2.7-2.9 (dense 2.6-3.0); E1 state after
 *          6000 epochs 0.166 and 0.165
 */
export function candidateCapacity(n: number, d: number): number {
  const share = Math.ceil(Math.ceil(n / (d > 5 ? 8 : 4)) / 8) * 8;
  return Math.min(share, belowHalf(n));
}

/** The largest multiple of 8 below n/2 (0 for n <= 16). */
function belowHalf(n: number): number {
  return Math.max(0, Math.floor((Math.ceil(n / 2) - 1) / 8) * 8);
}

/**
 * Up to this input dimension wasm-skip copies its candidates' inputs next to their lists,
 * transposed (a contiguous read per epoch); above it, it gathers them from the rows of x, which
 * stay in cache while the copies (capacity x d doubles per neuron) do not. Measured on E2 states
 * after 3000 epochs, ms per epoch, copies against gathers: d = 1 0.144 vs 0.161, d = 2 0.485 vs
 * 0.516, d = 3 0.71 vs 0.73, d = 4 0.78 vs 0.69, d = 5 0.93 vs 0.87; the E1 state at d = 10 0.120
 * vs 0.112.
 */
const CANDIDATE_COPY_MAX_D = 3;

/** Why the WASM kernel cannot run here, or null if it can. */
export function wasmUnavailableReason(): string | null {
  return builtModule('kernel.wasm').reason;
}

export interface WasmKernelOptions {
  /**
   * Certified work-skipping (kernel-skip.ts explains it; assembly/kernel.ts has the twin):
   * bitwise the same results, far less work once the network has shattered. Name 'wasm-skip'.
   */
  skipping: boolean;
}

export function createWasmKernel(shape: KernelShape, options: WasmKernelOptions = { skipping: false }): Kernel {
  const { skipping } = options;
  const name = skipping ? 'wasm-skip' : 'wasm';
  const reason = wasmUnavailableReason();
  if (reason !== null) throw new Error(`kernel "${name}" is not available: ${reason}`);
  const { d, n, width, activation } = shape;
  const gelu = activation === 'gelu';
  if (gelu && skipping) throw new Error('kernel "wasm-skip" needs activation "relu", not "gelu" (a GELU neuron is never exactly inactive)');
  const layout = networkLayout(d, width);
  const size = layout.size;

  let bytes = STATIC_BYTES;
  /** Reserves `count` elements of `elementBytes` and returns their byte offset (16-aligned). */
  const reserve = (count: number, elementBytes: number): number => {
    const offset = bytes;
    bytes += Math.ceil((count * elementBytes) / 16) * 16;
    return offset;
  };
  const paramsAt = reserve(size, 8);
  const gradAt = reserve(size, 8);
  const vecAt = reserve(size, 8);
  const outAt = reserve(size, 8);
  const xAt = reserve(n * d, 8);
  const xTAt = reserve(n * d, 8);
  const yAt = reserve(n, 8);
  const predictionAt = reserve(n, 8);
  const residualWeightAt = reserve(n, 8);
  const jvpWeightAt = reserve(n, 8);
  const capacity = candidateCapacity(n, d);
  // The wide lists' capacity: below n/2, so that a neuron re-anchored from one keeps its side.
  const wideCapacity = belowHalf(n);
  // With skipping, a compact area for the candidate lists (at most capacity per neuron, and a
  // vector store's overrun past the last).
  const pairSlots = width * n + (skipping ? width * (capacity + 8) : 0);
  const pairIndexAt = reserve(pairSlots, 4);
  const pairPhiAt = reserve(pairSlots, 8);
  const listSlotAt = reserve(width, 4);
  const liveCountAt = reserve(width, 4);
  const packTablesAt = reserve(256, 1);
  const zPackedAt = reserve(width, 4);
  const hvpSAt = reserve(width * d, 8);
  const hvpTAt = reserve(width, 8);
  const listDeadAt = reserve(width, 4);
  const listTotalsAt = reserve(4 * d, 8);
  const predictionSpareAt = reserve(n, 8);
  // Points predicted by predictRelu, a chunk at a time (transposed inputs, outputs).
  const predictPointsTAt = reserve(gelu ? 0 : PREDICT_CHUNK * d, 8);
  const predictOutAt = reserve(gelu ? 0 : PREDICT_CHUNK, 8);
  // Skipping state (kernel-skip.ts; assembly/kernel.ts), reserved only when asked for.
  const skipWidth = skipping ? width : 0;
  const copyCandidates = d <= CANDIDATE_COPY_MAX_D;
  const skipAt = [
    capacity,
    reserve(skipWidth, 4), // inputsCopied
    reserve(skipWidth * d, 8), // anchorW
    reserve(skipWidth, 8), // anchorB
    reserve(skipWidth, 8), // anchorWNorm
    reserve(skipWidth, 8), // anchorSlack
    reserve(skipWidth, 8), // wasted
    reserve(skipWidth, 4), // anchored
    reserve(skipWidth * (capacity + 8), 4), // candidates (a spare block each)
    copyCandidates ? reserve(skipWidth * capacity * d, 8) : 0, // candidateX: their inputs (0: not copied)
    reserve(skipWidth, 4), // candidateCount
    reserve(skipWidth, 8), // reach
    reserve(skipWidth, 8), // firstMargin
    reserve(skipWidth, 8), // denseUntil
    reserve(skipWidth, 8), // backoff
    reserve(skipWidth, 4), // dormant
    wideCapacity,
    reserve(skipWidth * (wideCapacity + 8), 4), // wideList (a spare block each)
    reserve(skipWidth, 4), // wideCount
    reserve(skipWidth, 8), // wideReach
    reserve(skipWidth * d, 8), // fullW
    reserve(skipWidth, 8), // fullB
    reserve(skipWidth, 8), // fullWNorm
  ] as const;

  // GELU state (assembly/kernel.ts, GELU section), reserved only for GELU networks.
  const geluWidth = gelu ? width : 0;
  const geluAt = [
    reserve(geluWidth * n, 8), // pairDphi
    reserve(geluWidth * n, 8), // pairD2phi
    reserve(geluWidth, 4), // positiveCount
    reserve(gelu ? n : 0, 8), // pre-activation column
    reserve(gelu ? n : 0, 8), // pairTerm
    reserve(gelu ? n : 0, 8), // pairVTerm
  ] as const;

  const pages = Math.max(1, Math.ceil(bytes / PAGE_BYTES));
  if (pages > MAX_PAGES) {
    throw new Error(
      `kernel "${name}" needs ${(bytes / 2 ** 30).toFixed(1)} GiB of WebAssembly memory at (d, n, width) = (${d}, ${n}, ${width}), ` +
        `above the 4 GiB a WebAssembly memory can hold; kernel "js" has no such limit`,
    );
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssembly.Instance(builtModule('kernel.wasm').module as WebAssembly.Module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel aborted');
      },
    },
  });
  const wasm = instance.exports as unknown as KernelExports;
  if (wasm.staticDataEnd() > STATIC_BYTES) {
    throw new Error(`build/kernel.wasm's static data ends at byte ${wasm.staticDataEnd()}, above the ${STATIC_BYTES} bytes kernel-wasm.ts leaves it`);
  }
  wasm.setup(d, n, width, paramsAt, gradAt, xAt, xTAt, yAt, predictionAt, residualWeightAt, jvpWeightAt, pairIndexAt, pairPhiAt, liveCountAt);
  wasm.setupHvp(hvpSAt, hvpTAt);
  wasm.setupLists(listDeadAt, listTotalsAt, predictionSpareAt);
  wasm.setupPacking(packTablesAt, zPackedAt, listSlotAt);
  if (skipping) wasm.setupSkip(...skipAt);
  if (gelu) wasm.setupGelu(...geluAt);

  const buffer = memory.buffer;
  const params = new Float64Array(buffer, paramsAt, size);
  const grad = new Float64Array(buffer, gradAt, size);
  const vecView = new Float64Array(buffer, vecAt, size);
  const outView = new Float64Array(buffer, outAt, size);
  const x = new Float64Array(buffer, xAt, n * d);
  const xT = new Float64Array(buffer, xTAt, n * d);
  const y = new Float64Array(buffer, yAt, n);
  const liveCount = new Int32Array(buffer, liveCountAt, width);
  /** What activationCounts reports: points with z > 0 (for ReLU the live pairs, for GELU counted apart). */
  const positiveCount = gelu ? new Int32Array(buffer, geluAt[2], width) : liveCount;
  let cachedLossScale = 0;
  let densePasses = 0;

  function loadData(inputs: Float64Array, labels: Float64Array): void {
    x.set(inputs.subarray(0, n * d));
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xT[j * n + i] = inputs[i * d + j];
    y.set(labels.subarray(0, n));
    if (skipping) wasm.skipDataLoaded();
  }

  function lossAndGradient(lossScale: number): number {
    cachedLossScale = lossScale;
    densePasses++;
    return gelu ? wasm.lossAndGradientGelu(lossScale) : wasm.lossAndGradientRelu(lossScale, skipping ? 1 : 0);
  }

  function hessianVectorProduct(vec: Float64Array, out: Float64Array): void {
    vecView.set(vec.subarray(0, size));
    if (gelu) wasm.hessianVectorProductGelu(vecAt, outAt, cachedLossScale);
    else wasm.hessianVectorProductRelu(vecAt, outAt, cachedLossScale);
    out.set(outView);
  }

  const predictPointsT = new Float64Array(buffer, predictPointsTAt, gelu ? 0 : PREDICT_CHUNK * d);
  const predictOut = new Float64Array(buffer, predictOutAt, gelu ? 0 : PREDICT_CHUNK);

  /** ReLU predictions in WASM (predictNetwork's operations and order), PREDICT_CHUNK points at a time. */
  function predictRelu(points: Float64Array, count: number, out: Float64Array): Float64Array {
    for (let start = 0; start < count; start += PREDICT_CHUNK) {
      const chunk = Math.min(PREDICT_CHUNK, count - start);
      const padded = Math.ceil(chunk / 8) * 8; // the kernel takes eight points at a time; the padding's outputs are dropped
      for (let j = 0; j < d; j++) {
        const column = j * padded;
        for (let i = 0; i < chunk; i++) predictPointsT[column + i] = points[(start + i) * d + j];
        predictPointsT.fill(0, column + chunk, column + padded);
      }
      wasm.predictRelu(predictPointsTAt, padded, predictOutAt);
      out.set(predictOut.subarray(0, chunk), start);
    }
    return out;
  }

  return {
    name,
    shape,
    layout,
    params,
    grad,
    loadData,
    lossAndGradient,
    hessianVectorProduct,
    gradientNormSquared: () => wasm.gradientNormSquared(size),
    descend: (eta, scale, weightDecay) => wasm.descend(size, eta, scale, weightDecay),
    activationCounts: (out) => out.set(positiveCount),
    predict: (points, count, out) => (gelu ? predictNetwork(params, layout, activation, points, count, out) : predictRelu(points, count, out)),
    pairsEvaluated: () => (skipping ? wasm.skipPairsEvaluated() : densePasses * n * width),
    dispose() {},
  };
}
