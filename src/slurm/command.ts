/**
 * `shatter slurm`: sets a sweep up as a Slurm job array plus a merge job in DIR, submits it,
 * re-submits what is unfinished, and checks (for the merge job) that every shard is done.
 *
 * DIR layout (DIR is the sweep's home on a shared filesystem):
 *   DIR/slurm/spec.json      the spec, copied as given (later edits of the original do not leak in)
 *   DIR/slurm/array.sbatch   the job array: element e runs its block of shards
 *   DIR/slurm/merge.sbatch   the merge job (afterany on the array)
 *   DIR/slurm/plan.json      shards, array shape, resources and every submission
 *   DIR/slurm/logs/          array-<jobid>_<element>.out, merge-<jobid>.out
 *   DIR/shards/<s>/          shard s of N: an ordinary `shatter run --shard s/N` output directory
 *   DIR/manifest.json, DIR/runs.arrow, ...   the merged result, written by the merge job
 * The merged result goes into DIR itself (merge refuses an --out holding a manifest, and DIR holds
 * none until the merge), so `shatter report DIR` and `shatter inspect DIR` work on DIR directly.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expandSpec, loadSpecFile, specHash } from '../spec/index.js';
import { provenance, readManifest, versionLabel, versionsHeld } from '../sweep/manifest.js';
import { UsageError } from '../sweep/output-dir.js';
import { activeJobIds, sbatch, SlurmClientError } from './client.js';
import { arraySpec, elementCount } from './elements.js';
import { checkDirForSbatch, parseSlurmFlags, type RawSlurmFlags } from './options.js';
import { readPlanFile, writePlanFile, type SlurmPlanFile, type Submission } from './plan-file.js';
import { arrayScript, arrayScriptPath, logsDir, mergeScript, mergeScriptPath, shellQuote, slurmDir, type ScriptPlan } from './scripts.js';
import { describeShard, shardFinished, shardState, type ShardState } from './shard-state.js';

export interface SlurmCommandOptions extends RawSlurmFlags {
  specPath: string;
  out: string;
  submit: boolean;
  /** The node binary and CLI entry the scripts call; default this process's node and bin/shatter.js. */
  nodePath?: string;
  shatterPath?: string;
}

/** Where lines go; the CLI passes process.stdout/stderr, tests collect them. */
export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

const processOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The absolute path of this package's bin/shatter.js (the entry the batch scripts call). */
export function installedShatterPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'bin', 'shatter.js');
}

function scriptPlan(dir: string, plan: SlurmPlanFile): ScriptPlan {
  return {
    dir,
    specFile: join(slurmDir(dir), 'spec.json'),
    specName: plan.spec_name,
    shards: plan.shards,
    elements: plan.elements,
    cpusPerTask: plan.cpus_per_task,
    time: plan.time,
    partition: plan.partition,
    concurrent: plan.concurrent,
    nodePath: plan.node,
    shatterPath: plan.shatter,
  };
}

/** Refuses DIR unless it is new, empty, or set up earlier by `shatter slurm` for this spec and shard count. */
function checkSweepDir(dir: string, hash: string, shards: number): SlurmPlanFile | null {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir}: exists and is not a directory`);
  const previous = readPlanFile(dir);
  if (previous === null) {
    if (readdirSync(dir).length > 0) {
      throw new UsageError(`--out ${dir}: exists, is not empty and was not set up by \`shatter slurm\` (no slurm/plan.json); choose a new or empty directory`);
    }
    return null;
  }
  if (previous.spec_hash !== hash) {
    throw new UsageError(`--out ${dir}: holds another spec ("${previous.spec_name}", spec_hash ${previous.spec_hash.slice(0, 12)}…, this one ${hash.slice(0, 12)}…); choose another --out`);
  }
  if (previous.shards !== shards) {
    throw new UsageError(`--shards: got ${shards}, but ${dir} was set up with --shards ${previous.shards} (its shard directories are slices of ${previous.shards}); pass --shards ${previous.shards} or choose another --out`);
  }
  return previous;
}

/** Refuses to submit while jobs of an earlier submission from DIR are still pending or running. */
function refuseWhileActive(dir: string, plan: SlurmPlanFile): void {
  const ours = plan.submissions.flatMap((s) => [s.array_job, s.merge_job]).filter((id): id is string => id !== null);
  if (ours.length === 0) return;
  const active = activeJobIds();
  const still = ours.filter((id) => active.has(id));
  if (still.length > 0) {
    throw new UsageError(`${dir}: jobs ${still.join(', ')} of an earlier submission are still pending or running; wait for them (squeue -j ${still.join(',')}) or cancel them (scancel ${still.join(' ')}) first`);
  }
}

/** A shatter command line as the scripts run it (absolute node and CLI paths), ready to paste. */
function commandLine(plan: SlurmPlanFile, args: string[]): string {
  return [plan.node, plan.shatter, ...args].map(shellQuote).join(' ');
}

