import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, tinySpec, writeSpec } from '../helpers/cli.js';
import { exactRows, readArrow, TABLES } from '../helpers/tables.js';

describe('shatter run end to end', () => {
  it('writes the three tables and the manifest, then refuses to redo or overwrite', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'tiny.json', tinySpec());
    const out = join(dir, 'out');
    const first = runCli(['run', specPath, '--out', out, '--workers', '2', '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ status: 'complete', task_count: 4, shard: null, spec_name: 'tiny' });
    expect(manifest.spec_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.versions.node).toBe(process.version);
    const runs = readArrow(out, 'runs');
    expect(runs.numRows).toBe(4);
    const ids = runs.getChild('task_id')!.toArray() as string[];
    expect([...ids]).toEqual([...ids].sort());
    // Rows at every curve_every epoch (0, 20, 40, 60) and at each lambda_max measurement (30).
    expect(readArrow(out, 'curves').numRows).toBe(4 * 5);
    expect(readArrow(out, 'neurons').numRows).toBe(4 * 16);
    expect([...runs.getChild('status')!.toArray()]).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(new Set([...runs.getChild('optim')!.toArray()])).toEqual(new Set(['gd', 'wd']));

    const tables = TABLES.map((table) => exactRows(readArrow(out, table)));
    const mtimes = readdirSync(out).map((f) => statSync(join(out, f)).mtimeMs);

    const again = runCli(['run', specPath, '--out', out, '--quiet']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds this sweep \(status complete\); pass --resume/);

    const other = writeSpec(dir, 'other.json', tinySpec({ name: 'other', seeds: 3 }));
    const refused = runCli(['run', other, '--out', out, '--resume', '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/holds another spec \("tiny"/);
    expect(readdirSync(out).map((f) => statSync(join(out, f)).mtimeMs)).toEqual(mtimes);

    const resumed = runCli(['run', specPath, '--out', out, '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/0 of 4 tasks to run \(4 already done\)/);
    expect(TABLES.map((table) => exactRows(readArrow(out, table)))).toEqual(tables);
  });

  it('--dry-run prints the plan and writes nothing', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'tiny.json', tinySpec());
    const out = join(dir, 'out');
    const result = runCli(['run', specPath, '--out', out, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/spec "tiny": 4 tasks/);
    expect(result.stdout).toMatch(/zip group optim: gd \| wd/);
    expect(result.stdout).toMatch(/estimated cost: .* multiply-adds/);
    expect(existsSync(out)).toBe(false);
  });

  it('inspect reports done, failed and missing, and what a resume would run', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'tiny.json', tinySpec());
    const out = join(dir, 'out');
    expect(runCli(['run', specPath, '--out', out, '--shard', '1/2', '--quiet']).code).toBe(0);
    const inspected = runCli(['inspect', out]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/complete, shard 1\/2/);
    expect(inspected.stdout).toMatch(/tasks: 2; done 2 \(ok 2, diverged 0\); failed 0; timeout 0; missing 0/);
    expect(runCli(['inspect', join(dir, 'nothing')]).code).toBe(2);
  });
});
