/**
 * Synthetic output directories for the report tests: runs, curves and neurons written as Arrow
 * files with explicit column types (DESIGN.md's columns), and a manifest, so that the report is
 * tested on files shaped like the sweep's without running one.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bool, Float64, Int32, Table, tableToIPC, Utf8, vectorFromArray, type DataType } from 'apache-arrow';
import { RUN_MEASURE_TYPES, SweepWriter } from '../../src/io/index.js';
import type { ConfigColumn, ConfigValue } from '../../src/io/index.js';
import type { RunMeasures } from '../../src/metrics/task-result.js';
import { RandomStream } from '../../src/rng/index.js';

type Value = number | string | boolean | null;
interface ColumnSpec {
  type: DataType;
  values: Value[];
}

const f64 = (values: (number | null)[]): ColumnSpec => ({ type: new Float64(), values });
const i32 = (values: (number | null)[]): ColumnSpec => ({ type: new Int32(), values });
const utf8 = (values: (string | null)[]): ColumnSpec => ({ type: new Utf8(), values });
const bool = (values: (boolean | null)[]): ColumnSpec => ({ type: new Bool(), values });

export function arrowTable(columns: Record<string, ColumnSpec>): Table {
  const vectors = Object.fromEntries(Object.entries(columns).map(([name, c]) => [name, vectorFromArray(c.values as never[], c.type)]));
  return new Table(vectors);
}

export function writeArrow(path: string, columns: Record<string, ColumnSpec>, format: 'file' | 'stream' = 'file'): Uint8Array {
  const bytes = tableToIPC(arrowTable(columns), format);
  writeFileSync(path, bytes);
  return bytes;
}

export interface FixtureOptions {
  dValues?: number[];
  nValues?: number[];
  seeds?: number;
  width?: number;
  /** The rate of test MSE in n for each d (MSE = 0.5 n^-rate times log-normal noise). */
  rateOfD?: (d: number) => number;
  /** Status of every run (default: all ok). */
  statusOf?: (index: number) => 'ok' | 'diverged' | 'failed' | 'timeout';
  epochs?: number;
  curveEvery?: number;
  lambdaMaxEvery?: number;
  /** Loss conventions crossed with everything else (default: mse only). */
  losses?: ('mse' | 'half_mse')[];
  /** Leave out the optim zip-group column (methods then differ by eta and weight_decay only). */
  withoutZipGroup?: boolean;
}

export interface Fixture {
  dir: string;
  runs: Record<string, Value>[];
  /** Rows per table, for the tests' expectations. */
  curveRows: number;
  neuronRows: number;
  columns: { runs: Record<string, ColumnSpec>; curves: Record<string, ColumnSpec>; neurons: Record<string, ColumnSpec> };
}

const OPTIM = [
  { label: 'large_step', eta: 0.9, weight_decay: 0 },
  { label: 'weight_decay', eta: 0.01, weight_decay: 0.1 },
];

