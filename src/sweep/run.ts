import os from 'node:os';
// The io modules (apache-arrow, ~70 ms to import) load only where a run needs them, after its
// worker pool has started: `shatter --help`, dry runs and bad input never pay for them, and the
// workers start up while they load. (The tasks themselves are handed out once the writer is open.)
import type { TableOptions } from '../io/index.js';
import { nullRunMeasures, type TaskResult, type TaskStatus } from '../metrics/task-result.js';
import {
  configColumns,
  configValues,
  estimateTaskCost,
  expandSpec,
  loadSpecFile,
  selectShard,
  specHash as hashOfSpec,
  type ShardSelector,
  type Spec,
  type Task,
} from '../spec/index.js';
import { provenance, provenanceOf, versionLabel, versionsHeld, writeManifest, type Manifest, type SessionRecord } from './manifest.js';
import { acquireLock, checkOutputDir, ensureWritableDir, UsageError } from './output-dir.js';
import { TaskTimeoutError, TrainingPool } from './pool.js';
import { Progress } from './progress.js';

type IoModule = typeof import('../io/index.js');

export interface RunOptions {
  specPath: string;
  out: string;
  workers: number;
  resume: boolean;
  retryFailed: boolean;
  shard: ShardSelector | null;
  taskTimeoutSeconds: number | null;
  retries: number;
  yes: boolean;
  dryRun: boolean;
  quiet: boolean;
  /** Resume a directory whose finished tasks another version of the tool made. */
  allowMixedVersions: boolean;
}

/** Grids larger than this need --yes (DESIGN.md, Decisions). */
export const TASK_LIMIT_WITHOUT_YES = 20_000;

/** Nanoseconds per multiply-add of the cost model on one core of this class of machine (dry-run estimate only). */
const NS_PER_COST_UNIT = 1.0;

export function tableOptions(spec: Spec): TableOptions {
  return {
    configColumns: configColumns(spec),
    saveParams: spec.save.params,
    saveInitParams: spec.save.init_params,
    saveData: spec.save.data,
  };
}

/** The runs row of a task that produced no result (it threw, its worker died, or it timed out). */
export function failedResult(status: TaskStatus, error: string, wallMs: number): TaskResult {
  return { run: nullRunMeasures({ status, error, wall_ms: wallMs }), curves: null, neurons: null, data: null };
}

/** Loads, validates and expands the spec, applying --yes and --shard. */
export function planSweep(specPath: string, shard: ShardSelector | null, yes: boolean): { spec: Spec; raw: unknown; hash: string; all: Task[]; selected: Task[] } {
  const { spec, raw } = loadSpecFile(specPath);
  const all = expandSpec(spec);
  if (all.length > TASK_LIMIT_WITHOUT_YES && !yes) {
    throw new UsageError(`spec ${specPath}: expands to ${all.length} tasks, more than ${TASK_LIMIT_WITHOUT_YES}; pass --yes to run it anyway`);
  }
  const selected = shard ? selectShard(all, shard) : all;
  return { spec, raw, hash: hashOfSpec(spec), all, selected };
}

