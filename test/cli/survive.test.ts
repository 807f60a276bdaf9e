import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSpec, validateSpec } from '../../src/spec/index.js';
import { spawnSync } from 'node:child_process';
import { runCli, startCli, tempDir, writeSpec } from '../helpers/cli.js';
import { pythonWithArrow } from '../helpers/python.js';
import { exactRows, readArrow, TABLES } from '../helpers/tables.js';

/** Eight tasks of ~0.2-0.5 s each: long enough to interrupt, short enough for the suite. */
function sweepSpec(epochs = 400): Record<string, unknown> {
  return {
    name: 'survive',
    fixed: { n: 128, width: 512, epochs, n_test: 100, curve_every: 100, lambda_max_every: 200, loss: 'mse' },
    grid: { d: [2, 5], optim: [{ label: 'gd', eta: 0.9, weight_decay: 0 }, { label: 'wd', eta: 0.05, weight_decay: 0.1 }] },
    seeds: 2,
  };
}

function tablesOf(dir: string): unknown[][][] {
  return TABLES.map((table) => exactRows(readArrow(dir, table)));
}

function waitFor(predicate: () => boolean, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  return new Promise((resolve) => {
    const poll = () => {
      if (predicate()) resolve(true);
      else if (Date.now() - started > timeoutMs) resolve(false);
      else setTimeout(poll, 10);
    };
    poll();
  });
}

function exited(child: ReturnType<typeof startCli>): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
}

/** Bytes of the runs part files under DIR/parts/: grows with each committed task. */
function runsPartBytes(out: string): number {
  const parts = join(out, 'parts');
  if (!existsSync(parts)) return 0;
  return readdirSync(parts)
    .map((session) => join(parts, session, 'runs.arrows'))
    .filter((file) => existsSync(file))
    .reduce((sum, file) => sum + statSync(file).size, 0);
}

/** Entries under DIR/parts/: grows as tasks commit. */
function partFileCount(out: string): number {
  const parts = join(out, 'parts');
  if (!existsSync(parts)) return 0;
  return readdirSync(parts, { recursive: true }).length;
}

describe('results are the same whatever the schedule', () => {
  it('--workers 1, --workers 2, 2 and 3 shards merged, and interrupted then resumed give identical tables', async () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'spec.json', sweepSpec());
    const one = join(dir, 'one');
    expect(runCli(['run', specPath, '--out', one, '--workers', '1', '--quiet']).code).toBe(0);
    const reference = tablesOf(one);
    expect(reference[0]).toHaveLength(8);

    const two = join(dir, 'two');
    expect(runCli(['run', specPath, '--out', two, '--workers', '2', '--quiet']).code).toBe(0);
    expect(tablesOf(two)).toEqual(reference);

    for (const count of [2, 3]) {
      const shards = Array.from({ length: count }, (_, i) => join(dir, `shard-${count}-${i + 1}`));
      shards.forEach((shardDir, i) => {
        const result = runCli(['run', specPath, '--out', shardDir, '--shard', `${i + 1}/${count}`, '--workers', '1', '--quiet']);
        expect(result.code, result.stderr).toBe(0);
      });
      const merged = join(dir, `merged-${count}`);
      const merge = runCli(['merge', ...shards, '--out', merged]);
      expect(merge.code, merge.stderr).toBe(0);
      expect(tablesOf(merged)).toEqual(reference);
    }

    const interrupted = join(dir, 'interrupted');
    const child = startCli(['run', specPath, '--out', interrupted, '--workers', '2', '--quiet']);
    const done = exited(child);
    // Interrupt once the first task has committed (its runs row makes the part file grow).
    expect(await waitFor(() => runsPartBytes(interrupted) > 0, 10_000)).toBe(true);
    const firstBytes = runsPartBytes(interrupted);
    expect(await waitFor(() => runsPartBytes(interrupted) > firstBytes, 20_000)).toBe(true);
    child.kill('SIGINT');
    const { code } = await done;
    expect(code).toBe(130);
    const inspect = runCli(['inspect', interrupted]);
    expect(inspect.stdout).toMatch(/interrupted/);
    const resumed = runCli(['run', specPath, '--out', interrupted, '--resume', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(tablesOf(interrupted)).toEqual(reference);
  }, 90_000);
});

