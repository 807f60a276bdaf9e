import { describe, expect, it } from 'vitest';
import { makeDataset, makeTarget } from '../../src/data/index.js';
import { TRAIN_DEFAULTS } from '../../src/model/index.js';

const evaluateAt = (target: ReturnType<typeof makeTarget>, point: number[]) => target.evaluate(Float64Array.from(point), 1, new Float64Array(1))[0];

describe('linear target f0(x) = w*.x', () => {
  it.each([1, 3, 10])('d = %i: w* is a unit vector, read back from f0 at the basis vectors', (d) => {
    const target = makeTarget({ target: 'linear', target_seed: 2, d });
    const wStar = Array.from({ length: d }, (_, j) => evaluateAt(target, Array.from({ length: d }, (_, m) => (m === j ? 1 : 0))));
    expect(Math.abs(Math.hypot(...wStar) - 1)).toBeLessThan(1e-15);
    // Linear: f0(a x + b z) = a f0(x) + b f0(z).
    const x = Array.from({ length: d }, (_, j) => Math.sin(j + 1) / d);
    const z = Array.from({ length: d }, (_, j) => Math.cos(3 * j) / d);
    const combined = x.map((xj, j) => 0.3 * xj - 0.7 * z[j]);
    expect(Math.abs(evaluateAt(target, combined) - (0.3 * evaluateAt(target, x) - 0.7 * evaluateAt(target, z)))).toBeLessThan(1e-15);
  });

  it('depends on target_seed and d only', () => {
    const a = makeTarget({ target: 'linear', target_seed: 2, d: 3 });
    const b = makeTarget({ target: 'linear', target_seed: 3, d: 3 });
    expect(evaluateAt(a, [1, 0, 0])).not.toBe(evaluateAt(b, [1, 0, 0]));
    const data1 = makeDataset({ ...TRAIN_DEFAULTS, d: 3, n: 10, n_test: 5, data_seed: 1, target_seed: 2 });
    const data2 = makeDataset({ ...TRAIN_DEFAULTS, d: 3, n: 10, n_test: 5, data_seed: 9, target_seed: 2 });
    for (const data of [data1, data2]) {
      const f0 = a.evaluate(data.xTrain, 10, new Float64Array(10));
      expect(data.f0Train).toEqual(f0);
    }
  });
});

describe('hoelder target f0(x) = (1/d) sum_j |u_j.x|^(1/2) + 1 (PAPER.md, A.7)', () => {
  it.each([1, 2, 4])('d = %i: f0(0) = 1, 1 <= f0 <= 2 on the ball, even, and homogeneous of degree 1/2 around 1', (d) => {
    const target = makeTarget({ target: 'hoelder', target_seed: 0, d });
    expect(evaluateAt(target, new Array(d).fill(0))).toBe(1);
    const data = makeDataset({ ...TRAIN_DEFAULTS, d, n: 200, n_test: 1, target: 'hoelder', data_seed: 0 });
    for (let i = 0; i < 200; i++) {
      const x = Array.from(data.xTrain.subarray(i * d, (i + 1) * d));
      const f = data.f0Train[i];
      expect(f).toBeGreaterThanOrEqual(1);
      expect(f).toBeLessThanOrEqual(2);
      expect(evaluateAt(target, x.map((v) => -v))).toBeCloseTo(f, 14);
      // |u.(t x)|^(1/2) = sqrt(t) |u.x|^(1/2).
      expect(evaluateAt(target, x.map((v) => 0.25 * v)) - 1).toBeCloseTo(0.5 * (f - 1), 14);
    }
  });

  it('in d = 1 is |x|^(1/2) + 1 (u_1 = +-1)', () => {
    const target = makeTarget({ target: 'hoelder', target_seed: 7, d: 1 });
    for (const x of [-0.81, -0.25, 0.04, 0.49, 1]) expect(evaluateAt(target, [x])).toBeCloseTo(Math.sqrt(Math.abs(x)) + 1, 15);
  });
});

describe('bad input is refused, naming the field and what is allowed', () => {
  const good = { ...TRAIN_DEFAULTS, d: 3, n: 10, n_test: 5, data_seed: 0 };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown target', { target: 'quadratic' }, /^target: got "quadratic"; allowed: "linear", "hoelder", "caps"$/],
    ['d = 0', { d: 0 }, /^d: got 0; allowed: an integer >= 1$/],
    ['a fractional n', { n: 10.5 }, /^n: got 10.5; allowed: an integer >= 1$/],
    ['n_test = 0', { n_test: 0 }, /^n_test: got 0; allowed: an integer >= 1$/],
    ['a negative sigma', { sigma: -1 }, /^sigma: got -1; allowed: a finite number >= 0$/],
    ['a NaN sigma', { sigma: Number.NaN }, /^sigma: got NaN; allowed: a finite number >= 0$/],
    ['a missing data_seed', { data_seed: undefined }, /^data_seed: got undefined; allowed: an integer >= 0$/],
  ])('%s', (_label, change, message) => {
    expect(() => makeDataset({ ...good, ...change } as Parameters<typeof makeDataset>[0])).toThrow(message);
  });
});

describe('caps target: M atoms eps^-2 relu(u_i.x - (1 - eps^2)) on disjoint boundary caps', () => {
  it('is 0 at the centre, bounded by 1 on the ball, nonzero only near the boundary, with both signs', () => {
    const d = 5;
    const eps = 0.5;
    const target = makeTarget({ target: 'caps', target_seed: 0, d, caps_m: 6, caps_eps: eps });
    expect(evaluateAt(target, [0, 0, 0, 0, 0])).toBe(0);
    const data = makeDataset({ ...TRAIN_DEFAULTS, d, n: 20_000, n_test: 1, data_seed: 0, target: 'caps', caps_m: 6, caps_eps: eps });
    let positive = 0;
    let negative = 0;
    for (let i = 0; i < data.n; i++) {
      const f = data.f0Train[i];
      // Each atom peaks at eps^-2 * eps^2 = 1 where u.x = 1; disjoint caps never add up.
      expect(Math.abs(f)).toBeLessThanOrEqual(1);
      if (f !== 0) {
        let normSq = 0;
        for (let j = 0; j < d; j++) normSq += data.xTrain[i * d + j] ** 2;
        expect(Math.sqrt(normSq)).toBeGreaterThan(1 - eps * eps);
        if (f > 0) positive++;
        else negative++;
      }
    }
    expect(positive).toBeGreaterThan(0);
    expect(negative).toBeGreaterThan(0);
  });

  it('refuses more caps than fit, naming caps_m and caps_eps', () => {
    expect(() => makeTarget({ target: 'caps', target_seed: 0, d: 2, caps_m: 50, caps_eps: 0.9 })).toThrow(/caps_m=50 .*caps_eps=0.9/);
  });
});
