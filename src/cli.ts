/**
 * The `shatter` command (yargs). It only parses and calls: each command's work lives in src/.
 * Exit codes (DESIGN.md): 0 done, 1 a task failed or an internal error, 2 bad input or a refusal,
 * 130 / 143 after a clean stop on SIGINT / SIGTERM.
 */
import yargs, { type Argv } from 'yargs';
import { SpecError } from './spec/index.js';
import { parseShard, type ShardSelector } from './spec/shard.js';
import { inspectDirectory } from './sweep/inspect.js';
import { mergeDirectories } from './sweep/merge.js';
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
          .option('quiet', { type: 'boolean', default: false, describe: 'no progress output' }),
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
      (args) => {
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
      (args) => {
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
    .demandCommand(1, 'name a command: run, merge, inspect or report')
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .help()
    .version(false);
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
