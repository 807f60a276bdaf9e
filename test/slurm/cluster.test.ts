/**
 * `shatter slurm` on a real Slurm: a single-node cluster started by scripts/test-slurm.sh (npm run
 * test:slurm), which passes SLURM_CONF. A 12-task spec is cut into 4 shards and submitted as a
 * 4-element array plus an afterany merge job; element 1 is cancelled mid-run with scancel, so the
 * first merge must refuse and name it; `shatter slurm DIR --resubmit` then completes the sweep.
 * The merged tables must equal a single-machine `shatter run` of the same spec bit for bit, every
 * task exactly once. Slurm's own records (squeue, scontrol) and the environment it gave each
 * element (SLURM_JOB_ID in the logs) prove the cluster ran the jobs, not something else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { directoryState } from '../../src/sweep/inspect.js';
import { runCli, tempDir, writeSpec } from '../helpers/cli.js';
import { exactRows, readArrow, TABLES } from '../helpers/tables.js';

/** 12 tasks of about a second each: 3 per shard, so an element is still running when cancelled. */
const SPEC = {
  name: 'slurm-e2e',
  description: 'npm run test:slurm: a small sweep for the single-node cluster',
  fixed: { d: 3, n: 128, width: 256, epochs: 6000, n_test: 200, curve_every: 100, lambda_max_every: 1000, loss: 'mse' },
  grid: { optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }, { label: 'wd', eta: 0.05, weight_decay: 0.1 }] },
  seeds: 6,
  save: { params: true },
};
const TASKS = 12;

/**
 * The jobs inherit the submitting environment (sbatch --export=ALL). Without a git directory the
 * manifests record no commit: in a checkout shared with other engineers HEAD may move between two
 * shards' runs, and merge would then refuse them as made by different versions of the tool.
 */
const FIXED_VERSION_ENV = { GIT_DIR: '/nonexistent/shatter-test-slurm' };

