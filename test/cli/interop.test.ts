import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTask } from '../../src/metrics/index.js';
import { expandSpec, validateSpec } from '../../src/spec/index.js';
import { runCli, tempDir, writeSpec } from '../helpers/cli.js';
import { NO_PYTHON_MESSAGE, pythonWithArrow } from '../helpers/python.js';

type Row = Record<string, unknown>;
type Tables = Record<'runs' | 'curves' | 'neurons' | 'data', { schema: Record<string, string>; list_children: Record<string, string>; rows: Row[]; polars_dtypes: Record<string, string> }>;

const python = pythonWithArrow();

/** JSON has no NaN: Python's json writes NaN for null-free floats, so map what the engine gives the same way. */
const value = (x: number) => (Number.isFinite(x) ? x : null);

describe('a real run read by pyarrow and polars', () => {
  it.skipIf(!python)(`gives back exactly what the engine computed, with the documented schemas${python ? '' : ` (${NO_PYTHON_MESSAGE})`}`, () => {
    const dir = tempDir();
    const spec = {
      name: 'interop',
      fixed: { d: 3, n: 12, width: 5, epochs: 30, n_test: 7, curve_every: 10, lambda_max_every: 15, loss: 'mse' },
      grid: { optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }, { label: 'wd', eta: 0.05, weight_decay: 0.1 }] },
      save: { params: true, init_params: true, data: true },
    };
    const out = join(dir, 'out');
    const run = runCli(['run', writeSpec(dir, 'interop.json', spec), '--out', out, '--quiet']);
    expect(run.code, run.stderr).toBe(0);
    const read = spawnSync(python!, [join(__dirname, 'read_run.py'), out], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(read.status, read.stderr).toBe(0);
    const tables = JSON.parse(read.stdout) as Tables;

    expect(tables.runs.schema).toMatchObject({ task_id: 'string', d: 'int32', eta: 'double', optim: 'string', status: 'string', train_loss: 'double', lambda_max_converged: 'bool', neurons_dead: 'int32' });
    expect(tables.curves.schema).toMatchObject({ epoch: 'int32', clipped: 'bool', lambda_max: 'double' });
    expect(tables.neurons.schema).toMatchObject({ neuron: 'int32', activation_count: 'int32', w: 'list<item: double>', w0: 'list<item: double>' });
    expect(tables.data.schema).toMatchObject({ split: 'string', index: 'int32', x: 'list<item: double>', y: 'double', f0: 'double' });
    for (const table of Object.values(tables)) {
      expect(Object.values(table.list_children).every((name) => name === 'item')).toBe(true);
      expect(Object.values(table.polars_dtypes).some((dtype) => /Categorical|Dictionary/i.test(dtype))).toBe(false);
    }

    const tasks = expandSpec(validateSpec(spec));
    expect(tables.runs.rows.map((row) => row.task_id)).toEqual(tasks.map((task) => task.id).sort());
    for (const task of tasks) {
      const engine = runTask(task.config, { params: true, init_params: true, data: true });
      const runRow = tables.runs.rows.find((row) => row.task_id === task.id)!;
      for (const key of ['train_loss', 'test_mse', 'test_risk', 'lambda_max', 'vg_norm', 'thm32_bound', 'beta', 'median_activation_rate'] as const) {
        expect(runRow[key], key).toBe(engine.run[key]);
      }
      expect(runRow.status).toBe(engine.run.status);
      const curveRows = tables.curves.rows.filter((row) => row.task_id === task.id);
      expect(curveRows.map((row) => row.epoch)).toEqual([...engine.curves!.epoch]);
      expect(curveRows.map((row) => row.train_loss)).toEqual([...engine.curves!.train_loss]);
      expect(curveRows.map((row) => row.lambda_max)).toEqual([...engine.curves!.lambda_max].map(value));
      const neuronRows = tables.neurons.rows.filter((row) => row.task_id === task.id);
      expect(neuronRows).toHaveLength(5);
      expect(neuronRows.map((row) => row.a)).toEqual([...engine.neurons!.a]);
      expect(neuronRows.flatMap((row) => row.w as number[])).toEqual([...engine.neurons!.w!]);
      expect(neuronRows.flatMap((row) => row.w0 as number[])).toEqual([...engine.neurons!.w0!]);
      const dataRows = tables.data.rows.filter((row) => row.task_id === task.id);
      expect(dataRows).toHaveLength(12 + 7);
      const train = dataRows.filter((row) => row.split === 'train');
      expect(train.flatMap((row) => row.x as number[])).toEqual([...engine.data!.xTrain]);
      expect(train.map((row) => row.y)).toEqual([...engine.data!.yTrain]);
      expect(dataRows.filter((row) => row.split === 'test').map((row) => row.f0)).toEqual([...engine.data!.f0Test]);
    }
  }, 60_000);
});
