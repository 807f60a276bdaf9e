import type { Kernel, KernelShape } from './kernel.js';
import { createPairKernel, listNeuron, preActivations, type ReluForward, type ReluForwardState } from './kernel-js.js';

/**
 * Exact work-skipping for ReLU networks (issue 13): the TypeScript kernel with a forward pass that
 * evaluates only the (point, neuron) pairs that might be on the side the neuron lists (kernel-js.ts,
 * "Pair lists": its live points, or its dead ones when it is live on more than half), bit-identical
 * to the dense kernel. A shattered network's neurons list their few live points; under weight
 * decay most neurons are live almost everywhere and list their few dead ones.
 *
 * Certificate. Since ||x_i|| <= R (the data radius, computed in loadData), the pre-activation
 * z_ki = w_k.x_i + b_k moves by at most  delta_k = R ||w_k - w0_k|| + |b_k - b0_k|  away from
 * its value at the anchor (w0_k, b0_k), the parameters at neuron k's last exact evaluation. At
 * that evaluation every point with margin_i <= T_k went on the neuron's candidate list (ascending
 * i), the margin being -z_ki for a live list and z_ki for a dead list; every other point had
 * margin > T_k. While delta_k + slack <= T_k those others provably stay off the listed side (dead
 * for a live list, live for a dead list), so an epoch evaluates only the candidates, each exactly
 * as the dense kernel does (same operation order), and the lists come out the same, in the same
 * order, as do f's terms (the others' are exactly 0). If the live count then calls for the other
 * side, whose points were not all evaluated, the neuron is evaluated in full. When delta_k
 * outgrows T_k the neuron is evaluated in full again and re-anchored. A dead neuron without
 * weight decay never moves (its gradient is exactly zero), so its delta stays 0 and it costs d
 * operations per epoch; with weight decay it only shrinks and is re-checked ever more rarely.
 *
 * slack covers rounding: the computed z differs from the exact one by at most
 * (d+1) u (|b| + R ||w||), u = 2^-53, at the anchor and now; slack = 1e-12 (d+2) (1 + |b| + |b0|
 * + R (||w|| + ||w0||)) exceeds that by four orders of magnitude, and delta is inflated by 1e-9.
 *
 * A neuron is also evaluated in full once the unlisted candidates it evaluated since its anchor
 * add up to more than 2n pairs: a list drawn while the neuron moved fast is then redrawn at its
 * current, slower pace (a full evaluation costs n pairs, so this at most triples the work).
 *
 * Threshold. T_k = max(rate_k H_k, 4 slack), rate_k = displacement per epoch observed over the
 * last interval, H_k a horizon in epochs adapted per neuron: doubled when the extra candidates
 * (unlisted ones) cost less per epoch than a full evaluation amortised over H_k,
 * halved when they cost more than twice that.
 *
 * State per neuron: anchorW (K x d), anchorB, anchorWNorm, threshold T, horizon H, the epoch of
 * the last evaluation, and the candidate list (K x n int32, count per neuron).
 *
 * The WebAssembly twin (wasm-skip, assembly/kernel.ts) uses the same certificate and slack but
 * chooses thresholds differently (1.5 times the displacement of the last interval), re-anchors from a
 * wider list drawn at the last full evaluation while that is certified to hold every point within
 * the new threshold (so a re-anchoring costs tens of points, not n), evaluates the
 * candidates eight at a time with the vectorised loop of the full pass (their inputs copied next
 * to the list for small d, gathered from x above), sends busy neurons to the full pass, and lets
 * a dead neuron whose parameters still equal its anchor's cost only that comparison (dormant):
 * faster there, longer to read here.
 */

/** z_ki of neuron k at its candidates (from `first`, ascending i) into candidateZ, in the dense kernel's operation order. */
function candidatePreActivations(params: Float64Array, wRow: number, bk: number, x: Float64Array, d: number, candidates: Int32Array, first: number, count: number, candidateZ: Float64Array): void {
  for (let c = 0; c < count; c++) {
    const r = candidates[first + c] * d;
    let z = bk;
    for (let j = 0; j < d; j++) z += params[wRow + j] * x[r + j];
    candidateZ[c] = z;
  }
}

/**
 * Candidates {i : margin_i <= threshold} of one neuron from its full pre-activations, ascending i,
 * the margin being how far z_i is from the side the neuron lists: -z for a live list, z for a
 * dead list (listNeuron).
 */
function collectCandidates(zColumn: Float64Array, n: number, dead: boolean, threshold: number, candidates: Int32Array, first: number): number {
  const sign = dead ? 1 : -1;
  let count = first;
  for (let i = 0; i < n; i++) {
    candidates[count] = i;
    count += +(sign * zColumn[i] <= threshold);
  }
  return count - first;
}

const MAX_HORIZON = 1 << 20;

