/**
 * The `shatter` command (yargs). It only parses and calls: each command's work lives in src/.
 * Exit codes (DESIGN.md): 0 done, 1 a task failed or an internal error, 2 bad input or a refusal,
 * 130 / 143 after a clean stop on SIGINT / SIGTERM.
 */
import yargs, { type Argv } from 'yargs';
import { SpecError } from './spec/index.js';
import { parseShard, type ShardSelector } from './spec/shard.js';
import { toolVersion } from './sweep/manifest.js';
import { UsageError } from './sweep/output-dir.js';
import { defaultWorkers, runSweep } from './sweep/run.js';

function positiveInteger(flag: string, value: unknown): number {
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || !Number.isInteger(number) || number < 1) {
    throw new UsageError(`${flag}: got ${JSON.stringify(value)}; allowed: a whole number >= 1`);
  }
  return number;
}

function nonNegativeInteger(flag: string, value: unknown): number {
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || !Number.isInteger(number) || number < 0) {
    throw new UsageError(`${flag}: got ${JSON.stringify(value)}; allowed: a whole number >= 0`);
  }
  return number;
}

function positiveNumber(flag: string, value: unknown): number {
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${flag}: got ${JSON.stringify(value)}; allowed: a number of seconds > 0`);
  }
  return number;
}

function shardOption(value: unknown): ShardSelector | null {
  if (value === undefined) return null;
  const parsed = parseShard(String(value));
  if (typeof parsed === 'string') throw new UsageError(parsed);
  return parsed;
}

function requireString(flag: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag}: a path is required`);
  return value;
}

