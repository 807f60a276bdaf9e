/**
 * One task's rows as record batches (one batch per table), built from the typed-array columns of
 * its TaskResult. Everything is checked before anything is written, so a bad result throws without
 * leaving rows behind.
 */
import { Data, Field, Float64, List, RecordBatch, Schema, Struct, makeData } from 'apache-arrow';
import type { CurveColumns, DataColumns, NeuronColumns, RunMeasures } from '../metrics/task-result.js';
import {
  boolColumn, checkValue, fixedWidthListColumn, float64Column, int32Column, repeatedUtf8Column, scalarColumn,
} from './columns.js';
import { RUN_MEASURE_NAMES, RUN_MEASURE_TYPES, type ColumnType, type ConfigValue, type TableOptions } from './schema.js';

export function recordBatch(schema: Schema, columns: Data[]): RecordBatch {
  const length = columns.length === 0 ? 0 : columns[0].length;
  for (const [i, column] of columns.entries()) {
    if (column.length !== length) {
      throw new Error(`column ${schema.fields[i].name} has ${column.length} rows where ${schema.fields[0].name} has ${length}`);
    }
  }
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children: columns }));
}

function listType(schema: Schema, name: string): List<Float64> {
  return (schema.fields.find((f) => f.name === name) as Field<List<Float64>>).type;
}

function requireLength(what: string, array: ArrayLike<number> | undefined, length: number): void {
  if (array === undefined || array.length !== length) {
    throw new Error(`${what} has ${array === undefined ? 'no array' : `${array.length} entries`}, expected ${length}`);
  }
}

export function curvesBatch(schema: Schema, taskId: string, curves: CurveColumns): RecordBatch {
  const rows = curves.epoch.length;
  for (const name of ['train_loss', 'grad_norm', 'clipped', 'neurons_dead', 'median_activation_rate', 'lambda_max', 'test_mse'] as const) {
    requireLength(`task ${taskId}: curves.${name}`, curves[name], rows);
  }
  return recordBatch(schema, [
    repeatedUtf8Column([[taskId, rows]]),
    int32Column(curves.epoch),
    float64Column(curves.train_loss),
    float64Column(curves.grad_norm),
    boolColumn(curves.clipped),
    int32Column(curves.neurons_dead),
    float64Column(curves.median_activation_rate),
    float64Column(curves.lambda_max, true),
    float64Column(curves.test_mse, true),
  ]);
}

