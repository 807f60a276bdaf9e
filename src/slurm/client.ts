/**
 * The Slurm client commands we call: sbatch --parsable to submit, squeue to see what of a sweep is
 * still queued or running. Failures are SlurmClientErrors carrying the command and its stderr.
 */
import { spawnSync } from 'node:child_process';

export class SlurmClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlurmClientError';
  }
}

function call(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new SlurmClientError(`${command}: ${code === 'ENOENT' ? 'not found on PATH (run this on a Slurm login node, or without --submit to only write the scripts)' : result.error.message}`);
  }
  if (result.status !== 0) {
    throw new SlurmClientError(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result.stdout;
}

/** Submits a batch script; returns the job id (`--parsable` prints "id" or "id;cluster"). */
export function sbatch(args: string[]): string {
  const output = call('sbatch', ['--parsable', ...args]).trim();
  const id = output.split(';')[0];
  if (!/^\d+$/.test(id)) throw new SlurmClientError(`sbatch --parsable printed ${JSON.stringify(output)}, not a job id`);
  return id;
}

/** Ids (array job ids for array elements) of every job the controller still has pending or running. */
export function activeJobIds(): Set<string> {
  const output = call('squeue', ['--noheader', '--states=PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED,REQUEUED', '--format=%F']);
  return new Set(output.split('\n').map((line) => line.trim()).filter((line) => line !== ''));
}
