/**
 * `shatter run` then `shatter report` on a tiny real sweep (2 methods x d 1, 2 x n 16, 32 x 2 seeds):
 * every figure drawn from exactly the rows of the files the run wrote, read here independently.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Table } from 'apache-arrow';
import type { ReportJson } from '../../src/report/index.js';
import { readArrow } from '../helpers/tables.js';
import { runCli, tempDir, writeSpec } from '../helpers/cli.js';

/** A column's non-null values, read straight from apache-arrow (not through the report's reader). */
const values = (table: Table, name: string): number[] => [...table.getChild(name)!].filter((v): v is number => typeof v === 'number');

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const SPEC = {
  name: 'tiny-report',
  fixed: { width: 16, epochs: 60, n_test: 50, curve_every: 20, lambda_max_every: 30 },
  grid: {
    d: [1, 2],
    n: [16, 32],
    optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }, { label: 'wd', eta: 0.05, weight_decay: 0.1 }],
  },
  seeds: 2,
};

describe('shatter report on a real run', () => {
  it('draws every figure from the rows the run wrote and prints the page with --open', () => {
    const dir = tempDir('shatter-report-e2e-');
    dirs.push(dir);
    const out = join(dir, 'out');
    const run = runCli(['run', writeSpec(dir, 'spec.json', SPEC), '--out', out, '--workers', '2', '--quiet']);
    expect(run.code, run.stderr).toBe(0);

    const report = runCli(['report', out, '--open']);
    expect(report.code, report.stderr).toBe(0);
    const indexHtml = join(out, 'report', 'index.html');
    expect(report.stdout.trim()).toBe(indexHtml);
    expect(report.stderr).toMatch(/5 figures in /);

    const json = JSON.parse(readFileSync(join(out, 'report', 'report.json'), 'utf8')) as ReportJson;
    expect(json.state).toBe('complete');
    expect(json.spec_name).toBe('tiny-report');
    expect(json.tasks_found).toBe(16);
    const html = readFileSync(indexHtml, 'utf8');
    for (const figure of json.figures) {
      expect(existsSync(join(out, 'report', figure.svg))).toBe(true);
      expect(existsSync(join(out, 'report', figure.png))).toBe(true);
      expect(html).toContain(`<img src="${figure.png}"`);
    }

    const spec = (name: string) => JSON.parse(readFileSync(join(out, 'report', `${name}.vl.json`), 'utf8'));
    const neurons = readArrow(out, 'neurons');
    const a = values(neurons, 'a');
    expect(spec('shattering').data.values).toHaveLength(a.filter((v) => v > 0).length);
    const curves = readArrow(out, 'curves');
    const loss = values(curves, 'train_loss');
    const lambdaMax = values(curves, 'lambda_max');
    const eos = spec('edge-of-stability').vconcat;
    expect(eos[0].data.values).toHaveLength(loss.filter((v) => v > 0 && Number.isFinite(v)).length);
    expect(eos[1].data.values).toHaveLength(lambdaMax.filter((v) => Number.isFinite(v)).length);
    const runs = readArrow(out, 'runs');
    const vg = values(runs, 'vg_norm');
    expect(spec('theorem-3-2').layer[1].data.values).toHaveLength(vg.filter((v) => Number.isFinite(v)).length);

    expect(json.slopes.map((s) => `${s.panel} d=${s.d}`)).toEqual(['optim=gd d=1', 'optim=gd d=2', 'optim=wd d=1', 'optim=wd d=2']);
    for (const slope of json.slopes) {
      expect(slope.n_values).toEqual([16, 32]);
      expect(slope.seeds_per_n).toEqual([2, 2]);
      expect(Number.isFinite(slope.rate)).toBe(true);
    }
  }, 60_000);

  it('refuses a missing directory with exit code 2 and names it', () => {
    const result = runCli(['report', '/nonexistent/shatter-report-dir']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/output directory \/nonexistent\/shatter-report-dir does not exist/);
    expect(result.stderr).not.toMatch(/internal error/);
  });
});