function skippingReluForward(state: ReluForwardState): ReluForward {
  const { shape, layout, params, x, prediction, pairIndex, pairPhi, liveCount, listDead } = state;
  const { d, n, width } = shape;
  const { bOffset, vOffset } = layout;
  const anchorW = new Float64Array(width * d);
  const anchorB = new Float64Array(width);
  const anchorWNorm = new Float64Array(width);
  const threshold = new Float64Array(width);
  const horizon = new Float64Array(width);
  const evaluatedAt = new Float64Array(width);
  /** 0 until the neuron has an anchor (after loadData every neuron starts unanchored). */
  const anchored = new Uint8Array(width);
  const candidates = new Int32Array(width * n);
  const candidateCount = new Int32Array(width);
  /** Unlisted candidates evaluated since the last full evaluation (pairs of work wasted). */
  const wasted = new Float64Array(width);
  const zColumn = new Float64Array(n);
  const candidateZ = new Float64Array(n);
  let radius = 0;
  let epoch = 0;
  let pairsEvaluated = 0;

  function dataLoaded(): void {
    let maxNormSq = 0;
    for (let i = 0; i < n; i++) {
      let normSq = 0;
      for (let j = 0; j < d; j++) normSq += x[i * d + j] * x[i * d + j];
      maxNormSq = Math.max(maxNormSq, normSq);
    }
    radius = Math.sqrt(maxNormSq) * (1 + 1e-12);
    anchored.fill(0);
    horizon.fill(4);
  }

  /** Points on the side neuron k lists (its list's length) when `live` of them are live. */
  const listed = (k: number, live: number): number => (listDead[k] === 1 ? n - live : live);

  /** Full evaluation of neuron k: its list, then a new anchor, threshold and candidate list; returns the live count. */
  function reevaluate(k: number, displacement: number, slack: number): number {
    const wRow = k * d;
    const bk = params[bOffset + k];
    preActivations(params, wRow, bk, x, d, n, zColumn);
    const slot0 = k * n;
    if (anchored[k] === 1) {
      const extra = candidateCount[k] - listed(k, liveCount[k]);
      const h = horizon[k];
      if (extra * h < n) horizon[k] = Math.min(MAX_HORIZON, 2 * h);
      else if (extra * h > 2 * n) horizon[k] = Math.max(1, h / 2);
    }
    const rate = anchored[k] === 1 ? displacement / Math.max(1, epoch - evaluatedAt[k]) : 0;
    const t = Math.max(rate * horizon[k], 4 * slack);
    threshold[k] = Number.isFinite(t) ? t : 0;
    const live = listNeuron(k, params[vOffset + k], zColumn, null, 0, n, 0, -1, n, prediction, pairIndex, pairPhi, listDead);
    candidateCount[k] = collectCandidates(zColumn, n, listDead[k] === 1, threshold[k], candidates, slot0);
    let wNormSq = 0;
    for (let j = 0; j < d; j++) {
      anchorW[wRow + j] = params[wRow + j];
      wNormSq += params[wRow + j] * params[wRow + j];
    }
    anchorB[k] = bk;
    anchorWNorm[k] = Math.sqrt(wNormSq);
    evaluatedAt[k] = epoch;
    anchored[k] = 1;
    wasted[k] = 0;
    pairsEvaluated += n;
    return live;
  }

  function forward(): void {
    epoch++;
    for (let k = 0; k < width; k++) {
      const wRow = k * d;
      const bk = params[bOffset + k];
      const b0 = anchorB[k];
      let moveSq = 0;
      let wNormSq = 0;
      for (let j = 0; j < d; j++) {
        const w = params[wRow + j];
        const step = w - anchorW[wRow + j];
        moveSq += step * step;
        wNormSq += w * w;
      }
      const displacement = (radius * Math.sqrt(moveSq) + Math.abs(bk - b0)) * (1 + 1e-9);
      const slack = 1e-12 * (d + 2) * (1 + Math.abs(bk) + Math.abs(b0) + radius * (Math.sqrt(wNormSq) + anchorWNorm[k]));
      const slot0 = k * n;
      // Written so that NaN (a diverging run) fails the test and takes the full evaluation.
      let live = -1;
      if (anchored[k] === 1 && displacement + slack <= threshold[k] && wasted[k] <= 2 * n) {
        // Every other point is certified to stay off the listed side: dead for a live list,
        // live for a dead list. If the neuron's side changes, it is evaluated in full.
        const count = candidateCount[k];
        const side = listDead[k];
        candidatePreActivations(params, wRow, bk, x, d, candidates, slot0, count, candidateZ);
        pairsEvaluated += count;
        live = listNeuron(k, params[vOffset + k], candidateZ, candidates, slot0, count, side === 1 ? n - count : 0, side, n, prediction, pairIndex, pairPhi, listDead);
        if (live >= 0) wasted[k] += count - listed(k, live);
      }
      liveCount[k] = live >= 0 ? live : reevaluate(k, displacement, slack);
    }
  }

  return { name: 'js-skip', dataLoaded, forward, pairsEvaluated: () => pairsEvaluated };
}

/** The skipping TypeScript kernel (ReLU only; GELU neurons are never exactly inactive). */
export function createSkipKernel(shape: KernelShape): Kernel {
  if (shape.activation !== 'relu') throw new Error(`kernel "js-skip" needs activation "relu", not "${shape.activation}"`);
  return createPairKernel(shape, skippingReluForward);
}
