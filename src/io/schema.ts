/**
 * Explicit Arrow schemas of the output tables (DESIGN.md "Columns users' scripts rely on" and the
 * Arrow-types Decision): float64 measures, int32 counts and indices (int64 would reach JS users as
 * BigInt), plain Utf8 strings (never dictionaries: they differ between shards and become polars
 * `cat`), bool flags, list<float64> with the child field named `item` (polars rejects unnamed children).
 */
import { Bool, DataType, Field, Float64, Int32, List, Schema, Utf8 } from 'apache-arrow';
import type { RunMeasures } from '../metrics/task-result.js';

export type ConfigValue = number | string | boolean | null;
export type ColumnType = 'float64' | 'int32' | 'utf8' | 'bool';
export interface ConfigColumn { name: string; type: ColumnType }

export interface TableOptions {
  /** The runs table's config columns, in order (right after task_id). */
  configColumns: ConfigColumn[];
  /** neurons gets the list column w (save.params). */
  saveParams?: boolean;
  /** neurons gets w0 (list), b0, v0 (save.init_params). */
  saveInitParams?: boolean;
  /** data.arrow is written (save.data). */
  saveData?: boolean;
}

/** RunMeasures' columns in its declaration order, with their Arrow types. */
export const RUN_MEASURE_TYPES: { readonly [K in keyof RunMeasures]-?: ColumnType } = {
  status: 'utf8',
  error: 'utf8',
  epochs_run: 'int32',
  diverged_epoch: 'int32',
  train_loss: 'float64',
  test_mse: 'float64',
  test_risk: 'float64',
  gen_gap: 'float64',
  lambda_max: 'float64',
  lambda_max_iters: 'int32',
  lambda_max_residual: 'float64',
  lambda_max_converged: 'bool',
  eos_ratio: 'float64',
  hessian_trace: 'float64',
  hessian_trace_se: 'float64',
  vg_norm: 'float64',
  thm32_bound: 'float64',
  vg_zero_neurons: 'int32',
  data_radius: 'float64',
  beta: 'float64',
  clipped_epochs: 'int32',
  neurons_dead: 'int32',
  neurons_partial: 'int32',
  neurons_full: 'int32',
  median_activation_rate: 'float64',
  kernel_used: 'utf8',
  wall_ms: 'float64',
};

export const RUN_MEASURE_NAMES = Object.keys(RUN_MEASURE_TYPES) as (keyof RunMeasures)[];

/**
 * Columns that exist only in the runs part files: where the same commit's curves / neurons / data
 * batch sits in its session's part file (byte offset and length; null when the task wrote none).
 * They make the runs row the index of its commit, so finalisation never scans the big tables.
 */
export const PART_TABLES = ['curves', 'neurons', 'data'] as const;
export type PartTable = (typeof PART_TABLES)[number];
export const partOffsetColumn = (table: PartTable): string => `__part_${table}_offset`;
export const partBytesColumn = (table: PartTable): string => `__part_${table}_bytes`;

const ALLOWED_TYPES: readonly ColumnType[] = ['float64', 'int32', 'utf8', 'bool'];

export function arrowType(type: ColumnType): DataType {
  switch (type) {
    case 'float64': return new Float64();
    case 'int32': return new Int32();
    case 'utf8': return new Utf8();
    case 'bool': return new Bool();
  }
}

const listOfFloat64 = (): List<Float64> => new List(new Field('item', new Float64(), true));

/** Checks TableOptions and throws a message naming the field at fault. */
export function validateOptions(options: TableOptions): void {
  if (options === null || typeof options !== 'object' || !Array.isArray(options.configColumns)) {
    throw new Error('TableOptions.configColumns must be an array of {name, type}');
  }
  const taken = new Set<string>(['task_id', ...RUN_MEASURE_NAMES]);
  for (const table of PART_TABLES) taken.add(partOffsetColumn(table)).add(partBytesColumn(table));
  for (const [i, column] of options.configColumns.entries()) {
    if (typeof column?.name !== 'string' || column.name === '') {
      throw new Error(`TableOptions.configColumns[${i}].name must be a non-empty string, got ${JSON.stringify(column?.name)}`);
    }
    if (!ALLOWED_TYPES.includes(column.type)) {
      throw new Error(`TableOptions.configColumns[${i}].type (column ${column.name}) is ${JSON.stringify(column.type)}; allowed: ${ALLOWED_TYPES.join(', ')}`);
    }
    if (taken.has(column.name)) {
      throw new Error(`TableOptions.configColumns[${i}].name ${JSON.stringify(column.name)} is used twice or clashes with a runs column`);
    }
    taken.add(column.name);
  }
  for (const flag of ['saveParams', 'saveInitParams', 'saveData'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw new Error(`TableOptions.${flag} must be a boolean, got ${JSON.stringify(options[flag])}`);
    }
  }
}

export interface TableSchemas {
  /** runs.arrow as users see it. */
  runs: Schema;
  /** runs part files: runs plus the __part_* index columns. */
  runsPart: Schema;
  curves: Schema;
  neurons: Schema;
  data: Schema;
}

export function tableSchemas(options: TableOptions): TableSchemas {
  validateOptions(options);
  const runsFields = [
    new Field('task_id', new Utf8(), false),
    ...options.configColumns.map((c) => new Field(c.name, arrowType(c.type), true)),
    ...RUN_MEASURE_NAMES.map((name) => new Field(name, arrowType(RUN_MEASURE_TYPES[name]), true)),
  ];
  const partFields = PART_TABLES.flatMap((table) => [
    new Field(partOffsetColumn(table), new Float64(), true),
    new Field(partBytesColumn(table), new Float64(), true),
  ]);
  const curves = new Schema([
    new Field('task_id', new Utf8(), false),
    new Field('epoch', new Int32(), false),
    new Field('train_loss', new Float64(), true),
    new Field('grad_norm', new Float64(), true),
    new Field('clipped', new Bool(), true),
    new Field('neurons_dead', new Int32(), true),
    new Field('median_activation_rate', new Float64(), true),
    new Field('lambda_max', new Float64(), true),
    new Field('test_mse', new Float64(), true),
  ]);
  const neuronFields: Field[] = [
    new Field('task_id', new Utf8(), false),
    new Field('neuron', new Int32(), false),
    new Field('activation_count', new Int32(), true),
    new Field('activation_rate', new Float64(), true),
    new Field('w_norm', new Float64(), true),
    new Field('b', new Float64(), true),
    new Field('v', new Float64(), true),
    new Field('a', new Float64(), true),
    new Field('t', new Float64(), true),
    new Field('g', new Float64(), true),
  ];
  if (options.saveParams) neuronFields.push(new Field('w', listOfFloat64(), true));
  if (options.saveInitParams) {
    neuronFields.push(
      new Field('w0', listOfFloat64(), true),
      new Field('b0', new Float64(), true),
      new Field('v0', new Float64(), true),
    );
  }
  const data = new Schema([
    new Field('task_id', new Utf8(), false),
    new Field('split', new Utf8(), false),
    new Field('index', new Int32(), false),
    new Field('x', listOfFloat64(), true),
    new Field('y', new Float64(), true),
    new Field('f0', new Float64(), true),
  ]);
  return {
    runs: new Schema(runsFields),
    runsPart: new Schema([...runsFields, ...partFields]),
    curves,
    neurons: new Schema(neuronFields),
    data,
  };
}

/** A one-line description of a schema's columns and types, for comparisons and error messages. */
export function describeSchema(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}: ${String(f.type)}`).join(', ');
}