/** Builds the parser; `setExit` receives each command's exit code. */
function parser(argv: string[], setExit: (code: number) => void): Argv {
  return yargs(argv)
    .scriptName('shatter')
    .usage('$0 <command> [options]\n\nReproducible Monte Carlo sweeps of two-layer ReLU network training (neural shattering).')
    .command(
      'run <spec>',
      'run the tasks of an experiment spec into an output directory',
      (y) =>
        y
          .positional('spec', { type: 'string', describe: 'experiment spec (JSON), e.g. experiments/quick.json' })
          .option('out', { type: 'string', demandOption: true, describe: 'output directory (created if missing)' })
          .option('workers', { type: 'string', describe: `worker threads (default: this machine's cores, ${defaultWorkers()})` })
          .option('resume', { type: 'boolean', default: false, describe: 'run only the tasks the directory does not hold yet (a missing or empty directory simply starts)' })
          .option('retry-failed', { type: 'boolean', default: false, describe: 'with --resume: also re-run failed and timed-out tasks, replacing their rows' })
          .option('shard', { type: 'string', describe: 'run the I-th of N cost-balanced slices, e.g. 2/4 (1-based)' })
          .option('task-timeout', { type: 'string', describe: 'stop a task after this many seconds and record it as timeout' })
          .option('retries', { type: 'string', default: '0', describe: 'retry a failed task up to N times within the run (never diverged ones)' })
          .option('yes', { type: 'boolean', default: false, describe: `allow grids of more than 20,000 tasks` })
          .option('dry-run', { type: 'boolean', default: false, describe: 'print the task count, grid axes and estimated cost; write nothing' })
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' })
          .option('allow-mixed-versions', { type: 'boolean', default: false, describe: 'with --resume: add tasks to a directory whose finished tasks another version of the tool made' }),
      async (args) => {
        const code = await runSweep({
          specPath: requireString('spec', args.spec),
          out: requireString('--out', args.out),
          workers: args.workers === undefined ? defaultWorkers() : positiveInteger('--workers', args.workers),
          resume: args.resume,
          retryFailed: args['retry-failed'],
          shard: shardOption(args.shard),
          taskTimeoutSeconds: args['task-timeout'] === undefined ? null : positiveNumber('--task-timeout', args['task-timeout']),
          retries: nonNegativeInteger('--retries', args.retries),
          yes: args.yes,
          dryRun: args['dry-run'],
          quiet: args.quiet,
          allowMixedVersions: args['allow-mixed-versions'],
        });
        setExit(code);
      },
    )
    .command(
      'merge <dirs..>',
      'combine shard outputs of one spec into one directory, checking that every task is there exactly once',
      (y) =>
        y
          .positional('dirs', { type: 'string', array: true, describe: 'shard output directories' })
          .option('out', { type: 'string', demandOption: true, describe: 'merged output directory (new)' })
          .option('allow-mixed-versions', { type: 'boolean', default: false, describe: 'merge shards made by different versions of the tool' }),
      async (args) => {
        const { mergeDirectories } = await import('./sweep/merge.js');
        const { tasks } = mergeDirectories({
          inputs: (args.dirs ?? []).map(String),
          out: requireString('--out', args.out),
          allowMixedVersions: args['allow-mixed-versions'],
        });
        process.stderr.write(`shatter merge: ${tasks} tasks into ${args.out}\n`);
        setExit(0);
      },
    )
    .command(
      'inspect <dir>',
      'status and provenance of an output directory: tasks done, failed and missing, and what a resume would run',
      (y) => y.positional('dir', { type: 'string', describe: 'output directory' }),
      async (args) => {
        const { inspectDirectory } = await import('./sweep/inspect.js');
        process.stdout.write(`${inspectDirectory(requireString('dir', args.dir))}\n`);
        setExit(0);
      },
    )
    .command(
      'report <dir>',
      'figures and summary tables of an output directory into DIR/report/',
      (y) =>
        y
          .positional('dir', { type: 'string', describe: 'output directory' })
          .option('open', { type: 'boolean', default: false, describe: 'print the path of index.html' }),
      async (args) => {
        const { generateReport } = await import('./report/index.js');
        const outcome = await generateReport(requireString('dir', args.dir));
        for (const note of outcome.notes) process.stderr.write(`shatter report: ${note}\n`);
        process.stderr.write(`shatter report: ${outcome.figures.length} figures in ${outcome.dir}\n`);
        if (args.open) process.stdout.write(`${outcome.indexHtml}\n`);
        setExit(0);
      },
    )
    .command(
      'slurm <target>',
      'run a sweep as a Slurm job array plus a merge job: `slurm SPEC --out DIR --shards N [--submit]`, `slurm DIR --resubmit`',
      (y) =>
        y
          .positional('target', { type: 'string', describe: 'experiment spec (JSON); with --resubmit or --check, the sweep directory' })
          .option('out', { type: 'string', describe: 'sweep directory on a shared filesystem (scripts in DIR/slurm/, shards in DIR/shards/, merged result in DIR)' })
          .option('shards', { type: 'string', describe: 'number of cost-balanced shards (--shard I/N slices)' })
          .option('cpus-per-task', { type: 'string', describe: 'CPUs of each array element, its worker threads (default 1)' })
          .option('time', { type: 'string', describe: 'time limit of each element and of the merge job, in Slurm format (e.g. 2:00:00)' })
          .option('partition', { type: 'string', describe: 'Slurm partition' })
          .option('max-array', { type: 'string', describe: 'most array elements (default 1000); more shards are grouped, several per element' })
          .option('concurrent', { type: 'string', describe: 'most elements running at once (%P in --array)' })
          .option('submit', { type: 'boolean', default: false, describe: 'submit with sbatch and print the job ids (otherwise print the two sbatch commands)' })
          .option('resubmit', { type: 'boolean', default: false, describe: 'TARGET is a sweep directory: submit its unfinished elements again, and a new merge job' })
          .option('retry-failed', { type: 'boolean', default: false, describe: 'with --resubmit: also re-run failed and timed-out tasks' })
          .option('check', { type: 'boolean', default: false, describe: 'TARGET is a sweep directory: exit 1 naming unfinished shards (the merge job runs this)' }),
      async (args) => {
        const { checkCommand, resubmitCommand, slurmCommand } = await import('./slurm/index.js');
        const target = requireString('target', args.target);
        if (args.resubmit || args.check) {
          const flag = args.resubmit ? '--resubmit' : '--check';
          const stray = ['out', 'shards', 'cpus-per-task', 'time', 'partition', 'max-array', 'concurrent'].filter((name) => args[name] !== undefined);
          if (args.resubmit && args.check) throw new UsageError('--resubmit and --check: pass one of them');
          if (stray.length > 0 || args.submit) throw new UsageError(`${flag}: takes only the sweep directory; drop ${[...stray.map((name) => `--${name}`), ...(args.submit ? ['--submit'] : [])].join(', ')}`);
          setExit(args.resubmit ? resubmitCommand(target, args['retry-failed']) : checkCommand(target));
          return;
        }
        if (args['retry-failed']) throw new UsageError('--retry-failed: only with --resubmit');
        setExit(
          slurmCommand({
            specPath: target,
            out: requireString('--out', args.out),
            shards: args.shards,
            cpusPerTask: args['cpus-per-task'],
            time: args.time,
            partition: args.partition,
            maxArray: args['max-array'],
            concurrent: args.concurrent,
            submit: args.submit,
          }),
        );
      },
    )
    .demandCommand(1, 'name a command: run, merge, inspect, report or slurm')
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .help()
    .version(toolVersion());
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  try {
    await parser(argv, (code) => {
      exitCode = code;
    }).parseAsync();
    return exitCode;
  } catch (error) {
    if (error instanceof SpecError) {
      process.stderr.write(`shatter: invalid spec:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
      return 2;
    }
    if (error instanceof UsageError || (error instanceof Error && error.name === 'YError')) {
      process.stderr.write(`shatter: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`shatter: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  }
}
