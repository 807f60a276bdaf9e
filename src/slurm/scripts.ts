/**
 * The two batch scripts of a Slurm sweep, as text. They call the installed CLI by absolute path
 * (the node binary and bin/shatter.js), so they run from any working directory on a shared
 * filesystem, and single-quote every path (spaces and shell metacharacters survive). Paths in
 * #SBATCH lines are double-quoted, which sbatch's own option parser understands; the few
 * characters it cannot carry there are refused up front (options.ts).
 */
import { join } from 'node:path';

/** Everything the scripts need; all paths absolute. */
export interface ScriptPlan {
  /** The sweep directory DIR: shards in DIR/shards/<s>/, the merged result in DIR itself. */
  dir: string;
  /** The spec the shards run (the copy in DIR/slurm/spec.json). */
  specFile: string;
  specName: string;
  shards: number;
  elements: number;
  cpusPerTask: number;
  /** Slurm --time, e.g. "2:00:00", or null for the partition's default. */
  time: string | null;
  partition: string | null;
  /** The %P cap on concurrently running elements, or null for none. */
  concurrent: number | null;
  nodePath: string;
  shatterPath: string;
}

/** `value` as one shell word: single quotes, with embedded single quotes as '\''. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function slurmDir(dir: string): string {
  return join(dir, 'slurm');
}

export function logsDir(dir: string): string {
  return join(dir, 'slurm', 'logs');
}

export function arrayScriptPath(dir: string): string {
  return join(dir, 'slurm', 'array.sbatch');
}

export function mergeScriptPath(dir: string): string {
  return join(dir, 'slurm', 'merge.sbatch');
}

/** Slurm job names: no spaces or quotes, so they read well in squeue. */
function jobName(prefix: string, specName: string): string {
  return `${prefix}-${specName.replace(/[^A-Za-z0-9_.-]/g, '_')}`.slice(0, 64);
}

function resourceLines(plan: ScriptPlan, cpusPerTask: number): string[] {
  const lines = [`#SBATCH --cpus-per-task=${cpusPerTask}`, '#SBATCH --ntasks=1', '#SBATCH --nodes=1'];
  if (plan.time !== null) lines.push(`#SBATCH --time=${plan.time}`);
  if (plan.partition !== null) lines.push(`#SBATCH --partition=${plan.partition}`);
  return lines;
}

/** The shell's own variables for the paths, so each path is quoted once, at the top. */
function pathLines(plan: ScriptPlan): string[] {
  return [`NODE=${shellQuote(plan.nodePath)}`, `SHATTER=${shellQuote(plan.shatterPath)}`, `DIR=${shellQuote(plan.dir)}`];
}

/**
 * DIR/slurm/array.sbatch: element e of 1..M runs its block of shards in turn, each as
 * `shatter run SPEC --shard s/N --out DIR/shards/s --resume --workers $SLURM_CPUS_PER_TASK`.
 * --resume makes every (re)submission run only what its shards still miss. SHATTER_RETRY_FAILED=1
 * in the environment (`shatter slurm DIR --resubmit --retry-failed`) adds --retry-failed.
 */
export function arrayScript(plan: ScriptPlan): string {
  const logs = join(logsDir(plan.dir), 'array-%A_%a.out');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName('shatter', plan.specName)}`,
    `#SBATCH --array=1-${plan.elements}${plan.concurrent === null ? '' : `%${plan.concurrent}`}`,
    ...resourceLines(plan, plan.cpusPerTask),
    `#SBATCH --output="${logs}"`,
    `# Written by \`shatter slurm\`: element e of ${plan.elements} runs shards floor((e-1)*${plan.shards}/${plan.elements})+1`,
    `# .. floor(e*${plan.shards}/${plan.elements}) of ${plan.shards}, each into DIR/shards/<s>/ with --resume, so re-submitting`,
    '# an element (sbatch --array=<e> this file) runs only the tasks its shards still miss.',
    'set -u',
    ...pathLines(plan),
    `SPEC=${shellQuote(plan.specFile)}`,
    `SHARDS=${plan.shards}`,
    `ELEMENTS=${plan.elements}`,
    'element=${SLURM_ARRAY_TASK_ID:?not a Slurm array element (submit this file with sbatch)}',
    'workers=${SLURM_CPUS_PER_TASK:-1}',
    'first=$(( (element - 1) * SHARDS / ELEMENTS + 1 ))',
    'last=$(( element * SHARDS / ELEMENTS ))',
    "# (the ${retry[@]+...} form keeps bash < 4.4 quiet about an empty array under set -u)",
    'retry=()',
    'if [ "${SHATTER_RETRY_FAILED:-0}" = 1 ]; then retry=(--retry-failed); fi',
    'echo "shatter slurm: element $element of $ELEMENTS, job ${SLURM_JOB_ID:-?} (array ${SLURM_ARRAY_JOB_ID:-?}) on $(hostname), shards $first..$last of $SHARDS, $workers workers"',
    'status=0',
    'for (( shard = first; shard <= last; shard++ )); do',
    '  echo "shatter slurm: shard $shard/$SHARDS -> $DIR/shards/$shard"',
    '  "$NODE" "$SHATTER" run "$SPEC" --shard "$shard/$SHARDS" --out "$DIR/shards/$shard" --resume --workers "$workers" ${retry[@]+"${retry[@]}"}',
    '  code=$?',
    '  # 130/143: stopped by a signal (scancel, time limit); the remaining shards would be stopped too.',
    '  if [ $code -eq 130 ] || [ $code -eq 143 ]; then exit $code; fi',
    '  if [ $code -ne 0 ]; then status=$code; fi',
    'done',
    'exit $status',
    '',
  ].join('\n');
}

/**
 * DIR/slurm/merge.sbatch, submitted with --dependency=afterany on the array (afterok would wait
 * forever after one failed or cancelled element): checks that every shard is finished (otherwise
 * it exits 1, naming the unfinished shards and the re-submission command), then merges the shards
 * into DIR itself. A DIR that already holds the merged manifest is left alone.
 */
export function mergeScript(plan: ScriptPlan): string {
  const logs = join(logsDir(plan.dir), 'merge-%j.out');
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${jobName('shatter-merge', plan.specName)}`,
    ...resourceLines(plan, 1),
    `#SBATCH --output="${logs}"`,
    '# Written by `shatter slurm`: merges DIR/shards/* into DIR once every shard is finished.',
    'set -u',
    ...pathLines(plan),
    'echo "shatter slurm: merge job ${SLURM_JOB_ID:-?} on $(hostname)"',
    'if [ -e "$DIR/manifest.json" ]; then',
    '  echo "shatter slurm: $DIR already holds the merged result; nothing to do"',
    '  exit 0',
    'fi',
    '"$NODE" "$SHATTER" slurm "$DIR" --check || exit 1',
    '"$NODE" "$SHATTER" merge "$DIR"/shards/* --out "$DIR"',
    '',
  ].join('\n');
}
