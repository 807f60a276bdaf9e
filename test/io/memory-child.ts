/**
 * Child process of memory.test.ts (run with --expose-gc): commits TASKS tiny tasks, then finalises,
 * and prints the heap after a full GC at checkpoints and the peak RSS, as one JSON line.
 */
import { writeSync } from 'node:fs';
import { SweepWriter, finalizeOutput, scanCommitted } from '../../src/io/index.js';
import { OPTIONS, taskConfig, taskId, taskResult } from './fixtures.js';

const [dir, tasksArg] = process.argv.slice(2);
const tasks = Number(tasksArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('memory-child needs node --expose-gc');
const MB = 1024 * 1024;
const heapMB = (): number => {
  gc();
  return process.memoryUsage().heapUsed / MB;
};
const peakRssMB = (): number => process.resourceUsage().maxRSS / 1024;
const shape = { d: 2, width: 4, curveRows: 3, nTrain: 4, nTest: 4 };

const heapAtCommits: Record<number, number> = { 0: heapMB() };
const writer = SweepWriter.open(dir, OPTIONS);
for (let i = 0; i < tasks; i++) {
  writer.commit(taskId(i), taskConfig(i), taskResult(i, shape));
  if ((i + 1) % 1000 === 0) heapAtCommits[i + 1] = heapMB();
}
writer.close();
const rssAfterCommits = peakRssMB();
const committed = scanCommitted(dir).size;
const started = performance.now();
const { tasks: finalized } = finalizeOutput(dir, OPTIONS);
const finalizeMs = performance.now() - started;
writeSync(1, `${JSON.stringify({
  heapAtCommits,
  heapAfterFinalize: heapMB(),
  peakRssAfterCommitsMB: rssAfterCommits,
  peakRssAfterFinalizeMB: peakRssMB(),
  committed,
  finalized,
  finalizeMs,
})}\n`);