function slurmTool(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.error?.message ?? result.stderr}`);
  return result.stdout;
}

/** scontrol's record of a job (every element, for an array job), as key/value maps. */
function jobRecords(jobId: string): Record<string, string>[] {
  return slurmTool('scontrol', ['show', 'job', '--oneliner', jobId])
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Object.fromEntries(line.trim().split(/\s+/).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)])));
}

const ACTIVE = 'PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED,REQUEUED';

/** squeue lines "id state" of the job's pending or running parts. */
function activeParts(jobId: string): string[] {
  return slurmTool('squeue', ['--noheader', `--jobs=${jobId}`, `--states=${ACTIVE}`, '--format=%i %T']).split('\n').filter((line) => line.trim() !== '');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until the jobs have left the queue; returns every "id state" line squeue showed meanwhile
 * and the most parts it showed running at once.
 */
async function waitForJobs(jobIds: string[], timeoutMs: number): Promise<Set<string> & { mostRunning?: number }> {
  const seen: Set<string> & { mostRunning?: number } = new Set<string>();
  seen.mostRunning = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = jobIds.flatMap(activeParts);
    for (const line of lines) seen.add(line);
    seen.mostRunning = Math.max(seen.mostRunning, lines.filter((line) => line.endsWith(' RUNNING')).length);
    if (lines.length === 0) return seen;
    if (Date.now() > deadline) throw new Error(`jobs ${jobIds.join(', ')} still queued after ${timeoutMs} ms: ${lines.join('; ')}`);
    await sleep(250);
  }
}

/** Parses `shatter slurm --submit`/`--resubmit` stdout: "array job N (...)", "merge job M (...)". */
function submittedJobs(stdout: string): { array: string | null; merge: string } {
  const array = /^array job (\d+)/m.exec(stdout);
  const merge = /^merge job (\d+)/m.exec(stdout);
  if (!merge) throw new Error(`no merge job id in: ${stdout}`);
  return { array: array ? array[1] : null, merge: merge[1] };
}

function committedCounts(dir: string): { done: number; missing: number } | null {
  try {
    const state = directoryState(dir);
    return { done: state.counts.ok + state.counts.diverged, missing: state.counts.missing };
  } catch {
    return null;
  }
}

describe('shatter slurm on a single-node Slurm cluster', () => {
  let root: string;
  let specPath: string;
  let reference: string;
  beforeAll(() => {
    if (!process.env.SLURM_CONF) throw new Error('SLURM_CONF is not set: run this through `npm run test:slurm`, which starts the cluster');
    const node = slurmTool('sinfo', ['--noheader', '--format=%t']).trim();
    if (node !== 'idle') throw new Error(`the test cluster's node is ${JSON.stringify(node)}, not idle`);
    root = join(tempDir('shatter-slurm-e2e-'), 'sweeps with spaces');
    mkdirSync(root, { recursive: true });
    specPath = writeSpec(root, 'my spec.json', SPEC);
    reference = join(root, 'single machine');
    const result = runCli(['run', specPath, '--out', reference, '--workers', '2', '--quiet'], { timeoutMs: 90_000 });
    expect(result.code, result.stderr).toBe(0);
  }, 100_000);

  it('runs the array and the merge, survives a cancelled element through --resubmit, and matches the single-machine run bit for bit', async () => {
    const dir = join(root, "cluster run (it's here)");
    const submitted = runCli(['slurm', specPath, '--out', dir, '--shards', '4', '--cpus-per-task', '1', '--time', '10', '--submit'], { env: FIXED_VERSION_ENV });
    expect(submitted.code, submitted.stderr).toBe(0);
    const first = submittedJobs(submitted.stdout);
    expect(first.array).not.toBeNull();
    const arrayJob = first.array!;
    expect(jobRecords(first.merge)[0].Dependency).toBe(`afterany:${arrayJob}_*(unfulfilled)`);

    // Cancel element 1 once its shard has committed a task but not all of them.
    const shard1 = join(dir, 'shards', '1');
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    let atCancel: { done: number; missing: number } | null = null;
    while (Date.now() < deadline) {
      for (const line of activeParts(arrayJob)) seen.add(line);
      const counts = committedCounts(shard1);
      if (counts && counts.done >= 1 && counts.missing >= 1) {
        slurmTool('scancel', [`${arrayJob}_1`]);
        atCancel = counts;
        break;
      }
      await sleep(100);
    }
    expect(atCancel, 'shard 1 never reached 1 committed and 1 missing task').not.toBeNull();
    for (const line of await waitForJobs([arrayJob, first.merge], 90_000)) seen.add(line);
    expect([...seen].some((line) => /^\d+_\d+ RUNNING$/.test(line)), `squeue never showed an element running: ${[...seen].join('; ')}`).toBe(true);

    // Slurm's records: element 1 cancelled, the others completed, the first merge failed.
    const elements = jobRecords(arrayJob);
    const stateOf = new Map(elements.map((record) => [record.ArrayTaskId, record]));
    expect([...stateOf.keys()].sort()).toEqual(['1', '2', '3', '4']);
    expect(stateOf.get('1')!.JobState).toBe('CANCELLED');
    for (const element of ['2', '3', '4']) expect(stateOf.get(element)!.JobState, `element ${element}`).toBe('COMPLETED');
    const firstMerge = jobRecords(first.merge)[0];
    expect(firstMerge.JobState).toBe('FAILED');
    expect(firstMerge.ExitCode).toBe('1:0');
    const stillMissing = committedCounts(shard1)!;
    expect(stillMissing.missing, 'the cancel came too late: shard 1 finished anyway').toBeGreaterThan(0);

    // Each element's log carries the job id Slurm gave it: the cluster ran it, with its environment.
    const logs = join(dir, 'slurm', 'logs');
    for (const record of elements) {
      const log = readFileSync(join(logs, `array-${arrayJob}_${record.ArrayTaskId}.out`), 'utf8');
      expect(log).toContain(`element ${record.ArrayTaskId} of 4, job ${record.JobId} (array ${arrayJob}) on `);
    }
    const mergeLog = readFileSync(join(logs, `merge-${first.merge}.out`), 'utf8');
    expect(mergeLog).toContain('1 of 4 shards are not finished, so nothing was merged');
    expect(mergeLog).toContain(`shard 1 (array element 1, ${shard1})`);
    expect(mergeLog).toContain('--resubmit');
    expect(existsSync(join(dir, 'manifest.json'))).toBe(false);

    // Re-submission: only element 1 again, then a new merge, which now completes.
    const again = runCli(['slurm', dir, '--resubmit'], { env: FIXED_VERSION_ENV });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`re-running shard 1 (array element 1, ${shard1})`);
    const second = submittedJobs(again.stdout);
    expect(again.stdout).toContain(`array job ${second.array} (elements 1)`);
    await waitForJobs([second.array!, second.merge], 90_000);
    expect(jobRecords(second.array!).map((record) => [record.ArrayTaskId, record.JobState])).toEqual([['1', 'COMPLETED']]);
    expect(jobRecords(second.merge)[0].JobState).toBe('COMPLETED');
    const resumedLog = readFileSync(join(logs, `array-${second.array}_1.out`), 'utf8');
    expect(resumedLog).toContain(`element 1 of 4, job ${jobRecords(second.array!)[0].JobId} (array ${second.array})`);
    // Shard 1 was resumed, not restarted: its first session kept the tasks committed before the cancel.
    const shard1Manifest = JSON.parse(readFileSync(join(shard1, 'manifest.json'), 'utf8')) as { sessions: { tasks_run: number }[] };
    expect(shard1Manifest.sessions.length).toBeGreaterThanOrEqual(2);
    expect(shard1Manifest.sessions.at(-1)!.tasks_run).toBe(stillMissing.missing);

    // The merged result: every task exactly once, and the single machine's tables bit for bit.
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { status: string; task_count: number };
    expect(manifest.status).toBe('merged');
    const runs = readArrow(dir, 'runs');
    const ids = runs.getChild('task_id')!.toArray() as string[];
    expect(ids.length).toBe(TASKS);
    expect(new Set(ids).size).toBe(TASKS);
    expect([...ids].sort()).toEqual([...(readArrow(reference, 'runs').getChild('task_id')!.toArray() as string[])].sort());
    for (const table of TABLES) {
      const merged = readArrow(dir, table);
      const single = readArrow(reference, table);
      expect(merged.schema.fields.map((f) => `${f.name}:${f.type}`), table).toEqual(single.schema.fields.map((f) => `${f.name}:${f.type}`));
      expect(merged.numRows, table).toBe(single.numRows);
      expect(exactRows(merged), table).toEqual(exactRows(single));
    }
    // And nothing is left to do: a further --resubmit submits nothing.
    const nothing = runCli(['slurm', dir, '--resubmit']);
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stdout).toBe('');
    expect(nothing.stderr).toMatch(/all 4 shards are finished and .* holds the merged result; nothing to submit/);
  });

  it('groups shards above --max-array (2 elements of 2 shards, one at a time) with the same result', async () => {
    const dir = join(root, 'grouped');
    const submitted = runCli(['slurm', specPath, '--out', dir, '--shards', '4', '--max-array', '2', '--concurrent', '1', '--submit'], { env: FIXED_VERSION_ENV });
    expect(submitted.code, submitted.stderr).toBe(0);
    const jobs = submittedJobs(submitted.stdout);
    expect(submitted.stdout).toContain(`array job ${jobs.array} (elements 1-2%1)`);
    const seen = await waitForJobs([jobs.array!, jobs.merge], 120_000);
    // %1: squeue showed the elements running, never both at once.
    expect([...seen].filter((line) => line.endsWith(' RUNNING') && line.startsWith(`${jobs.array}_`)).length).toBe(2);
    expect(seen.mostRunning).toBe(1);
    const elements = jobRecords(jobs.array!);
    expect(elements.map((record) => [record.ArrayTaskId, record.JobState, record.ArrayTaskThrottle]).sort()).toEqual([
      ['1', 'COMPLETED', '1'],
      ['2', 'COMPLETED', '1'],
    ]);
    expect(jobRecords(jobs.merge)[0].JobState).toBe('COMPLETED');
    for (const [element, shards] of [['1', '1..2'], ['2', '3..4']]) {
      const log = readFileSync(join(dir, 'slurm', 'logs', `array-${jobs.array}_${element}.out`), 'utf8');
      expect(log).toContain(`element ${element} of 2, job `);
      expect(log).toContain(`shards ${shards} of 4, 1 workers`);
    }
    for (const table of TABLES) expect(exactRows(readArrow(dir, table)), table).toEqual(exactRows(readArrow(reference, table)));
  });
});
