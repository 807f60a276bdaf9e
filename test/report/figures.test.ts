import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFigure, planFigures, readOutput, type FigurePlan, type SlopeRow } from '../../src/report/index.js';
import { writeFixtureDir, type Fixture } from './fixtures.js';
import { axisTitles, dataWithField, marksEncoding, vegaMarks, vegaScales } from './vega-helpers.js';

let fixture: Fixture;
let plans: Map<string, FigurePlan>;
let slopes: SlopeRow[];

beforeAll(() => {
  fixture = writeFixtureDir({ dValues: [1, 3], nValues: [32, 64, 128], seeds: 3 }, 'figures');
  const planned = planFigures(readOutput(fixture.dir));
  plans = new Map(planned.plans.map((p) => [p.name, p]));
  slopes = planned.slopes;
});
afterAll(() => rmSync(fixture.dir, { recursive: true, force: true }));

const compiled = (name: string) => {
  const plan = plans.get(name);
  if (!plan) throw new Error(`no ${name} figure planned`);
  return compileFigure(plan.spec);
};

const scaleTypes = (spec: unknown, name: string) => vegaScales(spec).filter((s) => s.name === name).map((s) => s.type ?? 'linear');

describe('figure choice', () => {
  it('plans all five figures for a directory with runs, curves and neurons at several n', () => {
    expect([...plans.keys()]).toEqual(['shattering', 'edge-of-stability', 'curse-of-dimensionality', 'theorem-3-2', 'training-health']);
  });
});

describe('neural shattering figure', () => {
  it('draws one point per neuron with a > 0, rate against log a, a panel per configuration and the 10% line', () => {
    const spec = compiled('shattering');
    const a = fixture.columns.neurons.a.values as number[];
    const expected = a.filter((value) => value > 0).length;
    const points = dataWithField(spec, 'activation_rate');
    expect(points.length).toBe(expected);
    // 2 methods x 2 d x 3 n configurations.
    expect(new Set(points.map((p) => p.panel)).size).toBe(12);
    expect(marksEncoding(spec, 'symbol', 'a', 'activation_rate')).toHaveLength(1);
    expect(scaleTypes(spec, 'x')).toEqual(['log']);
    const rule = vegaMarks(spec).find((m) => m.type === 'rule');
    expect(rule?.y?.value).toBe(0.1);
    expect(axisTitles(spec)).toEqual(expect.arrayContaining(['activation rate', 'a = |v| ||w|| (log scale)']));
    expect(plans.get('shattering')!.caption).toMatch(/36 neuron\(s\) with a = 0/);
  });

  it('subsamples large neuron tables deterministically and says so', () => {
    const big = writeFixtureDir({ dValues: [2], nValues: [32], seeds: 2, width: 1500 }, 'big-neurons');
    try {
      const first = planFigures(readOutput(big.dir)).plans.find((p) => p.name === 'shattering')!;
      const second = planFigures(readOutput(big.dir)).plans.find((p) => p.name === 'shattering')!;
      const points = dataWithField(compileFigure(first.spec), 'activation_rate');
      // Two configurations, each 2 seeds x 1499 neurons with a > 0 (2998 > 2000 per panel) -> stride 2 -> 1499 points.
      expect(points.length).toBe(2 * Math.ceil(2998 / 2));
      expect(first.caption).toMatch(/Subsampled deterministically for plotting/);
      expect(first.caption).toMatch(/1 in 2 of 2998 neurons/);
      expect(JSON.stringify(second.spec)).toBe(JSON.stringify(first.spec));
    } finally {
      rmSync(big.dir, { recursive: true, force: true });
    }
  });
});

