import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assignShards,
  configValues,
  estimateTaskCost,
  expandSpec,
  parseShard,
  selectShard,
  specHash,
  SpecError,
  validateSpec,
} from '../../src/spec/index.js';

const base = { name: 't', fixed: { d: 2, n: 16, width: 8, eta: 0.1, epochs: 10 } };

function problemsOf(raw: unknown): string[] {
  try {
    validateSpec(raw);
  } catch (error) {
    if (error instanceof SpecError) return error.problems;
    throw error;
  }
  return [];
}

describe('spec validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown top-level key', { ...base, grids: {} }, /^grids: unknown key/],
    ['unknown field', { ...base, fixed: { ...base.fixed, lr: 1 } }, /^fixed\.lr: unknown field/],
    ['d zero', { ...base, fixed: { ...base.fixed, d: 0 } }, /^fixed\.d: got 0; allowed: an integer >= 1/],
    ['d fractional', { ...base, fixed: { ...base.fixed, d: 1.5 } }, /^fixed\.d: got 1\.5/],
    ['n string', { ...base, fixed: { ...base.fixed, n: '16' } }, /^fixed\.n: got "16"; allowed: an integer >= 2/],
    ['eta negative', { ...base, fixed: { ...base.fixed, eta: -1 } }, /^fixed\.eta: got -1; allowed: a number > 0/],
    ['clip zero', { ...base, fixed: { ...base.fixed, clip: 0 } }, /^fixed\.clip: got 0; allowed: a number > 0, or null/],
    ['loss name', { ...base, fixed: { ...base.fixed, loss: 'l2' } }, /^fixed\.loss: got "l2"; allowed: "half_mse" or "mse"/],
    ['activation', { ...base, fixed: { ...base.fixed, activation: 'tanh' } }, /^fixed\.activation: got "tanh"/],
    ['sigma negative', { ...base, fixed: { ...base.fixed, sigma: -0.1 } }, /^fixed\.sigma: got -0\.1/],
    ['missing eta', { ...base, fixed: { d: 2, n: 16, width: 8, epochs: 10 } }, /^fixed\.eta: missing/],
    ['width and width_per_n', { ...base, fixed: { ...base.fixed, width_per_n: 4 } }, /both width and width_per_n/],
    ['empty grid axis', { ...base, grid: { eta: [] } }, /^grid\.eta: got \[\]; allowed: a non-empty array/],
    ['grid value out of range', { ...base, fixed: { d: 2, n: 16, width: 8, epochs: 10 }, grid: { eta: [0.1, 0] } }, /^grid\.eta\[1\]: got 0/],
    ['field in fixed and grid', { ...base, grid: { eta: [0.1, 0.2] } }, /^grid\.eta: field "eta" is already set in fixed/],
    ['zip member missing a field', { ...base, fixed: { d: 2, n: 16, width: 8, epochs: 10 }, grid: { optim: [{ eta: 0.1, weight_decay: 0 }, { eta: 0.2 }] } }, /^grid\.optim\[1\]: missing field "weight_decay"/],
    ['zip unknown field', { ...base, grid: { arm: [{ lr: 0.1 }] } }, /^grid\.arm\[0\]\.lr: unknown field/],
    ['seeds zero', { ...base, seeds: 0 }, /^seeds: got 0/],
    ['seeds list repeats', { ...base, seeds: { data: [1, 1], init: [0] } }, /^seeds\.data: .*without repeats/],
    ['save not boolean', { ...base, save: { params: 'yes' } }, /^save\.params: got "yes"; allowed: true or false/],
    ['name missing', { fixed: base.fixed }, /^name: got undefined; allowed: a non-empty string/],
    ['kernel', { ...base, fixed: { ...base.fixed, kernel: 'gpu' } }, /^fixed\.kernel: got "gpu"/],
    ['not an object', [1, 2], /^spec: got \[1,2\]/],
  ];
  for (const [title, raw, pattern] of cases) {
    it(`refuses ${title}, naming the field`, () => {
      const problems = problemsOf(raw);
      expect(problems.some((p) => pattern.test(p)), problems.join(' | ')).toBe(true);
    });
  }

  it('fills defaults and accepts clip null', () => {
    const spec = validateSpec({ ...base, fixed: { ...base.fixed, clip: null } });
    expect(spec.fixed).toMatchObject({ clip: null, loss: 'half_mse', activation: 'relu', weight_decay: 0, sigma: 1, n_test: 10000 });
  });
});

