import { describe, expect, it } from 'vitest';
import { sampleUniformBall, sampleUnitVector } from '../../src/data/index.js';
import { RandomStream } from '../../src/rng/index.js';
import { empiricalWeight, weightScratch } from '../../src/theory/index.js';
import { bruteG, toPoints } from './brute-force.js';

describe('empirical weight g(u, t)', () => {
  it('gives the worked example: inputs {-1, 0, 1}, u = 1, t = 0 -> sqrt(2)/9', () => {
    const g = empiricalWeight(Float64Array.of(-1, 0, 1), 3, 1, Float64Array.of(1), 0, 0, weightScratch(1));
    expect(g).toBeCloseTo(Math.SQRT2 / 9, 15);
  });

  it('matches a brute-force computation for random (u, t), d in {1, 2, 5, 10}', () => {
    for (const d of [1, 2, 5, 10]) {
      const stream = new RandomStream(['test', 'g-brute', d]);
      const n = 97;
      const inputs = sampleUniformBall(stream, n, d, new Float64Array(n * d));
      const points = toPoints(inputs, n, d);
      const scratch = weightScratch(d);
      let nonZero = 0;
      for (let trial = 0; trial < 60; trial++) {
        const u = sampleUnitVector(stream, d, new Float64Array(d));
        // Thresholds beyond the data (|t| > 1) included: there one side is empty and g = 0.
        const t = stream.symmetric(1.2);
        const ours = empiricalWeight(inputs, n, d, u, 0, t, scratch);
        const reference = bruteG(points, Array.from(u), t);
        expect(Math.abs(ours - reference)).toBeLessThanOrEqual(1e-13 * Math.max(1, reference));
        if (reference > 0) nonZero++;
      }
      expect(nonZero).toBeGreaterThan(30);
    }
  });

  it('is symmetric, g(u, t) = g(-u, -t), and zero when the hyperplane misses the data', () => {
    const d = 3;
    const n = 50;
    const stream = new RandomStream(['test', 'g-symmetry']);
    const inputs = sampleUniformBall(stream, n, d, new Float64Array(n * d));
    const scratch = weightScratch(d);
    const u = sampleUnitVector(stream, d, new Float64Array(d));
    const minus = u.map((c) => -c);
    for (const t of [-0.7, -0.1, 0.3, 0.8]) {
      expect(empiricalWeight(inputs, n, d, u, 0, t, scratch)).toBe(empiricalWeight(inputs, n, d, minus, 0, -t, scratch));
    }
    expect(empiricalWeight(inputs, n, d, u, 0, 1.01, scratch)).toBe(0);
    expect(empiricalWeight(inputs, n, d, u, 0, -1.01, scratch)).toBe(0);
  });

  it('d = 1, 1,000,000 uniform points: g(1, t) within 3% of the population form for t in [-0.9, 0.9]', () => {
    const n = 1_000_000;
    const inputs = sampleUniformBall(new RandomStream(['test', 'g-population']), n, 1, new Float64Array(n));
    const scratch = weightScratch(1);
    const population = (t: number) =>
      Math.min(((1 - t) / 2) ** 3 * Math.sqrt(1 + ((1 + t) / 2) ** 2), ((1 + t) / 2) ** 3 * Math.sqrt(1 + ((1 - t) / 2) ** 2));
    let worst = 0;
    for (let step = -9; step <= 9; step++) {
      const t = step / 10;
      const relativeError = Math.abs(empiricalWeight(inputs, n, 1, Float64Array.of(1), 0, t, scratch) / population(t) - 1);
      worst = Math.max(worst, relativeError);
    }
    expect(worst).toBeLessThan(0.03);
  });
});
