/**
 * Rates of the curse-of-dimensionality figure: the least-squares slope of log median MSE on
 * log n, with a percentile bootstrap interval that resamples seeds within each n.
 *
 * The reported `rate` is minus the fitted slope (MSE ~ n^-rate), the way PAPER.md writes the
 * theory's exponents 1/(2d+4) and 2/(d+1), so the three numbers can be read side by side.
 */
import { RandomStream, type StreamKeyPart } from '../rng/index.js';

/** The seeds' values of one sample size n. */
export interface SeedValuesAtN {
  n: number;
  /** One value per seed (e.g. test MSE); finite and > 0 for a log fit. */
  values: readonly number[];
}

export interface RateFit {
  /** -(slope of log median value on log n). */
  rate: number;
  /** Intercept of the fitted line log(median) = intercept - rate * log n. */
  intercept: number;
  /** Percentile bootstrap interval of `rate` (null when fewer than 2 n have 2 or more seeds). */
  rateLow: number | null;
  rateHigh: number | null;
  confidence: number;
  resamples: number;
  /** How many n entered the fit, and how many seeds at each. */
  nValues: number[];
  seedsPerN: number[];
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples (2000 by default). */
  resamples?: number;
  /** Two-sided coverage of the interval (0.95 by default). */
  confidence?: number;
  /** Key parts of the resampling stream, so that the same series always gets the same interval. */
  streamKey?: readonly StreamKeyPart[];
}

/** Median of `values[0..length)`, sorting `values` in place. */
function medianInPlace(values: Float64Array, length: number): number {
  const view = values.subarray(0, length);
  view.sort();
  const mid = length >> 1;
  return length % 2 === 1 ? view[mid] : 0.5 * (view[mid - 1] + view[mid]);
}

/** Median of a list of numbers (not modified). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return medianInPlace(Float64Array.from(values), values.length);
}

/**
 * Ordinary least squares slope and intercept of y on x.
 * Example: leastSquaresLine([0, 1, 2], [1, 3, 5]) -> { slope: 2, intercept: 1 }.
 */
export function leastSquaresLine(x: ArrayLike<number>, y: ArrayLike<number>): { slope: number; intercept: number } {
  const count = x.length;
  if (count !== y.length) throw new Error(`leastSquaresLine: x has ${count} entries but y has ${y.length}`);
  if (count < 2) throw new Error(`leastSquaresLine: need at least 2 points, got ${count}`);
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < count; i++) {
    meanX += x[i];
    meanY += y[i];
  }
  meanX /= count;
  meanY /= count;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < count; i++) {
    const dx = x[i] - meanX;
    sxy += dx * (y[i] - meanY);
    sxx += dx * dx;
  }
  if (sxx === 0) throw new Error('leastSquaresLine: all x values are equal, the slope is undefined');
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

/** Percentile of sorted values by linear interpolation between order statistics (type 7). */
function percentileSorted(sorted: Float64Array, p: number): number {
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

/**
 * Fits MSE ~ n^-rate over seed medians and bootstraps the rate: each resample draws, for every
 * n independently, as many seeds as it has, with replacement, takes their median and refits.
 * Values that are not finite and positive are dropped (their log is undefined); an n left with
 * no value is dropped too. Throws when fewer than 2 distinct n remain.
 * Cost: O(resamples * total seeds * log seeds).
 */
export function fitRate(points: readonly SeedValuesAtN[], options: BootstrapOptions = {}): RateFit {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new Error(`fitRate: resamples must be an integer >= 1, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`fitRate: confidence must be in (0, 1), got ${confidence}`);

  const usable = points
    .map((p) => ({ n: p.n, values: p.values.filter((v) => Number.isFinite(v) && v > 0) }))
    .filter((p) => p.values.length > 0)
    .sort((p, q) => p.n - q.n);
  for (let i = 1; i < usable.length; i++) {
    if (usable[i].n === usable[i - 1].n) throw new Error(`fitRate: n = ${usable[i].n} appears twice; merge its seeds first`);
  }
  if (usable.length < 2) throw new Error(`fitRate: need at least 2 sample sizes with positive finite values, got ${usable.length}`);

  const logN = Float64Array.from(usable, (p) => Math.log(p.n));
  const logMedian = Float64Array.from(usable, (p) => Math.log(median(p.values)));
  const fit = leastSquaresLine(logN, logMedian);

  const canBootstrap = usable.filter((p) => p.values.length >= 2).length >= 2;
  let rateLow: number | null = null;
  let rateHigh: number | null = null;
  if (canBootstrap) {
    const stream = new RandomStream(['report-bootstrap', ...(options.streamKey ?? [])]);
    const maxSeeds = Math.max(...usable.map((p) => p.values.length));
    const scratch = new Float64Array(maxSeeds);
    const resampledLogMedian = new Float64Array(usable.length);
    const rates = new Float64Array(resamples);
    for (let r = 0; r < resamples; r++) {
      for (let j = 0; j < usable.length; j++) {
        const values = usable[j].values;
        const count = values.length;
        for (let s = 0; s < count; s++) scratch[s] = values[Math.floor(stream.uniform() * count)];
        resampledLogMedian[j] = Math.log(medianInPlace(scratch, count));
      }
      rates[r] = -leastSquaresLine(logN, resampledLogMedian).slope;
    }
    rates.sort();
    const tail = (1 - confidence) / 2;
    rateLow = percentileSorted(rates, tail);
    rateHigh = percentileSorted(rates, 1 - tail);
  }

  return {
    rate: -fit.slope,
    intercept: fit.intercept,
    rateLow,
    rateHigh,
    confidence,
    resamples,
    nValues: usable.map((p) => p.n),
    seedsPerN: usable.map((p) => p.values.length),
  };
}

/**
 * The theory's exponents for the estimation error of stable minima (PAPER.md "Rates"):
 * upper bound n^-(1/(2d+4)), minimax lower bound n^-(2/(d+1)) for d > 1 and n^-(1/2) for d = 1.
 */
export function theoryRates(d: number): { upper: number; lower: number } {
  if (!Number.isInteger(d) || d < 1) throw new Error(`theoryRates: d must be an integer >= 1, got ${d}`);
  return { upper: 1 / (2 * d + 4), lower: d === 1 ? 0.5 : 2 / (d + 1) };
}