export function neuronsBatch(schema: Schema, options: TableOptions, taskId: string, neurons: NeuronColumns): RecordBatch {
  const width = neurons.activation_count.length;
  for (const name of ['activation_rate', 'w_norm', 'b', 'v', 'a', 't', 'g'] as const) {
    requireLength(`task ${taskId}: neurons.${name}`, neurons[name], width);
  }
  const neuronIndex = new Int32Array(width);
  for (let k = 0; k < width; k++) neuronIndex[k] = k;
  const columns: Data[] = [
    repeatedUtf8Column([[taskId, width]]),
    int32Column(neuronIndex),
    int32Column(neurons.activation_count),
    float64Column(neurons.activation_rate),
    float64Column(neurons.w_norm),
    float64Column(neurons.b),
    float64Column(neurons.v),
    float64Column(neurons.a),
    float64Column(neurons.t, true),
    float64Column(neurons.g, true),
  ];
  const inputDim = (name: 'w' | 'w0', weightsKxD: Float64Array | undefined): number => {
    if (weightsKxD === undefined) {
      throw new Error(`task ${taskId}: neurons.${name} is missing but the table options ask for it (${name === 'w' ? 'saveParams' : 'saveInitParams'})`);
    }
    const d = width === 0 ? 0 : weightsKxD.length / width;
    if (!Number.isInteger(d)) throw new Error(`task ${taskId}: neurons.${name} has ${weightsKxD.length} values, not a multiple of width ${width}`);
    return d;
  };
  if (options.saveParams) {
    columns.push(fixedWidthListColumn(listType(schema, 'w'), neurons.w!, width, inputDim('w', neurons.w)));
  } else if (neurons.w !== undefined) {
    throw new Error(`task ${taskId}: neurons.w is present but the table options have saveParams false`);
  }
  if (options.saveInitParams) {
    columns.push(fixedWidthListColumn(listType(schema, 'w0'), neurons.w0!, width, inputDim('w0', neurons.w0)));
    requireLength(`task ${taskId}: neurons.b0`, neurons.b0, width);
    requireLength(`task ${taskId}: neurons.v0`, neurons.v0, width);
    columns.push(float64Column(neurons.b0!), float64Column(neurons.v0!));
  } else if (neurons.w0 !== undefined || neurons.b0 !== undefined || neurons.v0 !== undefined) {
    throw new Error(`task ${taskId}: neurons.w0/b0/v0 are present but the table options have saveInitParams false`);
  }
  return recordBatch(schema, columns);
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** data rows: the training split (index 0..n-1) then the test split (index 0..n_test-1). */
export function dataBatch(schema: Schema, taskId: string, data: DataColumns): RecordBatch {
  const nTrain = data.yTrain.length;
  const nTest = data.yTest.length;
  if (!Number.isInteger(data.d) || data.d < 1) throw new Error(`task ${taskId}: data.d is ${data.d}, expected an integer >= 1`);
  requireLength(`task ${taskId}: data.xTrain`, data.xTrain, nTrain * data.d);
  requireLength(`task ${taskId}: data.f0Train`, data.f0Train, nTrain);
  requireLength(`task ${taskId}: data.xTest`, data.xTest, nTest * data.d);
  requireLength(`task ${taskId}: data.f0Test`, data.f0Test, nTest);
  const index = new Int32Array(nTrain + nTest);
  for (let i = 0; i < nTrain; i++) index[i] = i;
  for (let i = 0; i < nTest; i++) index[nTrain + i] = i;
  return recordBatch(schema, [
    repeatedUtf8Column([[taskId, nTrain + nTest]]),
    repeatedUtf8Column([['train', nTrain], ['test', nTest]]),
    int32Column(index),
    fixedWidthListColumn(listType(schema, 'x'), concat(data.xTrain, data.xTest), nTrain + nTest, data.d),
    float64Column(concat(data.yTrain, data.yTest)),
    float64Column(concat(data.f0Train, data.f0Test)),
  ]);
}

/**
 * The values of one runs row in schema order (task_id, config columns, measures), each checked
 * against its column type.
 */
export function runsRowValues(options: TableOptions, taskId: string, config: Record<string, ConfigValue>, run: RunMeasures): ConfigValue[] {
  if (typeof taskId !== 'string' || taskId === '') throw new Error(`task_id must be a non-empty string, got ${JSON.stringify(taskId)}`);
  const values: ConfigValue[] = [taskId];
  const known = new Set<string>();
  for (const column of options.configColumns) {
    known.add(column.name);
    if (!Object.prototype.hasOwnProperty.call(config, column.name)) {
      throw new Error(`task ${taskId}: config has no value for column ${column.name}`);
    }
    values.push(checked(taskId, `config.${column.name}`, column.type, config[column.name]));
  }
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      throw new Error(`task ${taskId}: config key ${key} is not a config column (columns: ${[...known].join(', ')})`);
    }
  }
  for (const name of RUN_MEASURE_NAMES) {
    values.push(checked(taskId, `run.${name}`, RUN_MEASURE_TYPES[name], run[name] === undefined ? null : run[name]));
  }
  return values;
}

function checked(taskId: string, what: string, type: ColumnType, value: unknown): ConfigValue {
  const problem = checkValue(type, value);
  if (problem !== null) throw new Error(`task ${taskId}: ${what} is ${JSON.stringify(value)}; expected ${problem}`);
  return value as ConfigValue;
}

/** A runs batch from rows of values (schema order), column by column. */
export function runsBatch(schema: Schema, types: readonly ColumnType[], rows: readonly ConfigValue[][]): RecordBatch {
  const columns: Data[] = types.map((type, c) => scalarColumn(type, rows.map((row) => row[c])));
  return recordBatch(schema, columns);
}