describe('edge-of-stability figure', () => {
  it('plots every curve row, lambda_max where measured against 2/eta, and each run\'s eos_ratio', () => {
    const spec = compiled('edge-of-stability');
    const loss = dataWithField(spec, 'train_loss');
    expect(loss.length).toBe(fixture.curveRows);
    const lambda = dataWithField(spec, 'lambda_max');
    const measured = (fixture.columns.curves.lambda_max.values as (number | null)[]).filter((v) => v !== null).length;
    expect(lambda.length).toBe(measured);
    const etaOfPanel = new Map(fixture.runs.map((r) => [`d=${r.d}, n=${r.n}, optim=${r.optim}`, r.eta as number]));
    for (const row of lambda) expect(row.two_over_eta).toBeCloseTo(2 / etaOfPanel.get(row.panel as string)!, 12);
    const ratios = dataWithField(spec, 'eos_ratio');
    expect(ratios.length).toBe(fixture.runs.length);

    expect(marksEncoding(spec, 'line', 'epoch', 'train_loss')).toHaveLength(1);
    expect(marksEncoding(spec, 'line', 'epoch', 'lambda_max')).toHaveLength(1);
    const ruleOfTwoOverEta = vegaMarks(spec).filter((m) => m.type === 'rule' && String(m.y?.field ?? '').includes('two_over_eta'));
    expect(ruleOfTwoOverEta).toHaveLength(1);
    expect(vegaScales(spec).some((s) => s.type === 'log')).toBe(true);
    expect(axisTitles(spec)).toEqual(expect.arrayContaining(['epoch', 'training loss (log scale)', 'lambda_max (log scale)', 'final eos_ratio = eta lambda_max / 2']));
  });
});

describe('curse-of-dimensionality figure', () => {
  it('draws seeds and seed medians per method on log-log axes, with each fit in the legend', () => {
    const spec = compiled('curse-of-dimensionality');
    const seedSets = vegaMarks(spec).filter((m) => m.type === 'symbol' && m.x?.field === 'n' && m.y?.field === 'test_mse');
    expect(seedSets.length).toBeGreaterThanOrEqual(2);
    const allRows = (spec as { data: { values?: Record<string, unknown>[] }[] }).data.flatMap((d) => d.values ?? []);
    // Per method: 2 d x 3 n x 3 seeds single points, and 2 x 3 medians.
    expect(allRows.length).toBe(2 * (18 + 6));
    expect(scaleTypes(spec, 'concat_0_x')).toEqual(['log']);
    expect(scaleTypes(spec, 'concat_0_y')).toEqual(['log']);
    expect(axisTitles(spec)).toEqual(expect.arrayContaining(['n (training samples, log scale)', 'test MSE vs f0 (log scale)']));
    const series = new Set(allRows.map((r) => r.series as string));
    expect(series.size).toBe(4);
    for (const label of series) expect(label).toMatch(/^d=\d: rate -?\d/);
  });

  it('fits one rate per method and d from the seed medians, next to the theory exponents', () => {
    expect(slopes).toHaveLength(4);
    for (const slope of slopes) {
      // Independent fit: median of the three seeds at each n, closed-form least squares.
      const runs = fixture.runs.filter((r) => r.d === slope.d && `optim=${r.optim}` === slope.panel);
      const xs: number[] = [];
      const ys: number[] = [];
      for (const n of [32, 64, 128]) {
        const values = runs.filter((r) => r.n === n).map((r) => r.test_mse as number).sort((p, q) => p - q);
        xs.push(Math.log(n));
        ys.push(Math.log(values[1]));
      }
      const mx = xs.reduce((s, v) => s + v, 0) / 3;
      const my = ys.reduce((s, v) => s + v, 0) / 3;
      const slopeLs = xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
      expect(slope.rate).toBeCloseTo(-slopeLs, 12);
      expect(slope.rate_low!).toBeLessThanOrEqual(slope.rate + 1e-12);
      expect(slope.rate_high!).toBeGreaterThanOrEqual(slope.rate - 1e-12);
      expect(slope.theory_rate_upper_bound).toBeCloseTo(1 / (2 * slope.d + 4), 15);
      expect(slope.theory_rate_minimax).toBeCloseTo(slope.d === 1 ? 0.5 : 2 / (slope.d + 1), 15);
      expect(slope.resamples).toBe(2000);
      expect(slope.seeds_per_n).toEqual([3, 3, 3]);
    }
  });

  it('puts methods and loss conventions side by side, one panel each', () => {
    const both = writeFixtureDir({ losses: ['half_mse', 'mse'] }, 'two-losses');
    try {
      const planned = planFigures(readOutput(both.dir));
      const curse = planned.plans.find((p) => p.name === 'curse-of-dimensionality')!;
      const titles = (curse.spec as unknown as { hconcat: { title: string }[] }).hconcat.map((c) => c.title);
      expect(titles).toEqual([
        'loss=half_mse, optim=large_step', 'loss=half_mse, optim=weight_decay', 'loss=mse, optim=large_step', 'loss=mse, optim=weight_decay',
      ]);
      expect(planned.slopes).toHaveLength(8);
    } finally {
      rmSync(both.dir, { recursive: true, force: true });
    }
  });

  it('names methods by eta and weight decay when the spec has no zip group', () => {
    const plain = writeFixtureDir({ withoutZipGroup: true }, 'no-zip');
    try {
      const planned = planFigures(readOutput(plain.dir));
      const curse = planned.plans.find((p) => p.name === 'curse-of-dimensionality')!;
      const titles = (curse.spec as unknown as { hconcat: { title: string }[] }).hconcat.map((c) => c.title);
      expect(titles).toEqual(['eta=0.01, weight_decay=0.1', 'eta=0.9, weight_decay=0']);
    } finally {
      rmSync(plain.dir, { recursive: true, force: true });
    }
  });

  it('is left out, with a note, when the runs hold a single n', () => {
    const single = writeFixtureDir({ nValues: [64] }, 'single-n');
    try {
      const planned = planFigures(readOutput(single.dir));
      expect(planned.plans.map((p) => p.name)).not.toContain('curse-of-dimensionality');
      expect(planned.notes.join(' ')).toMatch(/No curse-of-dimensionality figure: it needs ok runs with a test MSE at two or more sample sizes/);
    } finally {
      rmSync(single.dir, { recursive: true, force: true });
    }
  });
});

