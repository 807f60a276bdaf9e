/**
 * Which shards of a Slurm sweep are finished, read from the shard directories themselves (the
 * only record there is: the test cluster and many sites keep no job accounting).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { directoryState } from '../sweep/inspect.js';
import { readManifest } from '../sweep/manifest.js';
import { elementOfShard } from './elements.js';
import type { SlurmPlanFile } from './plan-file.js';

export interface ShardState {
  shard: number;
  element: number;
  dir: string;
  /** null when the shard directory holds no manifest yet (its element never started it). */
  tasks: number | null;
  done: number;
  failed: number;
  missing: number | null;
  /** Why the directory cannot be used, when it holds something else. */
  problem: string | null;
}

export function shardDir(dir: string, shard: number): string {
  return join(dir, 'shards', String(shard));
}

export function shardState(dir: string, plan: SlurmPlanFile, shard: number): ShardState {
  const path = shardDir(dir, shard);
  const base = { shard, element: elementOfShard(shard, plan.shards, plan.elements), dir: path };
  if (!existsSync(path) || readManifest(path) === null) return { ...base, tasks: null, done: 0, failed: 0, missing: null, problem: null };
  try {
    const state = directoryState(path);
    const expected = `${shard}/${plan.shards}`;
    if (state.manifest.spec_hash !== plan.spec_hash || state.manifest.shard !== expected) {
      return { ...base, tasks: null, done: 0, failed: 0, missing: null, problem: `holds ${state.manifest.shard ? `shard ${state.manifest.shard}` : 'a whole sweep'} of spec ${state.manifest.spec_hash.slice(0, 12)}…, not shard ${expected} of ${plan.spec_hash.slice(0, 12)}…` };
    }
    const { counts } = state;
    return { ...base, tasks: state.tasks.length, done: counts.ok + counts.diverged, failed: counts.failed + counts.timeout, missing: counts.missing, problem: null };
  } catch (error) {
    return { ...base, tasks: null, done: 0, failed: 0, missing: null, problem: (error as Error).message };
  }
}

/** Finished: every task of the shard committed (failed and timed-out ones too, unless retryFailed). */
export function shardFinished(state: ShardState, retryFailed: boolean): boolean {
  return state.problem === null && state.missing === 0 && (!retryFailed || state.failed === 0);
}

export function describeShard(state: ShardState): string {
  const where = `shard ${state.shard} (array element ${state.element}, ${state.dir})`;
  if (state.problem !== null) return `${where}: ${state.problem}`;
  if (state.tasks === null) return `${where}: not started`;
  return `${where}: ${state.done} of ${state.tasks} tasks done, ${state.failed} failed or timed out, ${state.missing} missing`;
}
