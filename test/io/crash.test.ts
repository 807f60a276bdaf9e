/**
 * Real crashes: a child process commits tasks (or finalises) and is killed with SIGKILL at several
 * moments; whatever it reported committed must survive, nothing may appear twice, and resume plus
 * finalisation must give exactly the tables of the committed tasks, readable by pyarrow and polars.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { finalizeOutput, readTable, scanCommitted } from '../../src/io/index.js';
import { StreamFileReader, frameBytes } from '../../src/io/frames.js';
import { NO_PYTHON_MESSAGE, REPO_ROOT, pythonWithArrow, runPythonJson } from '../helpers/python.js';
import { OPTIONS, type TaskShape, taskId } from './fixtures.js';
import { type Committed, expectedTables, tableColumns } from './expected.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'crash-child.ts');
const READ_TABLES = join(here, 'read_tables.py');
/** Data rows of ~100 kB a task, so that writes are not trivially small. */
const SHAPE: TaskShape = { d: 8, width: 16, curveRows: 20, nTrain: 64, nTest: 1000 };

/**
 * When to kill: after the child reported n results, n ms after it started, at the n-th "mid-write"
 * (part of a frame written, the rest not yet: needs slow writes) or "renamed" line, or never.
 */
type KillAt = { afterLines: number } | { afterMs: number } | { on: 'mid-write' | 'renamed'; count: number } | 'never';

interface ChildRun { lines: string[]; killed: boolean }

function runChild(args: string[], killAt: KillAt): Promise<ChildRun> {
  const slowWrites = typeof killAt === 'object' && 'on' in killAt && killAt.on === 'mid-write';
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CRASH_SLOW_WRITES: slowWrites ? '1' : '0', CRASH_TASK_PAUSE_MS: typeof killAt === 'object' && 'afterMs' in killAt ? '10' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    let events = 0;
    let killed = false;
    let buffered = '';
    let stderr = '';
    const kill = (): void => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line === 'ready') {
          if (typeof killAt === 'object' && 'afterMs' in killAt) setTimeout(kill, killAt.afterMs);
          continue;
        }
        if (line === 'mid-write' || line === 'renamed') {
          if (typeof killAt === 'object' && 'on' in killAt && killAt.on === line && ++events === killAt.count) kill();
          continue;
        }
        lines.push(line);
        if (typeof killAt === 'object' && 'afterLines' in killAt && lines.length >= killAt.afterLines) kill();
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve({ lines, killed });
      else if (!killed && code === 0) resolve({ lines, killed });
      else reject(new Error(`crash child exited with ${code ?? signal} (killed: ${killed}):\n${stderr}`));
    });
  });
}

/** Part files whose last frame was cut by the kill (bytes after the last whole frame, no end marker). */
function tornTails(dir: string): string[] {
  const torn: string[] = [];
  for (const session of readdirSync(join(dir, 'parts'))) {
    for (const file of readdirSync(join(dir, 'parts', session))) {
      const reader = new StreamFileReader(join(dir, 'parts', session, file));
      let end = reader.schemaFrame === null ? 0 : reader.schemaFrame.byteLength;
      for (const frame of reader.frames()) end = frame.offset + frameBytes(frame);
      const rest = reader.fileBytes - end;
      if (rest !== 0 && rest !== 8) torn.push(`${session}/${file}`);
      reader.close();
    }
  }
  return torn;
}

const python = pythonWithArrow();
if (python === null) console.warn(`test/io/crash.test.ts: the pyarrow check ${NO_PYTHON_MESSAGE}`);

