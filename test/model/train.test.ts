import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { train, type TrainConfig } from '../../src/model/index.js';
import { testConfig } from '../helpers/train-config.js';

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const same = (a: Float64Array, b: Float64Array) => a.length === b.length && bytes(a).equals(bytes(b));

function run(config: TrainConfig) {
  const losses: number[] = [];
  const outcome = train(config, { onEpoch: (_epoch, loss) => losses.push(loss) });
  const finalParams = Float64Array.from(outcome.kernel.params);
  outcome.kernel.dispose();
  return { ...outcome, finalParams, losses };
}

type Run = ReturnType<typeof run>;
const DATA_FIELDS = ['xTrain', 'yTrain', 'f0Train', 'xTest', 'yTest', 'f0Test'] as const;
const sameData = (a: Run, b: Run) => DATA_FIELDS.every((field) => same(a.dataset[field], b.dataset[field]));

describe('determinism', () => {
  it('the same config twice gives bit-identical parameters, curves and data', () => {
    const config = testConfig({ epochs: 300, eta: 0.5, weight_decay: 0.001, clip: 0.5 });
    const first = run(config);
    const second = run(config);
    expect(first.status).toBe('ok');
    expect(first.clippedEpochs).toBeGreaterThan(0);
    expect(same(first.finalParams, second.finalParams)).toBe(true);
    expect(second.losses).toEqual(first.losses);
    expect(sameData(first, second)).toBe(true);
    expect(same(first.finalParams, first.initialParams)).toBe(false);
  });

  it('a worker thread computes the same bits as the main thread', async () => {
    const config = testConfig({ epochs: 200, eta: 0.5, activation: 'gelu', weight_decay: 0.01 });
    const inWorker = await new Promise<{ status: string; params: Float64Array }>((resolve, reject) => {
      // Workers do not inherit vitest's TypeScript handling (TOOLCHAIN.md), and a .ts entry file
      // is loaded before `--import tsx` takes effect: register tsx first, then import the entry.
      // ('tsx/esm/api' resolves from the working directory, the project root under vitest.)
      const entry = new URL('../helpers/train-in-worker.ts', import.meta.url).href;
      const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
      const worker = new Worker(bootstrap, { eval: true, workerData: config });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const here = run(config);
    expect(inWorker.status).toBe('ok');
    expect(same(inWorker.params, here.finalParams)).toBe(true);
  });
});

/** DESIGN.md, Paired designs: arms that differ only in optimiser, loss or activation see the same data from the same start. */
describe('paired designs', () => {
  const base = testConfig({ epochs: 20, eta: 0.2 });
  const baseRun = run(base);

  it.each<[string, Partial<TrainConfig>]>([
    ['eta', { eta: 0.05 }],
    ['loss', { loss: 'mse' }],
    ['weight_decay', { weight_decay: 0.1 }],
    ['activation', { activation: 'gelu' }],
    ['clip', { clip: 0.1 }],
    ['epochs', { epochs: 7 }],
  ])('changing %s leaves data and initial parameters bit-identical (and changes the run)', (_field, change) => {
    const arm = run({ ...base, ...change });
    expect(sameData(arm, baseRun)).toBe(true);
    expect(same(arm.initialParams, baseRun.initialParams)).toBe(true);
    expect(same(arm.finalParams, baseRun.finalParams)).toBe(false);
  });

  it('changing data_seed changes the data but not the initial parameters', () => {
    const arm = run({ ...base, data_seed: base.data_seed + 1 });
    for (const field of DATA_FIELDS) expect(same(arm.dataset[field], baseRun.dataset[field]), field).toBe(false);
    expect(same(arm.initialParams, baseRun.initialParams)).toBe(true);
  });

  it('changing init_seed changes the initial parameters but not the data', () => {
    const arm = run({ ...base, init_seed: base.init_seed + 1 });
    expect(sameData(arm, baseRun)).toBe(true);
    expect(same(arm.initialParams, baseRun.initialParams)).toBe(false);
  });

  it('changing init or width leaves the data alone; changing n, sigma or the target leaves the initial parameters alone', () => {
    for (const change of [{ init: 'torch_default' as const }, { width: 24 }]) {
      const arm = run({ ...base, ...change });
      expect(sameData(arm, baseRun)).toBe(true);
      expect(same(arm.initialParams, baseRun.initialParams)).toBe(false);
    }
    for (const change of [{ n: 40 }, { sigma: 0.5 }, { target: 'hoelder' as const }, { target_seed: 3 }, { n_test: 50 }]) {
      const arm = run({ ...base, ...change });
      expect(same(arm.initialParams, baseRun.initialParams)).toBe(true);
      expect(sameData(arm, baseRun)).toBe(false);
    }
  });

  it('changing sigma rescales the same noise draws; the inputs stay', () => {
    const arm = run({ ...base, sigma: 0.5 });
    expect(same(arm.dataset.xTrain, baseRun.dataset.xTrain)).toBe(true);
    for (let i = 0; i < base.n; i++) {
      const noise = arm.dataset.yTrain[i] - arm.dataset.f0Train[i];
      const baseNoise = baseRun.dataset.yTrain[i] - baseRun.dataset.f0Train[i];
      expect(noise).toBeCloseTo(0.5 * baseNoise, 14);
    }
  });
});

describe('divergence', () => {
  it.each(['relu', 'gelu'] as const)('%s: eta = 1e3 without clipping ends with status diverged and the epoch, without throwing', (activation) => {
    const config = testConfig({ eta: 1e3, clip: null, epochs: 500, activation });
    const seen: number[] = [];
    const outcome = train(config, { onEpoch: (epoch) => seen.push(epoch) });
    outcome.kernel.dispose();
    expect(outcome.status).toBe('diverged');
    expect(Number.isInteger(outcome.divergedAt)).toBe(true);
    expect(outcome.divergedAt).toBeGreaterThan(0);
    expect(outcome.divergedAt).toBeLessThan(config.epochs);
    expect(outcome.epochsRun).toBe(outcome.divergedAt);
    expect(Number.isFinite(outcome.finalLoss) && Number.isFinite(outcome.finalGradNorm)).toBe(false);
    // The hook saw every finite epoch before the divergence, and not the non-finite one.
    expect(seen).toEqual(Array.from({ length: outcome.divergedAt }, (_, e) => e));
  });

  it('with the default clip the same eta bounds each step: no throw, a result either way', () => {
    const outcome = train(testConfig({ eta: 1e3, epochs: 50 }));
    outcome.kernel.dispose();
    expect(['ok', 'diverged']).toContain(outcome.status);
    expect(outcome.clippedEpochs).toBeGreaterThan(0);
  });
});