describe('signals', () => {
  it('SIGTERM stops cleanly with 143; a second SIGINT exits at once with 130; resume completes the sweep', async () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'spec.json', sweepSpec(1000));
    const out = join(dir, 'out');
    const term = startCli(['run', specPath, '--out', out, '--workers', '2', '--quiet']);
    const termDone = exited(term);
    await waitFor(() => partFileCount(out) > 0, 10_000);
    term.kill('SIGTERM');
    expect((await termDone).code).toBe(143);
    expect(runCli(['inspect', out]).stdout).toMatch(/: interrupted/);

    const twice = startCli(['run', specPath, '--out', out, '--resume', '--workers', '2', '--quiet']);
    const twiceDone = exited(twice);
    const sessionsBefore = readdirSync(join(out, 'parts')).length;
    await waitFor(() => readdirSync(join(out, 'parts')).length > sessionsBefore, 10_000);
    twice.kill('SIGINT');
    twice.kill('SIGINT');
    expect((await twiceDone).code).toBe(130);

    const resumed = runCli(['run', specPath, '--out', out, '--resume', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const ids = [...(readArrow(out, 'runs').getChild('task_id')!.toArray() as string[])];
    expect(new Set(ids).size).toBe(8);
  }, 60_000);
});

describe('one writer per directory', () => {
  it('a second run into a directory in use is refused with exit 2 and changes nothing', async () => {
    const dir = tempDir();
    // Dense tasks (weight decay keeps every neuron active) of about 2 s each on one worker, so
    // that the first run is still going when the second one starts.
    const specPath = writeSpec(dir, 'busy.json', {
      name: 'busy',
      fixed: { d: 5, n: 256, width: 1024, epochs: 3000, n_test: 100, eta: 0.01, weight_decay: 0.1 },
      seeds: 4,
    });
    const out = join(dir, 'out');
    const first = startCli(['run', specPath, '--out', out, '--workers', '1', '--quiet']);
    let firstStderr = '';
    first.stderr!.on('data', (chunk: Buffer) => (firstStderr += chunk.toString()));
    const firstDone = exited(first);
    expect(await waitFor(() => runsPartBytes(out) > 0, 10_000)).toBe(true);
    const second = runCli(['run', specPath, '--out', out, '--resume', '--quiet']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/in use by process \d+/);
    const done = await firstDone;
    expect(done.code, `first run: ${JSON.stringify(done)} ${firstStderr}`).toBe(0);
    expect(readArrow(out, 'runs').numRows).toBe(4);
  }, 60_000);
});

describe('kill -9 at any moment loses at most the tasks in flight', () => {
  /**
   * Starts `run --resume` once per moment and kill -9s its process group when the moment comes,
   * then resumes to the end: every task must be there exactly once, with the reference results,
   * and the tables must open in pyarrow.
   */
  async function crashAndResume(moments: { until: (out: string) => boolean; extraMs: number }[]): Promise<void> {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'spec.json', sweepSpec(1000));
    const reference = join(dir, 'reference');
    expect(runCli(['run', specPath, '--out', reference, '--quiet']).code).toBe(0);
    const expected = tablesOf(reference);
    const out = join(dir, 'crashed');
    for (const moment of moments) {
      const child = startCli(['run', specPath, '--out', out, '--resume', '--workers', '2', '--quiet']);
      const done = exited(child);
      await waitFor(() => moment.until(out), 20_000);
      await new Promise((resolve) => setTimeout(resolve, moment.extraMs));
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already finished
      }
      await done;
    }
    const final = runCli(['run', specPath, '--out', out, '--resume', '--quiet']);
    expect(final.code, final.stderr).toBe(0);
    const runs = readArrow(out, 'runs');
    const ids = [...(runs.getChild('task_id')!.toArray() as string[])];
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(8);
    expect(tablesOf(out)).toEqual(expected);
    const python = pythonWithArrow();
    if (python) {
      const check = spawnSync(python, ['-c', 'import sys, pyarrow.feather as f; print(*[f.read_table(f"{sys.argv[1]}/{t}.arrow").num_rows for t in ("runs", "curves", "neurons")])', out], { encoding: 'utf8' });
      expect(check.stdout.trim(), check.stderr).toBe(`8 ${readArrow(out, 'curves').numRows} ${8 * 512}`);
    }
  }

  it('killed just after start and in the middle of the run (mid-write), then resumed', async () => {
    await crashAndResume([
      { until: (out) => existsSync(join(out, 'manifest.json')), extraMs: 30 },
      { until: (out) => partFileCount(out) > 0, extraMs: 120 },
    ]);
  }, 90_000);

  it('killed as the last tasks commit and the tables are finalised, then resumed', async () => {
    await crashAndResume([{ until: (out) => existsSync(join(out, 'runs.arrow')) || existsSync(join(out, 'runs.arrow.tmp')), extraMs: 0 }]);
  }, 90_000);
});