describe('kill -9 while committing and while finalising', () => {
  const dir = mkdtempSync(join(tmpdir(), 'io-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const all = Array.from({ length: 60 }, (_, i) => i);
  const shapeArg = JSON.stringify(SHAPE);

  it('loses nothing committed, duplicates nothing, and resume + finalise repairs everything', async () => {
    const reported = new Set<number>();
    const kills: KillAt[] = [
      { afterLines: 1 },
      { on: 'mid-write', count: 3 },
      { afterMs: 25 },
      { on: 'mid-write', count: 11 },
      { afterLines: 3 },
      { on: 'mid-write', count: 8 },
      { afterMs: 50 },
    ];
    let landed = 0;
    for (const [round, killAt] of kills.entries()) {
      // Each round starts a new session on its own 8 tasks; whatever it does not commit waits for the resume.
      const chunk = all.slice(round * 8, round * 8 + 8);
      const run = await runChild(['commit', dir, shapeArg, chunk.join(',')], killAt);
      if (run.killed && run.lines.at(-1) !== 'done') landed++;
      for (const line of run.lines) if (line !== 'done') reported.add(Number(line));
      const committed = scanCommitted(dir);
      // Every task the child reported is committed; at most the one in flight is committed unreported.
      for (const index of reported) expect(committed.has(taskId(index)), `task ${index} was reported committed`).toBe(true);
      const unreported = all.filter((i) => committed.has(taskId(i)) && !reported.has(i));
      expect(unreported.length, `unreported commits ${unreported.join(',')}`).toBeLessThanOrEqual(1);
      expect([...committed.keys()].every((id) => all.some((i) => taskId(i) === id))).toBe(true);
      for (const index of unreported) reported.add(index);
    }
    // The kills on a line always land mid-sweep; the timed ones almost always do.
    expect(landed).toBeGreaterThanOrEqual(5);
    const torn = tornTails(dir);
    console.log(`crash test: ${landed} of ${kills.length} kills landed while committing, part files left with a cut-off frame: ${torn.join(', ')}; ${reported.size} of ${all.length} tasks committed before the resume`);
    expect(torn.length).toBeGreaterThanOrEqual(3);

    // Resume like --retry-failed: the missing tasks, and the failed / timed-out ones again (variant 1 comes out ok).
    const before = scanCommitted(dir);
    const retry = all.filter((i) => !before.has(taskId(i)) || ['failed', 'timeout'].includes(before.get(taskId(i))!.status));
    const resumed = await runChild(['commit', dir, shapeArg, retry.map((i) => `${i}:1`).join(',')], 'never');
    expect(resumed.lines.at(-1)).toBe('done');
    const final: Committed[] = all.map((index) => ({ index, variant: retry.includes(index) ? 1 : 0 }));

    // Kill finalisation at several moments; whatever final table exists at any moment must be whole.
    const finalizeKills: KillAt[] = [
      { on: 'mid-write', count: 2 },
      { on: 'renamed', count: 1 },
      { on: 'renamed', count: 2 },
      { afterMs: 5 },
      { afterMs: 60 },
      { afterLines: 1 },
    ];
    for (const killAt of finalizeKills) {
      await runChild(['finalize', dir], killAt);
      for (const table of ['runs', 'curves', 'neurons', 'data']) {
        const path = join(dir, `${table}.arrow`);
        if (existsSync(path)) expect(() => readTable(path), `${table}.arrow after a kill`).not.toThrow();
      }
    }
    const { tasks } = finalizeOutput(dir, OPTIONS);
    expect(tasks).toBe(all.length);
    expect(readdirSync(dir).filter((name) => name.endsWith('.partial'))).toEqual([]);

    const expected = expectedTables(final, SHAPE);
    for (const table of ['runs', 'curves', 'neurons', 'data'] as const) {
      expect(tableColumns(readTable(join(dir, `${table}.arrow`))), table).toEqual(expected[table]);
    }
    if (python !== null) {
      const seen = runPythonJson(python, READ_TABLES, ['--summary', dir, 'runs', 'curves', 'neurons', 'data']) as Record<string, { pyarrow_rows: number; polars_rows: number; rows_per_task: Record<string, number> }>;
      expect(seen.runs.pyarrow_rows).toBe(all.length);
      expect(Object.values(seen.runs.rows_per_task).every((count) => count === 1)).toBe(true);
      expect(Object.keys(seen.runs.rows_per_task).sort()).toEqual(all.map(taskId).sort());
      expect(seen.data.polars_rows).toBe(all.length * (SHAPE.nTrain + SHAPE.nTest));
      expect(seen.curves.pyarrow_rows).toBe(expected.curves.task_id.length);
    }
  }, 180_000);
});