/** Builds the columns of a synthetic sweep: optim (zip group) x d x n x seeds. */
export function fixtureColumns(options: FixtureOptions = {}) {
  const dValues = options.dValues ?? [1, 3];
  const nValues = options.nValues ?? [32, 64, 128];
  const seeds = options.seeds ?? 3;
  const width = options.width ?? 8;
  const epochs = options.epochs ?? 1000;
  const curveEvery = options.curveEvery ?? 100;
  const lambdaMaxEvery = options.lambdaMaxEvery ?? 500;
  const rateOfD = options.rateOfD ?? ((d: number) => 1 / d);
  const noise = new RandomStream(['report-fixture']);

  const runs: Record<string, Value>[] = [];
  for (const loss of options.losses ?? ['mse']) for (const optim of OPTIM) {
    for (const d of dValues) {
      for (const n of nValues) {
        for (let seed = 0; seed < seeds; seed++) {
          const index = runs.length;
          const status = options.statusOf?.(index) ?? 'ok';
          const ok = status === 'ok';
          const lambdaMax = (2 / optim.eta) * (0.95 + 0.1 * noise.uniform());
          const trainLoss = 0.05 * (1 + noise.uniform());
          const bound = lambdaMax / 4 - 0.5 + 2 * Math.sqrt(2 * trainLoss);
          runs.push({
            task_id: `t${String(index).padStart(4, '0')}`,
            d, n, width: width, width_per_n: null, eta: optim.eta, epochs, weight_decay: optim.weight_decay,
            clip: 50, loss, activation: 'relu', init: 'kaiming_normal', target: 'linear', target_seed: 0,
            sigma: 1, n_test: 1000, curve_every: curveEvery, lambda_max_every: lambdaMaxEvery,
            data_seed: seed, init_seed: seed, optim: optim.label,
            status,
            error: status === 'failed' ? 'Error: synthetic failure\n    at train (train.ts:1)' : status === 'timeout' ? 'timed out after 1 s' : null,
            epochs_run: ok ? epochs : 37,
            train_loss: ok ? trainLoss : status === 'diverged' ? NaN : null,
            test_mse: ok ? 0.5 * Math.pow(n, -rateOfD(d)) * Math.exp(0.2 * noise.normal()) : null,
            lambda_max: ok ? lambdaMax : null,
            lambda_max_iters: ok ? 10 + Math.floor(30 * noise.uniform()) : null,
            lambda_max_residual: ok ? 1e-7 * (1 + noise.uniform()) : null,
            lambda_max_converged: ok ? index % 7 !== 3 : null,
            eos_ratio: ok ? (optim.eta * lambdaMax) / 2 : null,
            vg_norm: ok ? bound * (0.2 + 0.6 * noise.uniform()) : null,
            thm32_bound: ok ? bound : null,
            clipped_epochs: ok ? Math.floor(10 * noise.uniform()) : 0,
            median_activation_rate: ok ? 0.05 : null,
            kernel_used: 'js',
            wall_ms: 100,
          });
        }
      }
    }
  }

  if (options.withoutZipGroup) for (const run of runs) delete run.optim;
  const names = Object.keys(runs[0]);
  const types: Record<string, (values: Value[]) => ColumnSpec> = {
    task_id: utf8 as never, loss: utf8 as never, activation: utf8 as never, init: utf8 as never, target: utf8 as never,
    optim: utf8 as never, status: utf8 as never, error: utf8 as never, kernel_used: utf8 as never,
    d: i32 as never, n: i32 as never, width: i32 as never, epochs: i32 as never, target_seed: i32 as never, n_test: i32 as never,
    curve_every: i32 as never, lambda_max_every: i32 as never, data_seed: i32 as never, init_seed: i32 as never,
    epochs_run: i32 as never, lambda_max_iters: i32 as never, clipped_epochs: i32 as never,
    lambda_max_converged: bool as never,
  };
  const runColumns = Object.fromEntries(names.map((name) => [name, (types[name] ?? (f64 as never))(runs.map((r) => r[name]))]));

  // curves and neurons exist for tasks that finished (ok or diverged), as the sweep writes them.
  const withRows = runs.filter((r) => r.status === 'ok' || r.status === 'diverged');
  const curve = { task_id: [] as string[], epoch: [] as number[], train_loss: [] as number[], grad_norm: [] as number[], clipped: [] as boolean[],
    neurons_dead: [] as number[], median_activation_rate: [] as number[], lambda_max: [] as (number | null)[], test_mse: [] as (number | null)[] };
  for (const run of withRows) {
    for (let epoch = 0; epoch <= epochs; epoch += curveEvery) {
      curve.task_id.push(run.task_id as string);
      curve.epoch.push(epoch);
      curve.train_loss.push(1 / (1 + epoch / 100));
      curve.grad_norm.push(60 / (1 + epoch));
      curve.clipped.push(epoch === 0);
      curve.neurons_dead.push(0);
      curve.median_activation_rate.push(0.5 / (1 + epoch / 200));
      const measured = lambdaMaxEvery > 0 && epoch % lambdaMaxEvery === 0;
      curve.lambda_max.push(measured ? (2 / (run.eta as number)) * (1 - 0.8 * Math.exp(-epoch / 300)) : null);
      curve.test_mse.push(epoch === epochs ? (run.test_mse as number | null) : null);
    }
  }
  const neuron = { task_id: [] as string[], neuron: [] as number[], activation_count: [] as number[], activation_rate: [] as number[],
    w_norm: [] as number[], b: [] as number[], v: [] as number[], a: [] as number[], t: [] as (number | null)[], g: [] as (number | null)[] };
  for (const run of withRows) {
    for (let k = 0; k < width; k++) {
      const rate = k === 0 ? 0 : noise.uniform() * 0.3;
      const wNorm = 0.5 + 3 * noise.uniform();
      const v = noise.normal();
      neuron.task_id.push(run.task_id as string);
      neuron.neuron.push(k);
      neuron.activation_count.push(Math.round(rate * (run.n as number)));
      neuron.activation_rate.push(rate);
      neuron.w_norm.push(wNorm);
      neuron.b.push(noise.normal());
      neuron.v.push(v);
      // Neuron 1 of every task has v = 0 (a = 0): it cannot sit on the log axis.
      neuron.a.push(k === 1 ? 0 : Math.abs(v) * wNorm);
      neuron.t.push(noise.normal());
      neuron.g.push(noise.uniform());
    }
  }

  return {
    runs,
    curveRows: curve.task_id.length,
    neuronRows: neuron.task_id.length,
    columns: {
      runs: runColumns,
      curves: {
        task_id: utf8(curve.task_id), epoch: i32(curve.epoch), train_loss: f64(curve.train_loss), grad_norm: f64(curve.grad_norm),
        clipped: bool(curve.clipped), neurons_dead: i32(curve.neurons_dead), median_activation_rate: f64(curve.median_activation_rate),
        lambda_max: f64(curve.lambda_max), test_mse: f64(curve.test_mse),
      },
      neurons: {
        task_id: utf8(neuron.task_id), neuron: i32(neuron.neuron), activation_count: i32(neuron.activation_count),
        activation_rate: f64(neuron.activation_rate), w_norm: f64(neuron.w_norm), b: f64(neuron.b), v: f64(neuron.v),
        a: f64(neuron.a), t: f64(neuron.t), g: f64(neuron.g),
      },
    },
  };
}

