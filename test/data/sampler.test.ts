import { describe, expect, it } from 'vitest';
import { makeDataset } from '../../src/data/index.js';
import { TRAIN_DEFAULTS } from '../../src/model/index.js';

const N = 20_000;

function dataset(d: number, overrides: { n?: number; n_test?: number; data_seed?: number; sigma?: number } = {}) {
  return makeDataset({ ...TRAIN_DEFAULTS, d, n: N, n_test: N, data_seed: 5, ...overrides });
}

function squaredNorms(x: Float64Array, count: number, d: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) out[i] += x[i * d + j] ** 2;
  return out;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/**
 * x uniform in the unit ball B^d: ||x|| = U^(1/d), so E||x||^2 = d/(d+2), Var ||x||^2 =
 * d/(d+4) - (d/(d+2))^2; each coordinate has mean 0, E x_j^2 = 1/(d+2) and
 * E x_j^4 = 3/((d+2)(d+4)).
 */
describe.each([1, 2, 5, 10])('uniform ball sampler, d = %i', (d) => {
  const data = dataset(d);
  const norms = squaredNorms(data.xTrain, N, d);

  it('stays inside the unit ball, with radius the largest norm', () => {
    let largest = 0;
    for (const r2 of norms) largest = Math.max(largest, r2);
    expect(largest).toBeLessThan(1);
    expect(data.radius).toBe(Math.sqrt(largest));
  });

  it('has E||x||^2 = d/(d+2) within 4 standard errors', () => {
    const expected = d / (d + 2);
    const standardError = Math.sqrt((d / (d + 4) - expected ** 2) / N);
    expect(Math.abs(mean(norms) - expected)).toBeLessThan(4 * standardError);
  });

  it('has every coordinate of mean 0 and second moment 1/(d+2) within 4 standard errors', () => {
    const second = 1 / (d + 2);
    const fourth = 3 / ((d + 2) * (d + 4));
    for (let j = 0; j < d; j++) {
      const column = Float64Array.from({ length: N }, (_, i) => data.xTrain[i * d + j]);
      expect(Math.abs(mean(column)), `coordinate ${j} mean`).toBeLessThan(4 * Math.sqrt(second / N));
      const squares = column.map((v) => v * v);
      expect(Math.abs(mean(squares) - second), `coordinate ${j} second moment`).toBeLessThan(4 * Math.sqrt((fourth - second ** 2) / N));
    }
  });

  it('has radius distribution P(||x|| <= r) = r^d (Kolmogorov-Smirnov at the 0.1% level)', () => {
    const radii = Float64Array.from(norms, Math.sqrt).sort();
    let statistic = 0;
    for (let i = 0; i < N; i++) {
      const cdf = radii[i] ** d;
      statistic = Math.max(statistic, (i + 1) / N - cdf, cdf - i / N);
    }
    expect(statistic).toBeLessThan(1.95 / Math.sqrt(N));
  });

  it('draws a test set independent of the training set', () => {
    const trainPoints = new Set<string>();
    for (let i = 0; i < N; i++) trainPoints.add(data.xTrain.subarray(i * d, (i + 1) * d).join(','));
    let shared = 0;
    for (let i = 0; i < N; i++) if (trainPoints.has(data.xTest.subarray(i * d, (i + 1) * d).join(','))) shared++;
    expect(shared).toBe(0);
    // Paired rows of the two sets, coordinate by coordinate, and their label noise: uncorrelated.
    for (let j = 0; j < d; j++) {
      const train = Float64Array.from({ length: N }, (_, i) => data.xTrain[i * d + j]);
      const test = Float64Array.from({ length: N }, (_, i) => data.xTest[i * d + j]);
      expect(Math.abs(correlation(train, test))).toBeLessThan(4 / Math.sqrt(N));
    }
    const trainNoise = data.yTrain.map((y, i) => y - data.f0Train[i]);
    const testNoise = data.yTest.map((y, i) => y - data.f0Test[i]);
    expect(Math.abs(correlation(trainNoise, testNoise))).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(correlation(norms, squaredNorms(data.xTest, N, d)))).toBeLessThan(4 / Math.sqrt(N));
  });
});

describe('label noise and the test set', () => {
  it('adds noise of mean 0 and standard deviation sigma (4 standard errors)', () => {
    const sigma = 0.5;
    const data = dataset(3, { sigma });
    const noise = data.yTrain.map((y, i) => y - data.f0Train[i]);
    expect(Math.abs(mean(noise))).toBeLessThan((4 * sigma) / Math.sqrt(N));
    // Var of a sample variance of normals: 2 sigma^4 / N.
    expect(Math.abs(mean(noise.map((e) => e * e)) - sigma ** 2)).toBeLessThan(4 * Math.sqrt(2 / N) * sigma ** 2);
  });

  it('keeps the same test set whatever n, and a different one for another data seed', () => {
    const small = dataset(3, { n: 50, n_test: 500 });
    const large = dataset(3, { n: 400, n_test: 500 });
    expect(large.xTest).toEqual(small.xTest);
    expect(large.yTest).toEqual(small.yTest);
    const otherSeed = dataset(3, { n: 50, n_test: 500, data_seed: 6 });
    expect(otherSeed.xTest).not.toEqual(small.xTest);
  });
});
