import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCli, tempDir, writeSpec } from '../helpers/cli.js';
import { readArrow } from '../helpers/tables.js';

/** A shipped spec cut down to seconds: same grid and settings, fewer points, epochs and seeds. */
function cutDown(file: string, fixed: Record<string, unknown>): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(join(repoRoot, 'experiments', file), 'utf8')) as Record<string, unknown>;
  return { ...spec, name: `${spec.name as string}-tiny`, fixed: { ...(spec.fixed as object), ...fixed }, seeds: 1 };
}

describe('shipped experiments, cut down', () => {
  it('the quick default experiment runs and its report renders every figure it supports', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'quick-tiny.json', cutDown('quick.json', { n: 24, epochs: 300, n_test: 200, lambda_max_every: 100, curve_every: 50 }));
    const out = join(dir, 'out');
    const run = runCli(['run', specPath, '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    expect(readArrow(out, 'runs').numRows).toBe(4);
    const report = runCli(['report', out, '--open']);
    expect(report.code, report.stderr).toBe(0);
    const index = report.stdout.trim();
    expect(index).toBe(join(out, 'report', 'index.html'));
    const html = readFileSync(index, 'utf8');
    for (const figure of ['shattering', 'edge-of-stability', 'theorem-3-2', 'training-health']) {
      for (const ext of ['svg', 'png']) expect(existsSync(join(out, 'report', `${figure}.${ext}`)), `${figure}.${ext}`).toBe(true);
      expect(html).toContain(`${figure}.png`);
      expect(readFileSync(join(out, 'report', `${figure}.svg`), 'utf8')).toMatch(/<text[^>]*>[^<]*(activation rate|lambda_max|bound|epoch|clipped)/);
    }
  }, 30_000);

  it('a tiny variant of the E1 reproduction spec runs under both loss conventions', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'e1-tiny.json', cutDown('e1-shattering-small.json', { n: 24, width: 48, epochs: 200, n_test: 200, lambda_max_every: 100 }));
    const out = join(dir, 'out');
    const run = runCli(['run', specPath, '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const runs = readArrow(out, 'runs');
    expect(runs.numRows).toBe(4);
    expect(new Set([...runs.getChild('loss')!.toArray()])).toEqual(new Set(['half_mse', 'mse']));
    expect([...runs.getChild('status')!.toArray()].every((s) => s === 'ok')).toBe(true);
  }, 30_000);
});