export function manifestFor(taskCount: number, status = 'complete'): Record<string, unknown> {
  return {
    spec: {
      name: 'report-fixture',
      fixed: { width: 8, epochs: 1000, loss: 'mse' },
      grid: { d: [1, 3], n: [32, 64, 128], optim: OPTIM },
      seeds: 3,
    },
    spec_hash: 'fixture',
    task_count: taskCount,
    status,
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `shatter-report-${prefix}-`));
}

/** A finished output directory: final Feather v2 files and a manifest. */
export function writeFixtureDir(options: FixtureOptions = {}, prefix = 'fixture'): Fixture {
  const dir = tempDir(prefix);
  const built = fixtureColumns(options);
  writeArrow(join(dir, 'runs.arrow'), built.columns.runs);
  writeArrow(join(dir, 'curves.arrow'), built.columns.curves);
  writeArrow(join(dir, 'neurons.arrow'), built.columns.neurons);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestFor(built.runs.length)));
  return { dir, ...built };
}

export function makeDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/**
 * A sweep caught while running: the first `committed` tasks of the fixture committed through io's
 * SweepWriter into part files (never closed, never finalised), then a half-written curves batch
 * of the next task at the end of its file, as a kill mid-commit leaves it.
 */
const RUN_MEASURE_NAMES = Object.keys(RUN_MEASURE_TYPES) as (keyof RunMeasures)[];