function describePlan(spec: Spec, all: Task[], selected: Task[], shard: ShardSelector | null, workers: number): string {
  const lines = [`spec "${spec.name}": ${all.length} tasks${shard ? `, shard ${shard.index}/${shard.count}: ${selected.length} tasks` : ''}`];
  for (const axis of spec.axes) lines.push(`  grid ${axis.field}: ${axis.values.map((v) => JSON.stringify(v)).join(', ')}`);
  for (const group of spec.zipGroups) lines.push(`  zip group ${group.name}: ${group.members.map((m) => m.label).join(' | ')}`);
  lines.push(`  seeds: data ${JSON.stringify(spec.seeds.data)} x init ${JSON.stringify(spec.seeds.init)}`);
  const cost = selected.reduce((sum, task) => sum + estimateTaskCost(task.config), 0);
  const coreSeconds = (cost * NS_PER_COST_UNIT) / 1e9;
  lines.push(`  estimated cost: ${cost.toExponential(2)} multiply-adds, about ${formatSeconds(coreSeconds)} on one core, ${formatSeconds(coreSeconds / workers)} on ${workers} workers`);
  return lines.join('\n');
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(0)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/**
 * `shatter run`: runs the tasks of a spec (or of one shard) that the output directory does not
 * hold yet, streaming each finished task to disk, then finalises the tables. Returns the exit code
 * (DESIGN.md, Decisions); throws UsageError for bad input before anything is written.
 */
export async function runSweep(options: RunOptions): Promise<number> {
  const { spec, raw, hash, all, selected } = planSweep(options.specPath, options.shard, options.yes);
  const shardLabel = options.shard ? `${options.shard.index}/${options.shard.count}` : null;
  if (options.dryRun) {
    process.stdout.write(`${describePlan(spec, all, selected, options.shard, options.workers)}\nDry run: nothing written.\n`);
    return 0;
  }
  const previous = checkOutputDir(options.out, hash, shardLabel, options.resume);
  ensureWritableDir(options.out);
  const releaseLock = acquireLock(options.out);
  try {
    // Under the lock, so that no other run commits tasks between this scan and this run's writes;
    // a refusal below still writes nothing (the lock goes with it).
    const committed = previous ? (await import('../io/index.js')).scanCommitted(options.out) : new Map<string, { status: TaskStatus; error: string | null }>();
    const todo = tasksToRun(selected, committed, options.retryFailed);
    const versions = previous ? resumeVersions(options.out, previous, committed.size, todo.length, options.allowMixedVersions) : { mixed: null, keepProvenance: false };
    return await runInDirectory(options, spec, raw, hash, all.length, selected, shardLabel, previous, todo, versions);
  } finally {
    releaseLock();
  }
}

/** The selected tasks a directory does not hold yet (with retryFailed, also its failed and timed-out ones), costliest first. */
function tasksToRun(selected: Task[], committed: Map<string, { status: TaskStatus; error: string | null }>, retryFailed: boolean): Task[] {
  const rerun = (status: TaskStatus) => retryFailed && (status === 'failed' || status === 'timeout');
  return selected
    .filter((task) => {
      const found = committed.get(task.id);
      return found === undefined || rerun(found.status);
    })
    .sort((a, b) => estimateTaskCost(b.config) - estimateTaskCost(a.config) || a.index - b.index);
}

/** What a resume records of the versions of the tool behind a directory's results. */
interface ResumeVersions {
  /** mixed_versions for the manifest: every version whose results it will hold, when more than one. */
  mixed: string[] | null;
  /** Nothing runs and another version made the results: the manifest keeps that version's provenance. */
  keepProvenance: boolean;
}

/**
 * Refuses, before anything is written, to resume a directory whose `finished` tasks another
 * version of the tool made when `toRun` tasks would join them, unless allowed: kernels may change
 * the last bits of results between versions, so the tables would no longer be those of one version
 * (DESIGN.md, Invariants: determinism). A resume with nothing to run mixes nothing.
 */
function resumeVersions(dir: string, previous: Manifest, finished: number, toRun: number, allowed: boolean): ResumeVersions {
  if (finished === 0) return { mixed: null, keepProvenance: false };
  const current = versionLabel(provenance());
  const held = versionsHeld(previous);
  const others = held.filter((version) => version !== current);
  if (others.length === 0 || toRun === 0) return { mixed: previous.mixed_versions ?? null, keepProvenance: others.length > 0 };
  if (!allowed) {
    throw new UsageError(
      `--out ${dir}: its ${finished} finished tasks were made by neural-shatter ${others.join(' and ')}, this is ${current}; results may differ in the last bits between versions, so running its ${toRun} missing tasks here would mix them in one table. Pass --allow-mixed-versions to resume anyway (the manifest records both), or choose another --out`,
    );
  }
  return { mixed: [...new Set([...held, current])].sort(), keepProvenance: false };
}

async function runInDirectory(
  options: RunOptions,
  spec: Spec,
  raw: unknown,
  hash: string,
  taskCount: number,
  selected: Task[],
  shardLabel: string | null,
  previous: Manifest | null,
  todo: Task[],
  versions: ResumeVersions,
): Promise<number> {
  const dir = options.out;
  const tables = tableOptions(spec);

  const session: SessionRecord = { started: new Date().toISOString(), ended: null, workers: options.workers, tasks_run: 0, exit: null };
  const manifest: Manifest = {
    ...(versions.keepProvenance && previous ? provenanceOf(previous) : provenance()),
    spec: raw,
    spec_name: spec.name,
    spec_hash: hash,
    task_count: taskCount,
    shard: shardLabel,
    shard_task_count: selected.length,
    status: 'running',
    started: previous?.started ?? session.started,
    ended: null,
    sessions: [...(previous?.sessions ?? []), session],
  };
  // Finished tasks of other versions kept (--allow-mixed-versions): the manifest says so for good.
  if (versions.mixed) manifest.mixed_versions = versions.mixed;
  // Signals are handled from before the first write: a stop at any moment is a clean stop.
  let stopSignal: 'SIGINT' | 'SIGTERM' | null = null;
  let pool: TrainingPool | null = null;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopSignal !== null) {
      // A second signal: leave at once. Every committed task is already on disk.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopSignal = signal;
    if (!options.quiet) process.stderr.write(`\nshatter run: ${signal}: stopping; finished tasks are kept (a second ${signal === 'SIGINT' ? 'Ctrl-C' : signal} exits at once)\n`);
    void pool?.destroy();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  writeManifest(dir, manifest);
  if (!options.quiet) {
    const already = selected.length - todo.length;
    process.stderr.write(`shatter run: ${todo.length} of ${selected.length} tasks to run${already > 0 ? ` (${already} already done)` : ''} on ${options.workers} workers into ${dir}\n`);
  }

  if (todo.length > 0 && stopSignal === null) pool = new TrainingPool(Math.min(options.workers, todo.length));
  let io: IoModule;
  let writer: ReturnType<IoModule['SweepWriter']['open']>;
  try {
    io = await import('../io/index.js');
    writer = io.SweepWriter.open(dir, tables);
  } catch (error) {
    await pool?.destroy().catch(() => undefined);
    throw error;
  }
  const progress = new Progress(selected.length, selected.length - todo.length, options.quiet);

  let next = 0;
  let peakHeap = process.memoryUsage().heapUsed;
  const runOne = async (): Promise<void> => {
    while (stopSignal === null && next < todo.length) {
      const task = todo[next++];
      let attempt = 0;
      for (;;) {
        const started = Date.now();
        let result: TaskResult;
        try {
          result = await pool!.run({ taskId: task.id, config: task.config, save: spec.save }, options.taskTimeoutSeconds);
        } catch (error) {
          if (stopSignal !== null) return;
          const timedOut = error instanceof TaskTimeoutError;
          if (!timedOut && attempt < options.retries) {
            attempt++;
            continue;
          }
          const message = error instanceof Error ? error.message : String(error);
          result = failedResult(timedOut ? 'timeout' : 'failed', attempt > 0 ? `${message} (after ${attempt} retries)` : message, Date.now() - started);
        }
        if (stopSignal !== null) return;
        writer.commit(task.id, configValues(task), result);
        session.tasks_run++;
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        progress.tick(result.run.status === 'failed' || result.run.status === 'timeout');
        break;
      }
    }
  };
  try {
    try {
      await Promise.all(Array.from({ length: pool ? pool.workers : 0 }, runOne));
    } finally {
      progress.stop();
      writer.close();
      await pool?.destroy().catch(() => undefined);
    }
    // The handlers stay on through finalisation: a signal now still ends in a clean stop.
    return finish(io, options, dir, tables, selected, manifest, session, peakHeap, () => stopSignal);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}

/** Finalises the tables, writes the manifest's closing state and returns the exit code. */
function finish(
  io: IoModule,
  options: RunOptions,
  dir: string,
  tables: TableOptions,
  selected: Task[],
  manifest: Manifest,
  session: SessionRecord,
  peakHeap: number,
  signalled: () => 'SIGINT' | 'SIGTERM' | null,
): number {
  const final = io.finalizeOutput(dir, tables);
  const states = io.scanCommitted(dir);
  const failed = selected.filter((task) => {
    const status = states.get(task.id)?.status;
    return status === 'failed' || status === 'timeout';
  });
  const missing = selected.filter((task) => !states.has(task.id)).length;
  session.ended = new Date().toISOString();
  session.peak_heap_mb = Math.round((Math.max(peakHeap, process.memoryUsage().heapUsed) / 2 ** 20) * 10) / 10;
  manifest.ended = session.ended;
  const settled = missing === 0 && failed.length === 0;
  const stopSignal = signalled();
  if (stopSignal !== null) {
    // Stopped by a signal: interrupted, unless the last task had already committed.
    manifest.status = settled ? 'complete' : 'interrupted';
    session.exit = stopSignal;
  } else {
    manifest.status = settled ? 'complete' : 'incomplete';
    session.exit = failed.length > 0 ? 'failures' : 'ok';
  }
  writeManifest(dir, manifest);
  if (!options.quiet) {
    const byStatus = Object.entries(final.byStatus)
      .map(([status, count]) => `${count} ${status}`)
      .join(', ');
    process.stderr.write(`shatter run: ${manifest.status}: ${final.tasks} tasks in ${dir} (${byStatus || 'none'})${missing > 0 ? `, ${missing} missing` : ''}\n`);
    if (failed.length > 0) {
      process.stderr.write(`shatter run: ${failed.length} tasks failed or timed out (e.g. ${failed[0].id}); \`shatter run ${options.specPath} --out ${dir} --resume --retry-failed\` re-runs them\n`);
    }
  }
  const finalSignal = signalled();
  if (finalSignal === 'SIGINT') return 130;
  if (finalSignal === 'SIGTERM') return 143;
  return failed.length > 0 ? 1 : 0;
}

export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}
