/**
 * DIR/slurm/plan.json: what `shatter slurm` set up in DIR (spec, shard count, array shape,
 * resources, the CLI paths the scripts call) and every submission made from it, so that
 * `--resubmit` and `--check` need nothing but DIR.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../sweep/output-dir.js';

export interface Submission {
  /** ISO time of the submission. */
  at: string;
  kind: 'submit' | 'resubmit';
  /** The --array value submitted, e.g. "1-4%2" or "3". */
  array: string | null;
  array_job: string | null;
  merge_job: string;
}

export interface SlurmPlanFile {
  tool: 'neural-shatter slurm';
  spec_name: string;
  spec_hash: string;
  task_count: number;
  shards: number;
  max_array: number;
  elements: number;
  cpus_per_task: number;
  time: string | null;
  partition: string | null;
  concurrent: number | null;
  node: string;
  shatter: string;
  submissions: Submission[];
}

export function planFilePath(dir: string): string {
  return join(dir, 'slurm', 'plan.json');
}

export function readPlanFile(dir: string): SlurmPlanFile | null {
  const path = planFilePath(dir);
  if (!existsSync(path)) return null;
  try {
    const plan = JSON.parse(readFileSync(path, 'utf8')) as SlurmPlanFile;
    if (plan.tool !== 'neural-shatter slurm' || !Number.isInteger(plan.shards) || !Number.isInteger(plan.elements)) throw new Error('not a shatter slurm plan');
    return plan;
  } catch (error) {
    throw new UsageError(`${path}: cannot be read (${(error as Error).message}); refusing to touch ${dir}`);
  }
}

/** Writes through a temporary file and a rename, so a reader never sees half a plan. */
export function writePlanFile(dir: string, plan: SlurmPlanFile): void {
  const path = planFilePath(dir);
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(plan, null, 2)}\n`);
  renameSync(temporary, path);
}
