import { describe, expect, it } from 'vitest';
import { fitRate, leastSquaresLine, median, theoryRates, type SeedValuesAtN } from '../../src/report/index.js';
import { RandomStream } from '../../src/rng/index.js';

const N_VALUES = [32, 64, 128, 256, 512];

/** MSE = c n^-rate exp(noiseSd Z) for `seeds` seeds at each n. */
function syntheticSweep(rate: number, seeds: number, noiseSd: number, noise: RandomStream, c = 0.7): SeedValuesAtN[] {
  return N_VALUES.map((n) => ({ n, values: Array.from({ length: seeds }, () => c * Math.pow(n, -rate) * Math.exp(noiseSd * noise.normal())) }));
}

describe('least squares line', () => {
  it('recovers an exact line and refuses degenerate input', () => {
    const x = [0, 1, 2, 5];
    const fit = leastSquaresLine(x, x.map((v) => 3 - 0.25 * v));
    expect(fit.slope).toBeCloseTo(-0.25, 14);
    expect(fit.intercept).toBeCloseTo(3, 14);
    expect(() => leastSquaresLine([1], [2])).toThrow(/at least 2 points/);
    expect(() => leastSquaresLine([1, 1], [2, 3])).toThrow(/all x values are equal/);
    expect(() => leastSquaresLine([1, 2], [2])).toThrow(/x has 2 entries but y has 1/);
  });

  it('takes medians of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
  });
});

describe('rate fit with a seed bootstrap', () => {
  it('gives the exact rate and a zero-width interval without noise', () => {
    const fit = fitRate(syntheticSweep(0.4, 5, 0, new RandomStream(['unused'])));
    expect(fit.rate).toBeCloseTo(0.4, 12);
    expect(fit.rateLow).toBeCloseTo(0.4, 12);
    expect(fit.rateHigh).toBeCloseTo(0.4, 12);
    expect(fit.nValues).toEqual(N_VALUES);
    expect(fit.seedsPerN).toEqual([5, 5, 5, 5, 5]);
  });

  it('recovers a known exponent from noisy data within its interval, which narrows with more seeds', () => {
    const noise = new RandomStream(['report-test', 'recover']);
    const few = fitRate(syntheticSweep(0.25, 5, 0.3, noise), { streamKey: ['few'] });
    expect(few.rateLow!).toBeLessThanOrEqual(0.25);
    expect(few.rateHigh!).toBeGreaterThanOrEqual(0.25);
    expect(few.rateLow!).toBeLessThan(few.rate);
    expect(few.rateHigh!).toBeGreaterThan(few.rate);
    expect(Math.abs(few.rate - 0.25)).toBeLessThan(0.15);

    const many = fitRate(syntheticSweep(0.25, 101, 0.3, noise), { streamKey: ['many'] });
    expect(many.rateLow!).toBeLessThanOrEqual(0.25);
    expect(many.rateHigh!).toBeGreaterThanOrEqual(0.25);
    expect(many.rateHigh! - many.rateLow!).toBeLessThan((few.rateHigh! - few.rateLow!) / 2);
  });

  it('is deterministic for a stream key and changes with it', () => {
    const data = syntheticSweep(0.5, 5, 0.5, new RandomStream(['report-test', 'determinism']));
    const a = fitRate(data, { streamKey: ['series', 1] });
    const b = fitRate(data, { streamKey: ['series', 1] });
    const c = fitRate(data, { streamKey: ['series', 2] });
    expect(b).toEqual(a);
    expect(c.rate).toBe(a.rate);
    expect(c.rateLow).not.toBe(a.rateLow);
  });

  it('resamples seeds within each n: one seed per n leaves no interval, a constant n has no spread', () => {
    const single = fitRate(N_VALUES.map((n) => ({ n, values: [1 / n] })));
    expect(single.rate).toBeCloseTo(1, 12);
    expect(single.rateLow).toBeNull();
    expect(single.rateHigh).toBeNull();
    // Only the first n varies: every resample's rate comes from a line through that one median.
    const points = N_VALUES.map((n, i) => ({ n, values: i === 0 ? [0.5, 1, 2] : [1 / n, 1 / n, 1 / n] }));
    const fit = fitRate(points, { resamples: 500 });
    const candidateRates = [0.5, 1, 2].map((first) => -leastSquaresLine(N_VALUES.map(Math.log), [first, ...N_VALUES.slice(1).map((n) => 1 / n)].map(Math.log)).slope);
    expect(fit.rateLow!).toBeGreaterThanOrEqual(Math.min(...candidateRates) - 1e-12);
    expect(fit.rateHigh!).toBeLessThanOrEqual(Math.max(...candidateRates) + 1e-12);
  });

  it('covers the true exponent in 90% to 99.5% of 200 repetitions (5 seeds per n, 2000 resamples)', () => {
    const noise = new RandomStream(['report-test', 'coverage']);
    const trueRate = 0.4;
    let covered = 0;
    const repetitions = 200;
    for (let r = 0; r < repetitions; r++) {
      const fit = fitRate(syntheticSweep(trueRate, 5, 0.4, noise), { streamKey: ['coverage', r] });
      expect(fit.resamples).toBe(2000);
      if (fit.rateLow! <= trueRate && trueRate <= fit.rateHigh!) covered++;
    }
    const coverage = covered / repetitions;
    expect(coverage).toBeGreaterThanOrEqual(0.9);
    expect(coverage).toBeLessThanOrEqual(0.995);
  }, 30_000);

  it('refuses bad input with the reason', () => {
    expect(() => fitRate([{ n: 32, values: [1, 2] }])).toThrow(/at least 2 sample sizes/);
    expect(() => fitRate([{ n: 32, values: [1] }, { n: 32, values: [2] }])).toThrow(/n = 32 appears twice/);
    expect(() => fitRate([{ n: 32, values: [-1, 0, NaN] }, { n: 64, values: [1] }])).toThrow(/at least 2 sample sizes/);
    expect(() => fitRate(syntheticSweep(0.2, 2, 0, new RandomStream(['x'])), { resamples: 0 })).toThrow(/resamples must be an integer >= 1/);
    expect(() => fitRate(syntheticSweep(0.2, 2, 0, new RandomStream(['x'])), { confidence: 1 })).toThrow(/confidence must be in \(0, 1\)/);
  });
});

describe('theory exponents', () => {
  it('are 1/(2d+4) and 2/(d+1), with 1/6 and 1/2 at d = 1', () => {
    expect(theoryRates(1)).toEqual({ upper: 1 / 6, lower: 1 / 2 });
    expect(theoryRates(5)).toEqual({ upper: 1 / 14, lower: 1 / 3 });
    expect(() => theoryRates(0)).toThrow(/d must be an integer >= 1/);
  });
});
