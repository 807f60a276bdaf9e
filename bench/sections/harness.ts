/**
 * Bench section 'harness' (issue 11): what the sweep machinery costs around the training.
 *  - scaling: a CPU-bound sweep on 1 and 2 workers (interleaved repetitions, medians, ratio);
 *  - overhead: the quick experiment (npm start's) on 1 worker: wall time of the whole
 *    `shatter run` process minus the summed training time of its tasks (wall_ms), as a share;
 *  - memory: a sweep of 10,000 tiny tasks, the coordinator's peak heap (manifest peak_heap_mb);
 *  - cost model: the E2 grid cut down (d 1/3/5, n 32..256, 1,000 epochs, both arms, one seed) on
 *    1 worker: Spearman rank correlation of measured task times with estimateTaskCost, which
 *    orders the queue and balances shards.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { estimateTaskCost, expandSpec, validateSpec } from '../../src/spec/index.js';
import { median } from '../common.js';

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


/** Ranks 1..n (ties get their mean rank). */
function ranks(values: number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const rank = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].value === order[i].value) j++;
    for (let k = i; k <= j; k++) rank[order[k].index] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return rank;
}

function spearman(a: number[], b: number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

export async function run(): Promise<object> {
  const dir = mkdtempSync(join(os.tmpdir(), 'shatter-bench-harness-'));
  try {
    const cpuBound = join(dir, 'cpu.json');
    writeFileSync(cpuBound, JSON.stringify({
      name: 'cpu-bound',
      // Weight decay keeps every neuron active, so each task stays dense (about 2 s on one core).
      fixed: { d: 5, n: 256, width: 1024, epochs: 2000, n_test: 1000, eta: 0.01, weight_decay: 0.1 },
      seeds: 8,
    }));
    const one: number[] = [];
    const two: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      one.push(runSweep(cpuBound, join(dir, `one-${rep}`), 1));
      two.push(runSweep(cpuBound, join(dir, `two-${rep}`), 2));
    }

    const quickPath = join(repoRoot, 'experiments', 'quick.json');
    const quickOut = join(dir, 'quick');
    const quickWall = runSweep(quickPath, quickOut, 1);
    const wallMs = tableFromIPC(readFileSync(join(quickOut, 'runs.arrow'))).getChild('wall_ms')!.toArray() as Float64Array;
    const trainingSeconds = wallMs.reduce((sum, ms) => sum + ms, 0) / 1000;

    const tiny = join(dir, 'tiny.json');
    writeFileSync(tiny, JSON.stringify({ name: 'tiny', fixed: { d: 1, n: 2, width: 1, epochs: 1, n_test: 1, eta: 0.1, curve_every: 1 }, seeds: 10000 }));
    const tinyOut = join(dir, 'tiny');
    const tinyWall = runSweep(tiny, tinyOut, 2);
    const manifest = JSON.parse(readFileSync(join(tinyOut, 'manifest.json'), 'utf8'));

    const e2 = JSON.parse(readFileSync(join(repoRoot, 'experiments', 'e2-curse.json'), 'utf8'));
    e2.fixed.epochs = 1000;
    e2.fixed.n_test = 1000;
    e2.grid.d = [1, 3, 5];
    e2.grid.n = [32, 64, 128, 256];
    e2.seeds = 1;
    const e2Path = join(dir, 'e2-cut.json');
    writeFileSync(e2Path, JSON.stringify(e2));
    const e2Out = join(dir, 'e2-cut');
    runSweep(e2Path, e2Out, 1);
    const e2Runs = tableFromIPC(readFileSync(join(e2Out, 'runs.arrow')));
    const measured = new Map<string, number>();
    for (let i = 0; i < e2Runs.numRows; i++) measured.set(e2Runs.getChild('task_id')!.get(i) as string, e2Runs.getChild('wall_ms')!.get(i) as number);
    const e2Tasks = expandSpec(validateSpec(e2));
    const costs = e2Tasks.map((task) => estimateTaskCost(task.config));
    const times = e2Tasks.map((task) => measured.get(task.id)!);

    return {
      cost_model: {
        spec: 'e2-curse.json cut to d 1/3/5, n 32..256, 1,000 epochs, 1 seed, 1 worker',
        tasks: e2Tasks.length,
        spearman_cost_vs_wall_ms: spearman(costs, times),
        target: '>= 0.9',
      },
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
        spec: 'experiments/quick.json, 1 worker',
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