describe('Theorem 3.2 figure', () => {
  it('puts every run at (bound, |f|_Vg) with the diagonal', () => {
    const spec = compiled('theorem-3-2');
    const points = dataWithField(spec, 'vg_norm');
    expect(points.length).toBe(fixture.runs.length);
    for (const p of points) expect(p.vg_norm as number).toBeLessThanOrEqual(p.thm32_bound as number);
    expect(marksEncoding(spec, 'symbol', 'thm32_bound', 'vg_norm')).toHaveLength(1);
    const diagonal = dataWithField(spec, 'x');
    expect(diagonal).toHaveLength(2);
    for (const end of diagonal) expect(end.x).toBe(end.y);
    expect(marksEncoding(spec, 'line', 'x', 'y')).toHaveLength(1);
    expect(plans.get('theorem-3-2')!.caption).toMatch(/36 of 36 runs lie on or below it/);
  });
});

describe('training-health figure', () => {
  it('counts task statuses per configuration and shows clipping and Lanczos convergence', () => {
    const spec = compiled('training-health');
    const status = dataWithField(spec, 'status');
    expect(status.reduce((sum, r) => sum + (r.tasks as number), 0)).toBe(fixture.runs.length);
    const clipped = dataWithField(spec, 'clipped_epochs');
    expect(clipped.map((r) => r.clipped_epochs).sort()).toEqual(fixture.runs.map((r) => r.clipped_epochs).sort());
    const lanczos = dataWithField(spec, 'lambda_max_iters');
    expect(lanczos.length).toBe(fixture.runs.length);
    const capped = fixture.runs.filter((r) => r.lambda_max_converged === false).length;
    expect(lanczos.filter((r) => r.converged === 'hit the iteration cap').length).toBe(capped);
    expect(marksEncoding(spec, 'symbol', 'lambda_max_iters', 'lambda_max_residual')).toHaveLength(1);
    expect(vegaMarks(spec).some((m) => m.type === 'rect')).toBe(true);
    expect(axisTitles(spec)).toEqual(expect.arrayContaining(['tasks', 'clipped epochs', 'Lanczos iterations']));
  });
});