/** Submits the array (all or some elements) and a merge job depending on it with afterany. */
function submit(dir: string, plan: SlurmPlanFile, kind: Submission['kind'], elements: number[] | null, retryFailed: boolean, output: Output): Submission {
  let arrayJob: string | null = null;
  let array: string | null = null;
  if (elements === null || elements.length > 0) {
    const args: string[] = [];
    if (elements !== null) {
      array = arraySpec(elements, plan.concurrent);
      args.push(`--array=${array}`);
    } else {
      array = arraySpec(Array.from({ length: plan.elements }, (_, i) => i + 1), plan.concurrent);
    }
    if (retryFailed) args.push('--export=ALL,SHATTER_RETRY_FAILED=1');
    arrayJob = sbatch([...args, arrayScriptPath(dir)]);
    output.out(`array job ${arrayJob} (elements ${array})`);
  }
  const mergeJob = sbatch([...(arrayJob === null ? [] : [`--dependency=afterany:${arrayJob}`]), mergeScriptPath(dir)]);
  output.out(`merge job ${mergeJob}${arrayJob === null ? '' : ` (after array job ${arrayJob} ends, whatever its outcome)`}`);
  const submission: Submission = { at: new Date().toISOString(), kind, array, array_job: arrayJob, merge_job: mergeJob };
  plan.submissions.push(submission);
  writePlanFile(dir, plan);
  output.err(`shatter slurm: logs in ${logsDir(dir)}; watch with: squeue${arrayJob === null ? '' : ` -j ${arrayJob},${mergeJob}`}; state of the shards: ${commandLine(plan, ['inspect', dir])}`);
  return submission;
}

/**
 * `shatter slurm SPEC --out DIR --shards N [...] [--submit]`: writes the scripts (and submits
 * them). Returns the exit code; throws UsageError (exit 2) for bad input before writing anything.
 */
export function slurmCommand(options: SlurmCommandOptions, output: Output = processOutput): number {
  const flags = parseSlurmFlags(options);
  const dir = resolve(options.out);
  checkDirForSbatch(dir);
  const { spec } = loadSpecFile(options.specPath);
  const specText = readFileSync(options.specPath, 'utf8');
  const tasks = expandSpec(spec);
  if (flags.shards > tasks.length) {
    throw new UsageError(`--shards: got ${flags.shards}, but spec "${spec.name}" has ${tasks.length} tasks; allowed: 1..${tasks.length} (a shard with no task would waste an array element)`);
  }
  const hash = specHash(spec);
  const previous = checkSweepDir(dir, hash, flags.shards);
  const plan: SlurmPlanFile = {
    tool: 'neural-shatter slurm',
    spec_name: spec.name,
    spec_hash: hash,
    task_count: tasks.length,
    shards: flags.shards,
    max_array: flags.maxArray,
    elements: elementCount(flags.shards, flags.maxArray),
    cpus_per_task: flags.cpusPerTask,
    time: flags.time,
    partition: flags.partition,
    concurrent: flags.concurrent,
    node: resolve(options.nodePath ?? process.execPath),
    shatter: resolve(options.shatterPath ?? installedShatterPath()),
    submissions: previous?.submissions ?? [],
  };
  if (options.submit && previous) refuseWhileActive(dir, previous);

  mkdirSync(logsDir(dir), { recursive: true });
  mkdirSync(join(dir, 'shards'), { recursive: true });
  writeFileSync(join(slurmDir(dir), 'spec.json'), specText);
  const scripts = scriptPlan(dir, plan);
  writeFileSync(arrayScriptPath(dir), arrayScript(scripts));
  writeFileSync(mergeScriptPath(dir), mergeScript(scripts));
  chmodSync(arrayScriptPath(dir), 0o755);
  chmodSync(mergeScriptPath(dir), 0o755);
  writePlanFile(dir, plan);
  const perElement = plan.elements < plan.shards ? `, ${Math.floor(plan.shards / plan.elements)}-${Math.ceil(plan.shards / plan.elements)} shards per element (--max-array ${plan.max_array})` : '';
  output.err(`shatter slurm: spec "${spec.name}", ${tasks.length} tasks in ${plan.shards} shards, an array of ${plan.elements} elements${perElement}; scripts in ${slurmDir(dir)}`);

  if (!options.submit) {
    output.out(`jobid=$(sbatch --parsable ${shellQuote(arrayScriptPath(dir))})`);
    output.out(`sbatch --dependency=afterany:$jobid ${shellQuote(mergeScriptPath(dir))}`);
    return 0;
  }
  return submitting(output, () => submit(dir, plan, 'submit', null, false, output));
}

/** Runs a submission: 0 when it went through, 1 (with the scheduler's message) when sbatch refused it. */
function submitting(output: Output, work: () => void): number {
  try {
    work();
  } catch (error) {
    if (error instanceof SlurmClientError) {
      output.err(`shatter slurm: submission failed: ${error.message}`);
      return 1;
    }
    throw error;
  }
  return 0;
}

