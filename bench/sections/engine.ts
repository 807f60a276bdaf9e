/**
 * Engine benchmark (issue 9, acceptance 8): milliseconds per full-batch GD epoch at
 * initialisation for the paper's shapes with the default kernel, and the heap before and after
 * 10,000 epochs (the epoch loop must not allocate: growth under 1 MB).
 *
 * An epoch is one step plus the next forward/backward pass: the time between consecutive
 * onEpoch calls. Each shape runs several repetitions from the same initial parameters with a
 * small step (so the activation pattern stays that of initialisation); figures are medians.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gradientDescent, lossScale, prepareTraining } from '../../src/model/index.js';
import { benchConfig, median } from '../common.js';

export const name = 'engine';

const SHAPES: [d: number, n: number, width: number][] = [
  [1, 32, 128],
  [5, 128, 512],
  [5, 512, 2048],
  [10, 512, 2048],
];
const REPETITIONS = 7;
/** Wall time aimed at per repetition; the epoch count follows from a calibration epoch. */
const TARGET_MS_PER_REPETITION = 300;
const HEAP_EPOCHS = 10_000;
const HEAP_SHAPE: [number, number, number] = [5, 128, 512];
/** Issue 9's targets for the TypeScript kernel. */
const TARGET_MS_PER_EPOCH_D10_N512_W2048 = 10;
const MAX_HEAP_GROWTH_BYTES = 1024 * 1024;

/** A full collection: global.gc under --expose-gc, else the same function fetched after setting the flag. */
function collectGarbage(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function timeShape(d: number, n: number, width: number) {
  const cfg = benchConfig(d, n, width, 1e-3, 0);
  const { initialParams, kernel } = prepareTraining(cfg);
  const options = { eta: cfg.eta, weightDecay: cfg.weight_decay, clip: cfg.clip, lossScale: lossScale(cfg.loss), epochs: 0 };
  const stamps = new Float64Array(100_001);
  let stampCount = 0;
  const hook = () => {
    stamps[stampCount++] = performance.now();
  };
  const runEpochs = (epochs: number) => {
    kernel.params.set(initialParams);
    stampCount = 0;
    gradientDescent(kernel, { ...options, epochs }, hook);
    const intervals: number[] = [];
    for (let e = 1; e < stampCount; e++) intervals.push(stamps[e] - stamps[e - 1]);
    return intervals;
  };
  // Warm-up and calibration: compile the hot loops, then size the repetitions.
  runEpochs(3);
  const calibration = median(runEpochs(5));
  const epochsPerRepetition = Math.max(5, Math.min(100_000, Math.round(TARGET_MS_PER_REPETITION / calibration)));
  const repetitionMedians: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) repetitionMedians.push(median(runEpochs(epochsPerRepetition)));
  const kernelName = kernel.name;
  kernel.dispose();
  return {
    d,
    n,
    width,
    kernel: kernelName,
    ms_per_epoch_median: median(repetitionMedians),
    ms_per_epoch_repetition_medians: repetitionMedians,
    epochs_per_repetition: epochsPerRepetition,
    repetitions: REPETITIONS,
  };
}

function measureHeap(gc: () => void) {
  const [d, n, width] = HEAP_SHAPE;
  const cfg = benchConfig(d, n, width, 0.1, HEAP_EPOCHS);
  const { kernel } = prepareTraining(cfg);
  const options = { eta: cfg.eta, weightDecay: cfg.weight_decay, clip: cfg.clip, lossScale: lossScale(cfg.loss), epochs: HEAP_EPOCHS };
  // The curve buffer a real caller fills from the hook, allocated before the baseline.
  const lossCurve = new Float64Array(HEAP_EPOCHS + 1);
  const hook = (epoch: number, loss: number) => {
    lossCurve[epoch] = loss;
  };
  gradientDescent(kernel, { ...options, epochs: 50 }, hook);
  const settle = () => {
    for (let i = 0; i < 3; i++) gc();
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = settle();
  const started = performance.now();
  const outcome = gradientDescent(kernel, options, hook);
  const seconds = (performance.now() - started) / 1000;
  const heapAfter = settle();
  const result = {
    d,
    n,
    width,
    epochs: HEAP_EPOCHS,
    status: outcome.status,
    final_loss: lossCurve[outcome.epochsRun],
    seconds,
    heap_used_before_bytes: heapBefore,
    heap_used_after_bytes: heapAfter,
    heap_growth_bytes: heapAfter - heapBefore,
    heap_growth_limit_bytes: MAX_HEAP_GROWTH_BYTES,
    heap_growth_ok: heapAfter - heapBefore < MAX_HEAP_GROWTH_BYTES,
  };
  kernel.dispose();
  return result;
}

export async function run(): Promise<object> {
  const gc = collectGarbage();
  const shapes = SHAPES.map(([d, n, width]) => timeShape(d, n, width));
  const largest = shapes.find((s) => s.d === 10 && s.n === 512 && s.width === 2048);
  return {
    ms_per_epoch_at_init: shapes,
    target_ms_per_epoch_d10_n512_w2048: TARGET_MS_PER_EPOCH_D10_N512_W2048,
    meets_target_d10_n512_w2048: largest !== undefined && largest.ms_per_epoch_median <= TARGET_MS_PER_EPOCH_D10_N512_W2048,
    heap: measureHeap(gc),
  };
}