describe('faults are isolated', () => {
  it('records diverged, failed (throw), failed (worker exit) and timeout tasks; the others are ok; exit 1', () => {
    const dir = tempDir();
    const spec = {
      name: 'faults',
      fixed: { d: 2, n: 16, width: 16, epochs: 200, n_test: 50, clip: null },
      grid: { eta: [0.1, 0.2, 0.3, 0.4, 0.5, 1000] },
    };
    const specPath = writeSpec(dir, 'faults.json', spec);
    const tasks = expandSpec(validateSpec(spec));
    const byEta = (eta: number) => tasks.find((task) => task.config.eta === eta)!.id;
    const faults = { [byEta(0.2)]: 'throw', [byEta(0.3)]: 'exit', [byEta(0.4)]: 'hang' };
    const out = join(dir, 'out');
    const result = runCli(['run', specPath, '--out', out, '--workers', '2', '--task-timeout', '3', '--quiet'], {
      env: { NEURAL_SHATTER_TEST_FAULTS: JSON.stringify(faults) },
    });
    expect(result.code, result.stderr).toBe(1);
    const runs = readArrow(out, 'runs');
    const status = new Map<number, string>();
    const errors = new Map<number, string>();
    for (let i = 0; i < runs.numRows; i++) {
      status.set(runs.getChild('eta')!.get(i) as number, runs.getChild('status')!.get(i) as string);
      errors.set(runs.getChild('eta')!.get(i) as number, (runs.getChild('error')!.get(i) as string | null) ?? '');
    }
    expect(Object.fromEntries(status)).toEqual({ 0.1: 'ok', 0.2: 'failed', 0.3: 'failed', 0.4: 'timeout', 0.5: 'ok', 1000: 'diverged' });
    expect(errors.get(0.2)).toMatch(/injected fault/);
    expect(errors.get(0.4)).toMatch(/task-timeout of 3 s/);
    const diverged = runs.getChild('diverged_epoch')!.get([...status.keys()].indexOf(1000));
    expect(diverged).toBeGreaterThan(0);

    // --retry-failed re-runs the failed and timed-out tasks (no faults now) and replaces their rows.
    const retried = runCli(['run', specPath, '--out', out, '--resume', '--retry-failed', '--quiet']);
    expect(retried.code, retried.stderr).toBe(0);
    const after = readArrow(out, 'runs');
    expect(after.numRows).toBe(6);
    expect([...after.getChild('status')!.toArray()].sort()).toEqual(['diverged', 'ok', 'ok', 'ok', 'ok', 'ok']);
  }, 60_000);

  it('--retries re-runs a task whose worker thread died, within the run', () => {
    const dir = tempDir();
    const spec = { name: 'retry', fixed: { d: 2, n: 16, width: 16, epochs: 20, n_test: 20, eta: 0.1 } };
    const specPath = writeSpec(dir, 'retry.json', spec);
    const [task] = expandSpec(validateSpec(spec));
    const out = join(dir, 'out');
    const result = runCli(['run', specPath, '--out', out, '--retries', '2', '--quiet'], {
      env: { NEURAL_SHATTER_TEST_FAULTS: JSON.stringify({ [task.id]: 'throw' }) },
    });
    // An injected fault fires on every attempt: the task ends failed after 2 retries.
    expect(result.code).toBe(1);
    expect(readArrow(out, 'runs').getChild('error')!.get(0)).toMatch(/after 2 retries/);
  });
});

/** Every file under DIR with its bytes, to show that a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, entry);
    if (statSync(path).isFile()) files[entry] = readFileSync(path).toString('base64');
  }
  return files;
}

/** Rewrites DIR/manifest.json as if another version of the tool had made it. */
function madeByOtherVersion(dir: string): void {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, tool_version: '0.0.1-other', git_commit: null }));
}