describe('expansion', () => {
  const spec = validateSpec({
    name: 'grid',
    fixed: { n: 16, width_per_n: 2, epochs: 10 },
    grid: { d: [1, 3], optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }, { eta: 0.01, weight_decay: 0.1 }] },
    seeds: { data: [0, 1], init: [5] },
  });

  it('takes the product of axes, zip groups and seeds, in a stable order with stable ids', () => {
    const tasks = expandSpec(spec);
    expect(tasks).toHaveLength(2 * 2 * 2);
    expect(tasks.map((t) => [t.config.d, t.labels.optim, t.config.data_seed])).toEqual([
      [1, 'gd', 0], [1, 'gd', 1], [1, '{"eta":0.01,"weight_decay":0.1}', 0], [1, '{"eta":0.01,"weight_decay":0.1}', 1],
      [3, 'gd', 0], [3, 'gd', 1], [3, '{"eta":0.01,"weight_decay":0.1}', 0], [3, '{"eta":0.01,"weight_decay":0.1}', 1],
    ]);
    expect(tasks.every((t) => t.config.width === 32 && t.config.init_seed === 5)).toBe(true);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(tasks.length);
    expect(expandSpec(spec).map((t) => t.id)).toEqual(tasks.map((t) => t.id));
    const values = configValues(tasks[0]);
    expect(values).toMatchObject({ d: 1, width: 32, width_per_n: 2, optim: 'gd', data_seed: 0, init_seed: 5, caps_m: null });
  });

  it('gives a task the same id whatever spec it comes from, and the spec hash changes with any setting', () => {
    const single = validateSpec({ name: 'other', fixed: { n: 16, width: 32, epochs: 10, d: 3, eta: 0.5 }, seeds: { data: [1], init: [5] } });
    const [task] = expandSpec(single);
    expect(expandSpec(spec).map((t) => t.id)).toContain(task.id);
    expect(specHash(single)).not.toBe(specHash(validateSpec({ name: 'other', fixed: { n: 16, width: 32, epochs: 11, d: 3, eta: 0.5 }, seeds: { data: [1], init: [5] } })));
  });

  it('pairs data and init seeds for seeds: N, and takes their product for {data, init}', () => {
    const paired = expandSpec(validateSpec({ ...base, seeds: 3 }));
    expect(paired.map((t) => [t.config.data_seed, t.config.init_seed])).toEqual([[0, 0], [1, 1], [2, 2]]);
    const product = expandSpec(validateSpec({ ...base, seeds: { data: [0, 1], init: [7, 8] } }));
    expect(product.map((t) => [t.config.data_seed, t.config.init_seed])).toEqual([[0, 7], [0, 8], [1, 7], [1, 8]]);
  });

  it('refuses identical tasks and tasks above the memory limit', () => {
    expect(() => expandSpec(validateSpec({ name: 'dup', fixed: { n: 16, epochs: 10, d: 2, eta: 0.1 }, grid: { w: [{ width: 8 }, { width: 8, label: 'x' }] } }))).toThrow(/would be identical/);
    expect(() => expandSpec(validateSpec({ name: 'big', fixed: { n: 100000, width: 100000, epochs: 1, d: 2, eta: 0.1 } }))).toThrow(/at most 4 GiB/);
  });
});

describe('shards', () => {
  it('parses I/N and refuses malformed selectors', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/2', '3/2', '1/0', 'abc', '1.5/2', '-1/2', '']) expect(typeof parseShard(bad)).toBe('string');
  });

  const e2 = expandSpec(validateSpec(JSON.parse(readFileSync(join(__dirname, '../../experiments/e2-curse.json'), 'utf8'))));

  it('holds the paper E2 grid: 250 tasks', () => {
    expect(e2).toHaveLength(250);
  });

  for (const count of [4, 16]) {
    it(`splits E2 into ${count} disjoint shards within 15% of the mean cost`, () => {
      const shardOf = assignShards(e2, count);
      const loads = new Float64Array(count);
      for (const task of e2) loads[shardOf[task.index]] += estimateTaskCost(task.config);
      const mean = loads.reduce((a, b) => a + b, 0) / count;
      for (const load of loads) expect(Math.abs(load / mean - 1)).toBeLessThan(0.15);
      const ids = Array.from({ length: count }, (_, s) => selectShard(e2, { index: s + 1, count }).map((t) => t.id)).flat();
      expect(new Set(ids).size).toBe(e2.length);
      expect(ids).toHaveLength(e2.length);
    });
  }
});

describe('experiments/', () => {
  const dir = join(__dirname, '../../experiments');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    it(`${file} validates and expands`, () => {
      const tasks = expandSpec(validateSpec(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
      expect(tasks.length).toBeGreaterThan(0);
    });
  }
});

describe('targets that cannot be built', () => {
  it('refuses caps that do not fit on the sphere, naming the task and the fields', () => {
    expect(() => expandSpec(validateSpec({ name: 'caps', fixed: { d: 2, n: 16, width: 8, eta: 0.1, epochs: 10, target: 'caps', caps_m: 8, caps_eps: 0.5 } }))).toThrow(
      /task 0 \(target caps, d=2\): caps target: could not place caps_m=8/,
    );
    expect(expandSpec(validateSpec({ name: 'caps', fixed: { d: 10, n: 16, width: 8, eta: 0.1, epochs: 10, target: 'caps', caps_m: 8, caps_eps: 0.5 } }))).toHaveLength(1);
  });
});

describe('kernels', () => {
  it('accepts every kernel for both activations', () => {
    for (const activation of ['relu', 'gelu']) {
      for (const kernel of ['auto', 'js', 'wasm']) expect(expandSpec(validateSpec({ ...base, fixed: { ...base.fixed, activation, kernel } }))).toHaveLength(1);
    }
  });
});
