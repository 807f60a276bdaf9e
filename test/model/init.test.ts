import { describe, expect, it } from 'vitest';
import { initialParameters, networkLayout, type InitKind } from '../../src/model/index.js';

function moments(values: Float64Array) {
  let sum = 0;
  let sumSq = 0;
  for (const v of values) {
    sum += v;
    sumSq += v * v;
  }
  return { mean: sum / values.length, secondMoment: sumSq / values.length };
}

/** N(0, std^2): mean, variance and the shares within 1 and 2 standard deviations, each within 4 standard errors. */
function expectNormal(values: Float64Array, std: number, what: string): void {
  const count = values.length;
  const { mean, secondMoment } = moments(values);
  expect(Math.abs(mean), `${what}: mean`).toBeLessThan((4 * std) / Math.sqrt(count));
  expect(Math.abs(secondMoment - std * std), `${what}: variance`).toBeLessThan(4 * Math.sqrt(2 / count) * std * std);
  for (const [multiple, share] of [[1, 0.6826894921370859], [2, 0.9544997361036416]]) {
    const inside = values.filter((v) => Math.abs(v) < multiple * std).length / count;
    expect(Math.abs(inside - share), `${what}: share within ${multiple} sd`).toBeLessThan(4 * Math.sqrt((share * (1 - share)) / count));
  }
}

/** U(-bound, bound): inside the bounds, reaching close to both, variance bound^2/3, and uniform (Kolmogorov-Smirnov, 0.1%). */
function expectUniform(values: Float64Array, bound: number, what: string): void {
  const count = values.length;
  const { mean, secondMoment } = moments(values);
  let smallest = Infinity;
  let largest = -Infinity;
  for (const v of values) {
    smallest = Math.min(smallest, v);
    largest = Math.max(largest, v);
  }
  expect(largest, `${what}: upper bound`).toBeLessThan(bound);
  expect(smallest, `${what}: lower bound`).toBeGreaterThan(-bound);
  // P(no draw within bound * 20/count of an end) = (1 - 10/count)^count ~ e^-10.
  expect(largest, `${what}: reaches the upper bound`).toBeGreaterThan(bound * (1 - 20 / count));
  expect(smallest, `${what}: reaches the lower bound`).toBeLessThan(-bound * (1 - 20 / count));
  expect(Math.abs(mean), `${what}: mean`).toBeLessThan((4 * bound) / Math.sqrt(3 * count));
  // Var of u^2 for u ~ U(-B, B): B^4/5 - B^4/9 = 4 B^4 / 45.
  expect(Math.abs(secondMoment - (bound * bound) / 3), `${what}: variance`).toBeLessThan(4 * Math.sqrt(4 / 45 / count) * bound * bound);
  const sorted = Float64Array.from(values).sort();
  let statistic = 0;
  for (let i = 0; i < count; i++) {
    const cdf = (sorted[i] + bound) / (2 * bound);
    statistic = Math.max(statistic, (i + 1) / count - cdf, cdf - i / count);
  }
  expect(statistic, `${what}: Kolmogorov-Smirnov`).toBeLessThan(1.95 / Math.sqrt(count));
}

/**
 * PAPER.md, Initialisation: kaiming_normal W ~ N(0, 2/d), v ~ N(0, 2/K); torch_default
 * W ~ U(+-1/sqrt d), v ~ U(+-1/sqrt K); biases b ~ U(+-1/sqrt d), beta ~ U(+-1/sqrt K) in both
 * (nn.Linear's defaults, fan_in = d for the hidden layer and K for the output layer).
 */
describe.each([
  [1, 16384],
  [5, 4096],
  [10, 2048],
])('initial parameters, d = %i, width %i', (d, width) => {
  const layout = networkLayout(d, width);
  const pieces = (params: Float64Array) => ({
    w: params.subarray(layout.wOffset, layout.wOffset + width * d),
    b: params.subarray(layout.bOffset, layout.bOffset + width),
    v: params.subarray(layout.vOffset, layout.vOffset + width),
  });

  it('kaiming_normal: W ~ N(0, 2/d), b ~ U(+-1/sqrt d), v ~ N(0, 2/K)', () => {
    const { w, b, v } = pieces(initialParameters(3, d, width, 'kaiming_normal'));
    expectNormal(w, Math.sqrt(2 / d), 'W');
    expectUniform(b, 1 / Math.sqrt(d), 'b');
    expectNormal(v, Math.sqrt(2 / width), 'v');
  });

  it('torch_default: W ~ U(+-1/sqrt d), b ~ U(+-1/sqrt d), v ~ U(+-1/sqrt K)', () => {
    const { w, b, v } = pieces(initialParameters(3, d, width, 'torch_default'));
    expectUniform(w, 1 / Math.sqrt(d), 'W');
    expectUniform(b, 1 / Math.sqrt(d), 'b');
    expectUniform(v, 1 / Math.sqrt(width), 'v');
  });
});

describe.each(['kaiming_normal', 'torch_default'] as InitKind[])('%s: the output bias beta', (init) => {
  it('is U(+-1/sqrt K) across init seeds', () => {
    const width = 16;
    const layout = networkLayout(2, width);
    const betas = Float64Array.from({ length: 4000 }, (_, seed) => initialParameters(seed, 2, width, init)[layout.betaOffset]);
    expectUniform(betas, 1 / Math.sqrt(width), 'beta');
  });
});

describe('initialParameters', () => {
  it('writes into a given buffer exactly what it would return', () => {
    const layout = networkLayout(4, 32);
    const out = new Float64Array(layout.size).fill(Number.NaN);
    expect(initialParameters(9, 4, 32, 'kaiming_normal', out)).toBe(out);
    expect(out).toEqual(initialParameters(9, 4, 32, 'kaiming_normal'));
  });
});

describe('initialParameters refuses bad input, naming the field and what is allowed', () => {
  it.each<[string, () => unknown, RegExp]>([
    ['an unknown scheme', () => initialParameters(0, 3, 8, 'xavier' as InitKind), /^init: got "xavier"; allowed: "kaiming_normal", "torch_default"$/],
    ['d = 0', () => initialParameters(0, 0, 8, 'kaiming_normal'), /^d: got 0; allowed: an integer >= 1$/],
    ['a fractional width', () => initialParameters(0, 3, 2.5, 'kaiming_normal'), /^width: got 2.5; allowed: an integer >= 1$/],
    ['a negative seed', () => initialParameters(-1, 3, 8, 'kaiming_normal'), /^init_seed: got -1; allowed: an integer >= 0$/],
    ['a short buffer', () => initialParameters(0, 3, 8, 'kaiming_normal', new Float64Array(10)), /holds 10 numbers, the network needs 41/],
  ])('%s', (_label, call, message) => {
    expect(call).toThrow(message);
  });
});
