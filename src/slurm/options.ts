/**
 * Validation of `shatter slurm` flags. Each refusal is a UsageError (exit 2) naming the flag, what
 * was given and what is allowed, raised before anything is written.
 */
import { UsageError } from '../sweep/output-dir.js';

/** Slurm's default MaxArraySize is 1001 (indices 0..1000); our arrays use 1..M. */
export const DEFAULT_MAX_ARRAY = 1000;

export interface RawSlurmFlags {
  shards?: unknown;
  cpusPerTask?: unknown;
  time?: unknown;
  partition?: unknown;
  maxArray?: unknown;
  concurrent?: unknown;
}

export interface SlurmFlags {
  shards: number;
  cpusPerTask: number;
  time: string | null;
  partition: string | null;
  maxArray: number;
  concurrent: number | null;
}

function wholeNumber(flag: string, value: unknown, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || !Number.isInteger(number) || number < 1) {
    throw new UsageError(`${flag}: got ${JSON.stringify(value)}; allowed: a whole number >= 1`);
  }
  return number;
}

/** Slurm's --time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
const TIME_FORMAT = /^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2})$/;

/** Partition names as Slurm takes them (a comma-separated list is allowed). */
const PARTITION_FORMAT = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;

export function parseSlurmFlags(raw: RawSlurmFlags): SlurmFlags {
  if (raw.shards === undefined) throw new UsageError('--shards: required with a spec (how many slices to cut the sweep into), a whole number >= 1');
  const shards = wholeNumber('--shards', raw.shards, null)!;
  const cpusPerTask = wholeNumber('--cpus-per-task', raw.cpusPerTask, 1)!;
  const maxArray = wholeNumber('--max-array', raw.maxArray, DEFAULT_MAX_ARRAY)!;
  const concurrent = wholeNumber('--concurrent', raw.concurrent, null);
  let time: string | null = null;
  if (raw.time !== undefined) {
    time = String(raw.time);
    if (!TIME_FORMAT.test(time)) {
      throw new UsageError(`--time: got ${JSON.stringify(raw.time)}; allowed: Slurm's formats minutes, minutes:seconds, hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds (e.g. 90, 2:00:00, 1-12)`);
    }
  }
  let partition: string | null = null;
  if (raw.partition !== undefined) {
    partition = String(raw.partition);
    if (!PARTITION_FORMAT.test(partition)) {
      throw new UsageError(`--partition: got ${JSON.stringify(raw.partition)}; allowed: a partition name (letters, digits, _ . -) or a comma-separated list of them`);
    }
  }
  return { shards, cpusPerTask, time, partition, maxArray, concurrent };
}

/**
 * The sweep directory appears inside #SBATCH --output="..." lines, where sbatch gives `%` a meaning
 * (file name patterns) and cannot carry a double quote or a line break: refuse those.
 */
export function checkDirForSbatch(dir: string): void {
  const bad = [...dir].find((c) => c === '%' || c === '"' || c === '\\' || c === '\n' || c === '\r');
  if (bad !== undefined) {
    throw new UsageError(`--out ${dir}: contains ${JSON.stringify(bad)}, which sbatch cannot take in an --output path; allowed: any path without % " \\ or line breaks (spaces are fine)`);
  }
}
