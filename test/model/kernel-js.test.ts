import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { createJsKernel, networkLayout, TRAIN_DEFAULTS, type ActivationKind } from '../../src/model/index.js';
import { RandomStream } from '../../src/rng/index.js';
import { distanceToKink, referencePredict } from '../helpers/reference-network.js';

const WIDTH = 6;
const N = 11;

function setup(activation: ActivationKind, d: number, seed: number) {
  const data = makeDataset({ ...TRAIN_DEFAULTS, d, n: N, n_test: 9, data_seed: seed });
  const layout = networkLayout(d, WIDTH);
  const stream = new RandomStream(['test', 'kernel-js', seed, d]);
  const params = Float64Array.from({ length: layout.size }, () => stream.normal());
  const direction = Float64Array.from({ length: layout.size }, () => stream.normal());
  const other = Float64Array.from({ length: layout.size }, () => stream.normal());
  const kernel = createJsKernel({ d, n: N, width: WIDTH, activation });
  kernel.loadData(data.xTrain, data.yTrain);
  kernel.params.set(params);
  return { data, layout, params, direction, other, kernel };
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe.each(['relu', 'gelu'] as const)('TypeScript kernel, %s', (activation) => {
  it.each([1, 3, 10])('d = %i: Hessian-vector products are finite differences of the gradient (1e-6), and symmetric', (d) => {
    for (const c of [0.5, 1]) {
      const { data, layout, params, direction, other, kernel } = setup(activation, d, 40 + d);
      kernel.lossAndGradient(c);
      const hv = new Float64Array(layout.size);
      kernel.hessianVectorProduct(direction, hv);
      const hu = new Float64Array(layout.size);
      kernel.hessianVectorProduct(other, hu);
      expect(Math.abs(dot(other, hv) - dot(direction, hu)) / Math.abs(dot(other, hv))).toBeLessThan(1e-12);

      // A step along `direction` moves z_ki by at most t (||dw_k|| + |db_k|) for ||x_i|| <= 1:
      // below the distance to the nearest kink no ReLU switches.
      let slope = 0;
      for (let k = 0; k < WIDTH; k++) {
        let normSq = 0;
        for (let j = 0; j < d; j++) normSq += direction[k * d + j] ** 2;
        slope = Math.max(slope, Math.sqrt(normSq) + Math.abs(direction[layout.bOffset + k]));
      }
      const kink = distanceToKink(params, d, WIDTH, data.xTrain, N);
      const h = activation === 'relu' ? Math.min(1e-3, (0.25 * kink) / slope) : 1e-3;
      const gradientAt = (t: number) => {
        for (let p = 0; p < layout.size; p++) kernel.params[p] = params[p] + t * direction[p];
        kernel.lossAndGradient(c);
        return Float64Array.from(kernel.grad);
      };
      const central = (step: number) => {
        const plus = gradientAt(step);
        const minus = gradientAt(-step);
        return plus.map((g, p) => (g - minus[p]) / (2 * step));
      };
      const coarse = central(h);
      const fine = central(h / 2);
      const numeric = fine.map((g, p) => (4 * g - coarse[p]) / 3);
      let errorSq = 0;
      let normSq = 0;
      for (let p = 0; p < layout.size; p++) {
        errorSq += (hv[p] - numeric[p]) ** 2;
        normSq += hv[p] ** 2;
      }
      expect(Math.sqrt(errorSq / normSq), `loss scale ${c}`).toBeLessThan(1e-6);
    }
  });

  it('predicts and counts activations like the reference network', () => {
    const d = 3;
    const { data, layout, params, kernel } = setup(activation, d, 5);
    kernel.lossAndGradient(0.5);
    const predicted = kernel.predict(data.xTest, 9, new Float64Array(9));
    const reference = referencePredict(params, d, WIDTH, activation, data.xTest, 9);
    for (let i = 0; i < 9; i++) expect(Math.abs(predicted[i] - reference[i])).toBeLessThan(1e-13 * (1 + Math.abs(reference[i])));
    const counts = new Int32Array(WIDTH);
    kernel.activationCounts(counts);
    for (let k = 0; k < WIDTH; k++) {
      let positive = 0;
      for (let i = 0; i < N; i++) {
        let z = params[layout.bOffset + k];
        for (let j = 0; j < d; j++) z += params[k * d + j] * data.xTrain[i * d + j];
        if (z > 0) positive++;
      }
      expect(counts[k], `neuron ${k}`).toBe(positive);
    }
  });
});
