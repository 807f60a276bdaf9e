import { gelu, geluDerivative, geluSecondDerivative } from './activation.js';
import type { Kernel, KernelShape } from './kernel.js';
import { networkLayout } from './layout.js';

/**
 * The readable TypeScript kernel: plain loops over typed arrays, neuron-major.
 *
 * Forward cache (state of the last lossAndGradient), K x n slots, neuron k's row at k*n:
 *   pairIndex[k*n + a]   the a-th training point i on which neuron k is "live"
 *                        (relu: w_k.x_i + b_k > 0; gelu: every point)
 *   pairPhi[k*n + a]     phi(z_ki), pairDphi: phi'(z_ki), pairD2phi: phi''(z_ki) (gelu only)
 *   liveCount[k]         how many slots of row k are used
 * So the backward pass and Hessian-vector products touch only active (sample, neuron) pairs,
 * which after shattering are a small fraction of all pairs.
 */
export function createJsKernel(shape: KernelShape): Kernel {
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
  const pairIndex = new Int32Array(width * n);
  const pairPhi = new Float64Array(width * n);
  const pairDphi = activation === 'gelu' ? new Float64Array(width * n) : new Float64Array(0);
  const pairD2phi = activation === 'gelu' ? new Float64Array(width * n) : new Float64Array(0);
  const liveCount = new Int32Array(width);
  const positiveCount = new Int32Array(width);
  const prediction = new Float64Array(n);
  /** (2c/n) r_i, the loss's derivative with respect to f(x_i). */
  const residualWeight = new Float64Array(n);
  /** Scratch of the Hessian-vector product: (2c/n) (J vec)_i, and u_ki = dw_k.x_i + db_k per pair. */
  const jvpWeight = new Float64Array(n);
  const pairDirectional = new Float64Array(width * n);
  let cachedLossScale = 0;

  function forward(): void {
    prediction.fill(params[betaOffset]);
    if (activation === 'relu') forwardRelu();
    else forwardGelu();
  }

  /**
   * ReLU forward, branch-free in the inner loop: every point is written to the next slot and the
   * slot is kept (live += 1) only when z > 0, which avoids mispredicted branches at ~50% activity.
   */
  function forwardRelu(): void {
    for (let k = 0; k < width; k++) {
      preActivations(k);
      const vk = params[vOffset + k];
      const slot0 = k * n;
      let live = 0;
      for (let i = 0; i < n; i++) {
        const z = zColumn[i];
        const active = z > 0 ? 1 : 0;
        pairIndex[slot0 + live] = i;
        pairPhi[slot0 + live] = z;
        prediction[i] += vk * (active * z);
        live += active;
      }
      liveCount[k] = live;
      positiveCount[k] = live;
    }
  }

  /**
   * zColumn[i] = b_k + sum_j w_kj x_ij, summed in the order b, j = 0, 1, ..., d-1. Four points at
   * a time: four independent sums hide the latency of floating-point addition.
   */
  function preActivations(k: number): void {
    const wRow = k * d;
    const bk = params[bOffset + k];
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

  function forwardGelu(): void {
    for (let k = 0; k < width; k++) {
      preActivations(k);
      const vk = params[vOffset + k];
      const slot0 = k * n;
      let positive = 0;
      for (let i = 0; i < n; i++) {
        const z = zColumn[i];
        const phi = gelu(z);
        pairIndex[slot0 + i] = i;
        pairPhi[slot0 + i] = phi;
        pairDphi[slot0 + i] = geluDerivative(z);
        pairD2phi[slot0 + i] = geluSecondDerivative(z);
        prediction[i] += vk * phi;
        if (z > 0) positive++;
      }
      liveCount[k] = n;
      positiveCount[k] = positive;
    }
  }

  /**
   * out[row + j] = sum_a pairDz[a] x_(i_a) j over the live pairs a of neuron k (ascending i),
   * added four pairs at a time: out_j += (s0 x0j + s1 x1j + s2 x2j + s3 x3j), then the rest singly.
   */
  function accumulateInputs(k: number, live: number, out: Float64Array, row: number): void {
    const slot0 = k * n;
    for (let j = 0; j < d; j++) out[row + j] = 0;
    let a = 0;
    for (; a + 4 <= live; a += 4) {
      const r0 = pairIndex[slot0 + a] * d;
      const r1 = pairIndex[slot0 + a + 1] * d;
      const r2 = pairIndex[slot0 + a + 2] * d;
      const r3 = pairIndex[slot0 + a + 3] * d;
      const s0 = pairDz[a];
      const s1 = pairDz[a + 1];
      const s2 = pairDz[a + 2];
      const s3 = pairDz[a + 3];
      for (let j = 0; j < d; j++) out[row + j] += s0 * x[r0 + j] + s1 * x[r1 + j] + s2 * x[r2 + j] + s3 * x[r3 + j];
    }
    for (; a < live; a++) {
      const r = pairIndex[slot0 + a] * d;
      const s = pairDz[a];
      for (let j = 0; j < d; j++) out[row + j] += s * x[r + j];
    }
  }

  /** pairDirectional[slot] = bias + sum_j vec[row + j] x_(i_a) j over the live pairs of neuron k, four pairs at a time. */
  function directionalDerivatives(k: number, live: number, vec: Float64Array, row: number, bias: number): void {
    const slot0 = k * n;
    let a = 0;
    for (; a + 4 <= live; a += 4) {
      const r0 = pairIndex[slot0 + a] * d;
      const r1 = pairIndex[slot0 + a + 1] * d;
      const r2 = pairIndex[slot0 + a + 2] * d;
      const r3 = pairIndex[slot0 + a + 3] * d;
      let u0 = bias;
      let u1 = bias;
      let u2 = bias;
      let u3 = bias;
      for (let j = 0; j < d; j++) {
        const c = vec[row + j];
        u0 += c * x[r0 + j];
        u1 += c * x[r1 + j];
        u2 += c * x[r2 + j];
        u3 += c * x[r3 + j];
      }
      pairDirectional[slot0 + a] = u0;
      pairDirectional[slot0 + a + 1] = u1;
      pairDirectional[slot0 + a + 2] = u2;
      pairDirectional[slot0 + a + 3] = u3;
    }
    for (; a < live; a++) {
      const r = pairIndex[slot0 + a] * d;
      let u = bias;
      for (let j = 0; j < d; j++) u += vec[row + j] * x[r + j];
      pairDirectional[slot0 + a] = u;
    }
  }

  function lossAndGradient(lossScale: number): number {
    forward();
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
    for (let k = 0; k < width; k++) {
      const vk = params[vOffset + k];
      const slot0 = k * n;
      const live = liveCount[k];
      let gradV = 0;
      let gradB = 0;
      for (let a = 0; a < live; a++) {
        const weight = residualWeight[pairIndex[slot0 + a]];
        gradV += weight * pairPhi[slot0 + a];
        // d f / d z_ki = v_k phi'(z_ki); phi' = 1 on live relu pairs.
        const dz = activation === 'relu' ? weight * vk : weight * vk * pairDphi[slot0 + a];
        pairDz[a] = dz;
        gradB += dz;
      }
      accumulateInputs(k, live, grad, k * d);
      grad[bOffset + k] = gradB;
      grad[vOffset + k] = gradV;
    }
    return lossScale * (sumSquares / n);
  }

  /**
   * H vec = (2c/n) sum_i [ (J vec)_i grad f_i + r_i (Hess f_i) vec ]  (Gauss-Newton + residual).
   * Per neuron, with u = dw.x + db: (J vec)_i gets dv phi + v phi' u; (Hess f_i) vec has
   * w-block x (phi' dv + v phi'' u), b-block (phi' dv + v phi'' u), v-block phi' u.
   */
  function hessianVectorProduct(vec: Float64Array, out: Float64Array): void {
    const coefficient = (2 * cachedLossScale) / n;
    jvpWeight.fill(vec[betaOffset]);
    for (let k = 0; k < width; k++) {
      const wRow = k * d;
      const dbk = vec[bOffset + k];
      const dvk = vec[vOffset + k];
      const vk = params[vOffset + k];
      const slot0 = k * n;
      const live = liveCount[k];
      directionalDerivatives(k, live, vec, wRow, dbk);
      for (let a = 0; a < live; a++) {
        const dphi = activation === 'relu' ? 1 : pairDphi[slot0 + a];
        jvpWeight[pairIndex[slot0 + a]] += dvk * pairPhi[slot0 + a] + vk * dphi * pairDirectional[slot0 + a];
      }
    }
    let outBeta = 0;
    for (let i = 0; i < n; i++) {
      jvpWeight[i] *= coefficient;
      outBeta += jvpWeight[i];
    }
    out[betaOffset] = outBeta;
    for (let k = 0; k < width; k++) {
      const dvk = vec[vOffset + k];
      const vk = params[vOffset + k];
      const slot0 = k * n;
      const live = liveCount[k];
      let outV = 0;
      let outB = 0;
      for (let a = 0; a < live; a++) {
        const i = pairIndex[slot0 + a];
        const e = jvpWeight[i];
        const rho = residualWeight[i];
        const u = pairDirectional[slot0 + a];
        let dz: number;
        if (activation === 'relu') {
          outV += e * pairPhi[slot0 + a] + rho * u;
          dz = e * vk + rho * dvk;
        } else {
          const dphi = pairDphi[slot0 + a];
          outV += e * pairPhi[slot0 + a] + rho * dphi * u;
          dz = e * vk * dphi + rho * (dphi * dvk + vk * pairD2phi[slot0 + a] * u);
        }
        pairDz[a] = dz;
        outB += dz;
      }
      accumulateInputs(k, live, out, k * d);
      out[bOffset + k] = outB;
      out[vOffset + k] = outV;
    }
  }

  function loadData(inputs: Float64Array, labels: Float64Array): void {
    x.set(inputs.subarray(0, n * d));
    y.set(labels.subarray(0, n));
  }

  function activationCounts(out: Int32Array): void {
    out.set(positiveCount);
  }

  function predict(points: Float64Array, count: number, out: Float64Array): Float64Array {
    const beta = params[betaOffset];
    for (let i = 0; i < count; i++) {
      const xRow = i * d;
      let f = beta;
      for (let k = 0; k < width; k++) {
        const wRow = k * d;
        let z = params[bOffset + k];
        for (let j = 0; j < d; j++) z += params[wRow + j] * points[xRow + j];
        f += params[vOffset + k] * (activation === 'relu' ? (z > 0 ? z : 0) : gelu(z));
      }
      out[i] = f;
    }
    return out;
  }

  return {
    name: 'js',
    shape,
    layout,
    params,
    grad,
    loadData,
    lossAndGradient,
    hessianVectorProduct,
    activationCounts,
    predict,
    dispose() {},
  };
}