describe('resuming across versions of the tool', () => {
  it('--resume refuses to add tasks to a directory whose finished tasks another version made (exit 2, nothing changed); --allow-mixed-versions goes on and records both, and merge then counts the shard as mixed', () => {
    const dir = tempDir();
    const spec = { ...sweepSpec(), fixed: { ...(sweepSpec().fixed as object), epochs: 20 } };
    const specPath = writeSpec(dir, 'spec.json', spec);
    const shard = (i: number) => join(dir, `s${i}`);
    // Shard 1 with every task failing (injected), so that --retry-failed has tasks to run.
    const faults = Object.fromEntries(expandSpec(validateSpec(spec)).map((task) => [task.id, 'throw']));
    expect(runCli(['run', specPath, '--out', shard(1), '--shard', '1/2', '--quiet'], { env: { NEURAL_SHATTER_TEST_FAULTS: JSON.stringify(faults) } }).code).toBe(1);
    expect(runCli(['run', specPath, '--out', shard(2), '--shard', '2/2', '--quiet']).code).toBe(0);
    madeByOtherVersion(shard(1));

    // Nothing to run: nothing is mixed, and the manifest keeps the version that made the results.
    const nothing = runCli(['run', specPath, '--out', shard(1), '--shard', '1/2', '--resume', '--quiet']);
    expect(nothing.code, nothing.stderr).toBe(1); // its failed tasks are still failed
    const kept = JSON.parse(readFileSync(join(shard(1), 'manifest.json'), 'utf8'));
    expect([kept.tool_version, kept.mixed_versions]).toEqual(['0.0.1-other', undefined]);
    const before = snapshot(shard(1));
    const refused = runCli(['run', specPath, '--out', shard(1), '--shard', '1/2', '--resume', '--retry-failed', '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/finished tasks were made by neural-shatter 0\.0\.1-other, this is \S+;.*--allow-mixed-versions/);
    expect(snapshot(shard(1))).toEqual(before);

    const allowed = runCli(['run', specPath, '--out', shard(1), '--shard', '1/2', '--resume', '--retry-failed', '--allow-mixed-versions', '--quiet']);
    expect(allowed.code, allowed.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(shard(1), 'manifest.json'), 'utf8'));
    expect(manifest.mixed_versions).toHaveLength(2);
    expect(manifest.mixed_versions).toContain('0.0.1-other');
    expect(runCli(['inspect', shard(1)]).stdout).toMatch(/holds results of several versions of the tool: .*0\.0\.1-other/);

    // The mixed shard keeps its record: merge sees two versions although both manifests now name this one.
    const mixed = runCli(['merge', shard(1), shard(2), '--out', join(dir, 'm')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/made by different versions of the tool: .*0\.0\.1-other.*--allow-mixed-versions/);
    expect(existsSync(join(dir, 'm'))).toBe(false);
    const merged = runCli(['merge', shard(1), shard(2), '--out', join(dir, 'm'), '--allow-mixed-versions']);
    expect(merged.code, merged.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'm', 'manifest.json'), 'utf8')).mixed_versions).toContain('0.0.1-other');

    // A directory of another version without any finished task is resumed (nothing would be mixed).
    const fresh = join(dir, 'fresh');
    mkdirSync(fresh);
    copyFileSync(join(shard(2), 'manifest.json'), join(fresh, 'manifest.json'));
    madeByOtherVersion(fresh);
    const resumed = runCli(['run', specPath, '--out', fresh, '--shard', '2/2', '--resume', '--quiet']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(fresh, 'manifest.json'), 'utf8')).mixed_versions).toBeUndefined();
    expect(tablesOf(fresh)).toEqual(tablesOf(shard(2)));
  }, 60_000);
});

describe('merge refuses what it cannot combine', () => {
  it('a missing shard, a duplicated shard and shards of two specs, each with exit 2 naming the problem', () => {
    const dir = tempDir();
    const specPath = writeSpec(dir, 'spec.json', { ...sweepSpec(), fixed: { ...(sweepSpec().fixed as object), epochs: 20 } });
    const shard = (i: number) => join(dir, `s${i}`);
    for (const i of [1, 2, 3]) expect(runCli(['run', specPath, '--out', shard(i), '--shard', `${i}/3`, '--quiet']).code).toBe(0);
    const missing = runCli(['merge', shard(1), shard(2), '--out', join(dir, 'm1')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/tasks are missing from the inputs/);
    const duplicated = runCli(['merge', shard(1), shard(2), shard(3), shard(3), '--out', join(dir, 'm2')]);
    expect(duplicated.code).toBe(2);
    expect(duplicated.stderr).toMatch(/are in more than one input/);
    const otherSpec = writeSpec(dir, 'other.json', { ...sweepSpec(), name: 'other', fixed: { ...(sweepSpec().fixed as object), epochs: 21 } });
    expect(runCli(['run', otherSpec, '--out', join(dir, 'o1'), '--shard', '1/3', '--quiet']).code).toBe(0);
    const mixed = runCli(['merge', shard(2), shard(3), join(dir, 'o1'), '--out', join(dir, 'm3')]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/inputs hold different specs/);
    for (const m of ['m1', 'm2', 'm3']) expect(existsSync(join(dir, m))).toBe(false);

    // A shard made by another version of the tool: refused unless --allow-mixed-versions.
    const manifestPath = join(shard(3), 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, tool_version: '0.0.1-other' }));
    const mixedVersions = runCli(['merge', shard(1), shard(2), shard(3), '--out', join(dir, 'm4')]);
    expect(mixedVersions.code).toBe(2);
    expect(mixedVersions.stderr).toMatch(/made by different versions of the tool: .*0\.0\.1-other.*--allow-mixed-versions/);
    expect(existsSync(join(dir, 'm4'))).toBe(false);
    const allowed = runCli(['merge', shard(1), shard(2), shard(3), '--out', join(dir, 'm4'), '--allow-mixed-versions']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(readArrow(join(dir, 'm4'), 'runs').numRows).toBe(8);
  }, 60_000);
});
