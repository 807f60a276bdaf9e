/**
 * Memory stays flat in the number of tasks: 10,000 tiny tasks through SweepWriter and
 * finalizeOutput in a child process with a 64 MB old-space cap (a run that held rows per task
 * would not fit), reporting the heap after a full GC every 1000 commits and the peak RSS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/io/index.js';
import { REPO_ROOT } from '../helpers/python.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'memory-child.ts');
const TASKS = 10_000;

describe('memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'io-memory-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`stays flat through ${TASKS} tiny tasks and their finalisation`, () => {
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=64', '--import', 'tsx', CHILD, dir, String(TASKS)],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    const report = JSON.parse(out.trim().split('\n').at(-1)!) as {
      heapAtCommits: Record<string, number>; heapAfterFinalize: number; peakRssAfterCommitsMB: number;
      peakRssAfterFinalizeMB: number; committed: number; finalized: number; finalizeMs: number;
    };
    const heap = report.heapAtCommits;
    console.log(
      `memory: heap after GC ${heap[0].toFixed(1)} MB at start, ${heap[1000].toFixed(1)} MB after 1000 commits, ` +
        `${heap[TASKS].toFixed(1)} MB after ${TASKS}, ${report.heapAfterFinalize.toFixed(1)} MB after finalising; ` +
        `peak RSS ${report.peakRssAfterCommitsMB.toFixed(0)} MB after commits, ${report.peakRssAfterFinalizeMB.toFixed(0)} MB ` +
        `after finalising (${report.finalizeMs.toFixed(0)} ms)`,
    );
    expect(report.committed).toBe(TASKS);
    expect(report.finalized).toBe(TASKS);
    // Flat: 9000 more commits add less than 1 MB of live heap (measured: ~0.2 MB).
    expect(heap[TASKS] - heap[1000]).toBeLessThan(1);
    expect(report.peakRssAfterFinalizeMB).toBeLessThan(200);
    expect(readTable(join(dir, 'runs.arrow')).numRows).toBe(TASKS);
  }, 120_000);
});
