/**
 * Child process of crash.test.ts, killed with SIGKILL at chosen moments.
 *   commit DIR SHAPE_JSON INDEX[:VARIANT],...   commits the tasks in order, printing each index once committed
 *   finalize DIR                                runs finalizeOutput over and over
 * Prints "ready" first. Lines go out with writeSync so that a printed line is never lost in a buffer.
 * With CRASH_SLOW_WRITES=1 every file write of more than 64 bytes writes its first half, prints
 * "mid-write" and pauses before the rest; every rename prints "renamed". The parent can then kill
 * at exactly those moments instead of hoping a timer lands there.
 */
import fs, { writeSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { SweepWriter, finalizeOutput } from '../../src/io/index.js';
import { OPTIONS, taskConfig, taskId, taskResult } from './fixtures.js';

const [mode, dir, ...rest] = process.argv.slice(2);
/** CRASH_TASK_PAUSE_MS: a pause after each commit, so that a kill on a timer lands mid-sweep. */
const taskPauseMs = Number(process.env.CRASH_TASK_PAUSE_MS ?? 0);
const writeLine = writeSync;
const say = (line: string): void => {
  writeLine(1, `${line}\n`);
};

{
  const write = fs.writeSync;
  const rename = fs.renameSync;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let lastSplit: Uint8Array | null = null;
  if (process.env.CRASH_SLOW_WRITES === '1') {
    (fs as { writeSync: unknown }).writeSync = (fd: number, buffer: Uint8Array, offset: number, length: number, position?: number | null): number => {
      // Split each buffer once: its first half goes to the file, then a pause in which the parent kills.
      if (!(buffer instanceof Uint8Array) || typeof length !== 'number' || length <= 64 || buffer === lastSplit) {
        return write(fd, buffer, offset, length, position);
      }
      lastSplit = buffer;
      const written = write(fd, buffer, offset, length >> 1, position);
      say('mid-write');
      Atomics.wait(pause, 0, 0, 20);
      return written;
    };
  }
  fs.renameSync = (from, to) => {
    rename(from, to);
    say('renamed');
  };
  syncBuiltinESMExports();
}

if (mode === 'commit') {
  const shape = JSON.parse(rest[0]);
  const tasks = rest[1].split(',').map((item) => item.split(':').map(Number));
  const writer = SweepWriter.open(dir, OPTIONS);
  say('ready');
  for (const [index, variant = 0] of tasks) {
    writer.commit(taskId(index), taskConfig(index), taskResult(index, shape, variant));
    say(String(index));
    if (taskPauseMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, taskPauseMs);
  }
  writer.close();
  say('done');
} else if (mode === 'finalize') {
  say('ready');
  for (;;) {
    finalizeOutput(dir, OPTIONS);
    say('finalized');
  }
} else {
  throw new Error(`crash-child: unknown mode ${mode}`);
}
