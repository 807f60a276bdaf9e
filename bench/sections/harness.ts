/**
 * Bench section 'harness' (issue 11): what the sweep machinery costs around the training.
 *  - scaling: a CPU-bound sweep on 1 and 2 workers (interleaved repetitions, medians, ratio);
 *  - overhead: the quick experiment cut to 1,000 epochs on 1 worker: wall time of the whole
 *    `shatter run` process minus the summed training time of its tasks (wall_ms), as a share;
 *  - memory: a sweep of 10,000 tiny tasks, the coordinator's peak heap (manifest peak_heap_mb).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';

export const name = 'harness';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = here.includes(join('dist', 'bench')) ? join(here, '..', '..', '..') : join(here, '..', '..');
const shatter = join(repoRoot, 'bin', 'shatter.js');

function runSweep(specPath: string, out: string, workers: number): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [shatter, 'run', specPath, '--out', out, '--workers', String(workers), '--quiet', '--yes'], { encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`shatter run failed (${result.status}): ${result.stderr}`);
  return seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export async function run(): Promise<object> {
  const dir = mkdtempSync(join(os.tmpdir(), 'shatter-bench-harness-'));
  try {
    const cpuBound = join(dir, 'cpu.json');
    writeFileSync(cpuBound, JSON.stringify({
      name: 'cpu-bound',
      fixed: { d: 5, n: 128, width: 512, epochs: 1500, n_test: 1000, eta: 0.2 },
      seeds: 8,
    }));
    const one: number[] = [];
    const two: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      one.push(runSweep(cpuBound, join(dir, `one-${rep}`), 1));
      two.push(runSweep(cpuBound, join(dir, `two-${rep}`), 2));
    }

    const quick = JSON.parse(readFileSync(join(repoRoot, 'experiments', 'quick.json'), 'utf8'));
    quick.fixed.epochs = 1000;
    const quickPath = join(dir, 'quick.json');
    writeFileSync(quickPath, JSON.stringify(quick));
    const quickOut = join(dir, 'quick');
    const quickWall = runSweep(quickPath, quickOut, 1);
    const wallMs = tableFromIPC(readFileSync(join(quickOut, 'runs.arrow'))).getChild('wall_ms')!.toArray() as Float64Array;
    const trainingSeconds = wallMs.reduce((sum, ms) => sum + ms, 0) / 1000;

    const tiny = join(dir, 'tiny.json');
    writeFileSync(tiny, JSON.stringify({ name: 'tiny', fixed: { d: 1, n: 2, width: 1, epochs: 1, n_test: 1, eta: 0.1, curve_every: 1 }, seeds: 10000 }));
    const tinyOut = join(dir, 'tiny');
    const tinyWall = runSweep(tiny, tinyOut, 2);
    const manifest = JSON.parse(readFileSync(join(tinyOut, 'manifest.json'), 'utf8'));

    return {
      scaling: {
        tasks: 8,
        one_worker_s: one,
        two_workers_s: two,
        median_one_worker_s: median(one),
        median_two_workers_s: median(two),
        speedup_2_over_1: median(one) / median(two),
        target: '>= 1.8',
      },
      overhead: {
        spec: 'quick.json at 1,000 epochs, 1 worker',
        wall_s: quickWall,
        training_s: trainingSeconds,
        overhead_share: (quickWall - trainingSeconds) / quickWall,
        target: '< 0.03',
      },
      memory: {
        tasks: 10000,
        wall_s: tinyWall,
        coordinator_peak_heap_mb: manifest.sessions[0].peak_heap_mb,
        target: '< 200 MB',
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
