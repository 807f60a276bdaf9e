import { RandomStream } from '../rng/index.js';
import { sampleUniformBall } from './ball.js';
import { makeTarget, type TargetSettings } from './target.js';

export interface DatasetSettings extends TargetSettings {
  n: number;
  n_test: number;
  sigma: number;
  data_seed: number;
}

/** Training and test data of one task; every matrix is row-major with d columns. */
export interface Dataset {
  d: number;
  n: number;
  nTest: number;
  xTrain: Float64Array;
  /** Noisy labels y = f0(x) + sigma * noise. */
  yTrain: Float64Array;
  f0Train: Float64Array;
  xTest: Float64Array;
  /** Fresh noisy labels of the test points (for test_risk). */
  yTest: Float64Array;
  f0Test: Float64Array;
  /** max ||x_i|| over the training inputs (R in Theorem 3.2). */
  radius: number;
}

/**
 * The data of a task. Each piece has its own Philox stream keyed by the data seed and only the
 * settings it depends on: training inputs by (data_seed, d, n), their noise by (data_seed, n),
 * test inputs by (data_seed, d, n_test), test noise by (data_seed, n_test). So the test set is
 * independent of the training set and the same for every n, and changing sigma only rescales
 * the same noise draws.
 */
export function makeDataset(settings: DatasetSettings): Dataset {
  const { d, n, n_test: nTest, sigma, data_seed: seed } = settings;
  for (const [field, value] of [['d', d], ['n', n], ['n_test', nTest]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${field}: got ${value}; allowed: an integer >= 1`);
  }
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new RangeError(`sigma: got ${sigma}; allowed: a finite number >= 0`);
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`data_seed: got ${seed}; allowed: an integer >= 0`);
  const target = makeTarget(settings);
  const xTrain = sampleUniformBall(new RandomStream(['data', 'x_train', seed, d, n]), n, d, new Float64Array(n * d));
  const xTest = sampleUniformBall(new RandomStream(['data', 'x_test', seed, d, nTest]), nTest, d, new Float64Array(nTest * d));
  const f0Train = target.evaluate(xTrain, n, new Float64Array(n));
  const f0Test = target.evaluate(xTest, nTest, new Float64Array(nTest));
  const yTrain = addNoise(f0Train, sigma, new RandomStream(['data', 'noise_train', seed, n]));
  const yTest = addNoise(f0Test, sigma, new RandomStream(['data', 'noise_test', seed, nTest]));
  let radius = 0;
  for (let i = 0; i < n; i++) {
    let normSq = 0;
    for (let j = 0; j < d; j++) normSq += xTrain[i * d + j] ** 2;
    radius = Math.max(radius, Math.sqrt(normSq));
  }
  return { d, n, nTest, xTrain, yTrain, f0Train, xTest, yTest, f0Test, radius };
}

function addNoise(clean: Float64Array, sigma: number, stream: RandomStream): Float64Array {
  const out = new Float64Array(clean.length);
  for (let i = 0; i < clean.length; i++) out[i] = clean[i] + sigma * stream.normal();
  return out;
}