function requirePlan(dir: string): SlurmPlanFile {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory`);
  const plan = readPlanFile(dir);
  if (plan === null) throw new UsageError(`${dir}: no slurm/plan.json; not a directory set up by \`shatter slurm SPEC --out DIR\``);
  return plan;
}

function allShardStates(dir: string, plan: SlurmPlanFile): ShardState[] {
  return Array.from({ length: plan.shards }, (_, i) => shardState(dir, plan, i + 1));
}

/**
 * `shatter slurm DIR --resubmit [--retry-failed]`: submits again the array elements whose shards
 * are unfinished (resume skips what they hold), and a new merge job after them.
 */
export function resubmitCommand(target: string, retryFailed: boolean, output: Output = processOutput): number {
  const dir = resolve(target);
  const plan = requirePlan(dir);
  const states = allShardStates(dir, plan);
  const foreign = states.filter((state) => state.problem !== null);
  if (foreign.length > 0) throw new UsageError(`${dir}: shard directories that cannot be resumed:\n  ${foreign.map(describeShard).join('\n  ')}`);
  const unfinished = states.filter((state) => !shardFinished(state, retryFailed));
  // `shatter run --resume` refuses a shard whose finished tasks another version made: say so now.
  const current = versionLabel(provenance());
  const otherVersion = unfinished
    .filter((state) => state.done + state.failed > 0)
    .map((state) => ({ state, versions: versionsHeld(readManifest(state.dir)!) }))
    .filter(({ versions }) => versions.some((version) => version !== current));
  if (otherVersion.length > 0) {
    throw new UsageError(
      `${dir}: unfinished shards hold tasks made by another version of the tool than this one (${current}), and resuming would mix versions in one table:\n  ${otherVersion.map(({ state, versions }) => `${describeShard(state)}, made by ${versions.join(' and ')}`).join('\n  ')}\nresubmit with the version that made them, or run the spec afresh into another directory`,
    );
  }
  const merged = readManifest(dir) !== null;
  if (unfinished.length === 0 && merged) {
    output.err(`shatter slurm: all ${plan.shards} shards are finished and ${dir} holds the merged result; nothing to submit`);
    return 0;
  }
  return submitting(output, () => {
    refuseWhileActive(dir, plan);
    // A merged result that the re-run will change (--retry-failed) is moved aside, not deleted:
    // the new merge job writes DIR afresh (merge refuses an --out holding a manifest).
    if (merged) output.err(`shatter slurm: the earlier merged result moved to ${supersedeMerged(dir)}`);
    const elements = [...new Set(unfinished.map((state) => state.element))];
    for (const state of unfinished) output.err(`shatter slurm: re-running ${describeShard(state)}`);
    if (elements.length === 0) output.err('shatter slurm: every shard is finished; submitting the merge job alone');
    submit(dir, plan, 'resubmit', elements, retryFailed, output);
  });
}

/** What `shatter merge` writes into DIR, manifest first so DIR stops claiming a merged status first. */
const MERGED_ENTRIES = ['manifest.json', 'runs.arrow', 'curves.arrow', 'neurons.arrow', 'data.arrow', 'parts'];

/** Moves DIR's merged result into DIR/slurm/superseded-<time>/ and returns that directory. */
function supersedeMerged(dir: string): string {
  const target = join(slurmDir(dir), `superseded-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(target, { recursive: true });
  for (const name of MERGED_ENTRIES) {
    if (existsSync(join(dir, name))) renameSync(join(dir, name), join(target, name));
  }
  return target;
}

/**
 * `shatter slurm DIR --check` (the merge job's first step): exit 0 when every shard holds all its
 * tasks, else 1, naming the unfinished shards and the command that re-submits them.
 */
export function checkCommand(target: string, output: Output = processOutput): number {
  const dir = resolve(target);
  const plan = requirePlan(dir);
  const states = allShardStates(dir, plan);
  const unfinished = states.filter((state) => !shardFinished(state, false));
  const failed = states.reduce((sum, state) => sum + state.failed, 0);
  if (unfinished.length > 0) {
    output.err(`shatter slurm: ${unfinished.length} of ${plan.shards} shards are not finished, so nothing was merged:`);
    for (const state of unfinished) output.err(`  ${describeShard(state)}`);
    const elements = [...new Set(unfinished.map((state) => state.element))];
    output.err(`unfinished array elements: ${arraySpec(elements, null)}; re-submit them (and a new merge job) with:`);
    output.err(`  ${commandLine(plan, ['slurm', dir, '--resubmit'])}`);
    return 1;
  }
  output.err(`shatter slurm: all ${plan.shards} shards finished (${plan.task_count} tasks${failed > 0 ? `, ${failed} failed or timed out: \`--resubmit --retry-failed\` would re-run them` : ''})`);
  return 0;
}
