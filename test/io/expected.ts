/**
 * What the final tables must hold for a set of committed synthetic tasks, as plain columns
 * (null where Arrow has null, number[] for list cells), and the same view of a table read back.
 */
import type { Table } from 'apache-arrow';
import { RUN_MEASURE_TYPES, type TableOptions } from '../../src/io/index.js';
import { OPTIONS, SMALL, type TaskShape, taskConfig, taskId, taskResult } from './fixtures.js';

export type Columns = Record<string, unknown[]>;
export interface Committed { index: number; variant?: number }

const nanToNull = (x: number): number | null => (Number.isNaN(x) ? null : x);

function push(columns: Columns, name: string, value: unknown): void {
  (columns[name] ??= []).push(value);
}

function rows(values: Float64Array, rowCount: number, width: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rowCount; r++) out.push(Array.from(values.subarray(r * width, (r + 1) * width)));
  return out;
}

export function expectedTables(committed: Committed[], shape: TaskShape = SMALL, options: TableOptions = OPTIONS): Record<'runs' | 'curves' | 'neurons' | 'data', Columns> {
  const sorted = [...committed].sort((a, b) => (taskId(a.index) < taskId(b.index) ? -1 : 1));
  const runs: Columns = {};
  const curves: Columns = {};
  const neurons: Columns = {};
  const data: Columns = {};
  for (const { index, variant = 0 } of sorted) {
    const id = taskId(index);
    const result = taskResult(index, shape, variant, options);
    const config = taskConfig(index);
    push(runs, 'task_id', id);
    for (const column of options.configColumns) push(runs, column.name, config[column.name]);
    for (const name of Object.keys(RUN_MEASURE_TYPES) as (keyof typeof RUN_MEASURE_TYPES)[]) push(runs, name, result.run[name]);
    if (result.curves) {
      const c = result.curves;
      for (let i = 0; i < c.epoch.length; i++) {
        push(curves, 'task_id', id);
        push(curves, 'epoch', c.epoch[i]);
        push(curves, 'train_loss', c.train_loss[i]);
        push(curves, 'grad_norm', c.grad_norm[i]);
        push(curves, 'clipped', c.clipped[i] === 1);
        push(curves, 'neurons_dead', c.neurons_dead[i]);
        push(curves, 'median_activation_rate', c.median_activation_rate[i]);
        push(curves, 'lambda_max', nanToNull(c.lambda_max[i]));
        push(curves, 'test_mse', nanToNull(c.test_mse[i]));
      }
    }
    if (result.neurons) {
      const n = result.neurons;
      const width = n.activation_count.length;
      const w = n.w ? rows(n.w, width, n.w.length / width) : [];
      const w0 = n.w0 ? rows(n.w0, width, n.w0.length / width) : [];
      for (let k = 0; k < width; k++) {
        push(neurons, 'task_id', id);
        push(neurons, 'neuron', k);
        push(neurons, 'activation_count', n.activation_count[k]);
        for (const name of ['activation_rate', 'w_norm', 'b', 'v', 'a'] as const) push(neurons, name, n[name][k]);
        push(neurons, 't', nanToNull(n.t[k]));
        push(neurons, 'g', nanToNull(n.g[k]));
        if (options.saveParams) push(neurons, 'w', w[k]);
        if (options.saveInitParams) {
          push(neurons, 'w0', w0[k]);
          push(neurons, 'b0', n.b0![k]);
          push(neurons, 'v0', n.v0![k]);
        }
      }
    }
    if (result.data) {
      const dt = result.data;
      const splits: [string, Float64Array, Float64Array, Float64Array][] = [
        ['train', dt.xTrain, dt.yTrain, dt.f0Train],
        ['test', dt.xTest, dt.yTest, dt.f0Test],
      ];
      for (const [split, x, y, f0] of splits) {
        const xs = rows(x, y.length, dt.d);
        for (let i = 0; i < y.length; i++) {
          push(data, 'task_id', id);
          push(data, 'split', split);
          push(data, 'index', i);
          push(data, 'x', xs[i]);
          push(data, 'y', y[i]);
          push(data, 'f0', f0[i]);
        }
      }
    }
  }
  return { runs, curves, neurons, data };
}

/** A table read back, in the same plain form. */
export function tableColumns(table: Table): Columns {
  const out: Columns = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    const values: unknown[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const value = vector.get(i);
      values.push(value !== null && typeof value === 'object' && 'toArray' in value ? Array.from((value as { toArray(): ArrayLike<number> }).toArray()) : value);
    }
    out[field.name] = values;
  }
  return out;
}
