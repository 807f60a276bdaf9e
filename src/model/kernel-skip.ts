import type { Kernel, KernelShape } from './kernel.js';
import { createPairKernel, preActivations, type ReluForward, type ReluForwardState } from './kernel-js.js';

/**
 * Exact work-skipping for shattered ReLU networks (issue 13): the TypeScript kernel with a forward
 * pass that evaluates only the (point, neuron) pairs that might be active, bit-identical to the
 * dense kernel.
 *
 * Certificate. Since ||x_i|| <= R (the data radius, computed in loadData), the pre-activation
 * z_ki = w_k.x_i + b_k moves by at most  delta_k = R ||w_k - w0_k|| + |b_k - b0_k|  away from
 * its value at the anchor (w0_k, b0_k), the parameters at neuron k's last exact evaluation. At
 * that evaluation every point with z_ki >= -T_k went on the neuron's candidate list (ascending i);
 * every other point had margin -z_ki > T_k. While delta_k + slack <= T_k those others provably
 * stay at z <= 0, so an epoch evaluates only the candidates, each exactly as the dense kernel does
 * (same operation order), and the live pairs come out the same, in the same order. When delta_k
 * outgrows T_k the neuron is evaluated in full again and re-anchored. A dead neuron without
 * weight decay never moves (its gradient is exactly zero), so its delta stays 0 and it costs d
 * operations per epoch; with weight decay it only shrinks and is re-checked ever more rarely.
 *
 * slack covers rounding: the computed z differs from the exact one by at most
 * (d+1) u (|b| + R ||w||), u = 2^-53, at the anchor and now; slack = 1e-12 (d+2) (1 + |b| + |b0|
 * + R (||w|| + ||w0||)) exceeds that by four orders of magnitude, and delta is inflated by 1e-9.
 *
 * A neuron is also evaluated in full once the inactive candidates it evaluated since its anchor
 * add up to more than 2n pairs: a list drawn while the neuron moved fast is then redrawn at its
 * current, slower pace (a full evaluation costs n pairs, so this at most triples the work).
 *
 * Threshold. T_k = max(rate_k H_k, 4 slack), rate_k = displacement per epoch observed over the
 * last interval, H_k a horizon in epochs adapted per neuron: doubled when the extra candidates
 * (inactive ones on the list) cost less per epoch than a full evaluation amortised over H_k,
 * halved when they cost more than twice that.
 *
 * State per neuron: anchorW (K x d), anchorB, anchorWNorm, threshold T, horizon H, the epoch of
 * the last evaluation, and the candidate list (K x n int32, count per neuron).
 *
 * The WebAssembly twin (wasm-skip, assembly/kernel.ts) uses the same certificate and slack but
 * chooses thresholds differently (twice the displacement of the last interval), copies the
 * candidates' inputs next to the list so that they are evaluated with the vectorised loop of the
 * full pass, and sends busy neurons to the full pass: faster there, longer to read here.
 */

/**
 * Evaluates neuron k on its candidates (ascending i) exactly: f_i += v_k relu(z_ki) and the live
 * pairs compacted branch-free from slot0. Returns the live count.
 */
function evaluateCandidates(
  params: Float64Array,
  wRow: number,
  bk: number,
  vk: number,
  x: Float64Array,
  d: number,
  candidates: Int32Array,
  first: number,
  count: number,
  prediction: Float64Array,
  pairIndex: Int32Array,
  pairPhi: Float64Array,
  slot0: number,
): number {
  let live = slot0;
  for (let c = first; c < first + count; c++) {
    const i = candidates[c];
    const r = i * d;
    let z = bk;
    for (let j = 0; j < d; j++) z += params[wRow + j] * x[r + j];
    prediction[i] += vk * (0.5 * (z + Math.abs(z)));
    pairIndex[live] = i;
    pairPhi[live] = z;
    live += +(z > 0);
  }
  return live - slot0;
}

/** Candidates {i : z_i >= -threshold} of one neuron from its full pre-activations, ascending i. */
function collectCandidates(zColumn: Float64Array, n: number, threshold: number, candidates: Int32Array, first: number): number {
  let count = first;
  for (let i = 0; i < n; i++) {
    candidates[count] = i;
    count += +(zColumn[i] >= -threshold);
  }
  return count - first;
}

const MAX_HORIZON = 1 << 20;

function skippingReluForward(state: ReluForwardState): ReluForward {
  const { shape, layout, params, x, prediction, pairIndex, pairPhi, liveCount } = state;
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
  /** Inactive candidates evaluated since the last full evaluation (pairs of work wasted). */
  const wasted = new Float64Array(width);
  const zColumn = new Float64Array(n);
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

  /** Full evaluation of neuron k: new anchor, threshold and candidate list; returns the live count. */
  function reevaluate(k: number, displacement: number, slack: number): number {
    const wRow = k * d;
    const bk = params[bOffset + k];
    preActivations(params, wRow, bk, x, d, n, zColumn);
    const slot0 = k * n;
    if (anchored[k] === 1) {
      const extra = candidateCount[k] - liveCount[k];
      const h = horizon[k];
      if (extra * h < n) horizon[k] = Math.min(MAX_HORIZON, 2 * h);
      else if (extra * h > 2 * n) horizon[k] = Math.max(1, h / 2);
    }
    const rate = anchored[k] === 1 ? displacement / Math.max(1, epoch - evaluatedAt[k]) : 0;
    const t = Math.max(rate * horizon[k], 4 * slack);
    threshold[k] = Number.isFinite(t) ? t : 0;
    candidateCount[k] = collectCandidates(zColumn, n, threshold[k], candidates, slot0);
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
    return evaluateCandidates(params, wRow, bk, params[vOffset + k], x, d, candidates, slot0, candidateCount[k], prediction, pairIndex, pairPhi, slot0);
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
      if (anchored[k] === 1 && displacement + slack <= threshold[k] && wasted[k] <= 2 * n) {
        const live = evaluateCandidates(params, wRow, bk, params[vOffset + k], x, d, candidates, slot0, candidateCount[k], prediction, pairIndex, pairPhi, slot0);
        liveCount[k] = live;
        wasted[k] += candidateCount[k] - live;
        pairsEvaluated += candidateCount[k];
      } else {
        liveCount[k] = reevaluate(k, displacement, slack);
      }
    }
  }

  return { name: 'js-skip', dataLoaded, forward, pairsEvaluated: () => pairsEvaluated };
}

/** The skipping TypeScript kernel (ReLU only; GELU neurons are never exactly inactive). */
export function createSkipKernel(shape: KernelShape): Kernel {
  if (shape.activation !== 'relu') throw new Error(`kernel "js-skip" needs activation "relu", not "${shape.activation}"`);
  return createPairKernel(shape, skippingReluForward);
}