export function writeRunningSweep(committed: number, options: FixtureOptions = {}, prefix = 'running'): Fixture & { inFlight: string } {
  const dir = tempDir(prefix);
  const built = fixtureColumns(options);
  const measureNames = new Set<string>(RUN_MEASURE_NAMES);
  const runColumnNames = Object.keys(built.columns.runs).filter((name) => name !== 'task_id' && !measureNames.has(name));
  const columnType = (name: string): ConfigColumn['type'] => {
    const type = built.columns.runs[name].type;
    return type instanceof Utf8 ? 'utf8' : type instanceof Int32 ? 'int32' : type instanceof Bool ? 'bool' : 'float64';
  };
  const writer = SweepWriter.open(dir, { configColumns: runColumnNames.map((name) => ({ name, type: columnType(name) })) });
  const curveTask = built.columns.curves.task_id.values as string[];
  const neuronTask = built.columns.neurons.task_id.values as string[];
  const rowsOf = (tasks: string[], id: string) => tasks.flatMap((t, i) => (t === id ? [i] : []));
  const floats = (column: ColumnSpec, rows: number[]) => Float64Array.from(rows, (i) => (column.values[i] as number | null) ?? NaN);
  const ints = (column: ColumnSpec, rows: number[]) => Int32Array.from(rows, (i) => column.values[i] as number);
  for (const run of built.runs.slice(0, committed)) {
    const id = run.task_id as string;
    const config = Object.fromEntries(runColumnNames.map((name) => [name, run[name] as ConfigValue]));
    const measures = Object.fromEntries(RUN_MEASURE_NAMES.map((name) => [name, run[name] ?? null])) as unknown as RunMeasures;
    measures.epochs_run = run.epochs_run as number;
    measures.clipped_epochs = run.clipped_epochs as number;
    const c = built.columns.curves;
    const curveRows = rowsOf(curveTask, id);
    const n = built.columns.neurons;
    const neuronRows = rowsOf(neuronTask, id);
    writer.commit(id, config, {
      run: measures,
      curves: curveRows.length === 0 ? null : {
        epoch: ints(c.epoch, curveRows), train_loss: floats(c.train_loss, curveRows), grad_norm: floats(c.grad_norm, curveRows),
        clipped: Uint8Array.from(curveRows, (i) => (c.clipped.values[i] ? 1 : 0)), neurons_dead: ints(c.neurons_dead, curveRows),
        median_activation_rate: floats(c.median_activation_rate, curveRows), lambda_max: floats(c.lambda_max, curveRows),
        test_mse: floats(c.test_mse, curveRows),
      },
      neurons: neuronRows.length === 0 ? null : {
        activation_count: ints(n.activation_count, neuronRows), activation_rate: floats(n.activation_rate, neuronRows),
        w_norm: floats(n.w_norm, neuronRows), b: floats(n.b, neuronRows), v: floats(n.v, neuronRows), a: floats(n.a, neuronRows),
        t: floats(n.t, neuronRows), g: floats(n.g, neuronRows),
      },
      data: null,
    });
  }
  // The in-flight task: half of an encoded curves batch at the end of the part file, no runs row.
  const inFlight = built.runs[committed].task_id as string;
  const inFlightRows = rowsOf(curveTask, inFlight);
  const pickCurves = Object.fromEntries(Object.entries(built.columns.curves).map(([name, c]) => [name, { type: c.type, values: inFlightRows.map((i) => c.values[i]) }]));
  const frame = tableToIPC(arrowTable(pickCurves), 'stream');
  appendFileSync(join(writer.sessionPath, 'curves.arrows'), frame.subarray(frame.length >> 1));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestFor(built.runs.length, 'running')));
  return { dir, ...built, inFlight };
}
