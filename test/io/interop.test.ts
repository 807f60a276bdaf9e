/**
 * Independent readers: the final tables as pyarrow.feather.read_table and polars.read_ipc see them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_MEASURE_TYPES, SweepWriter, finalizeOutput } from '../../src/io/index.js';
import { NO_PYTHON_MESSAGE, pythonWithArrow, runPythonJson } from '../helpers/python.js';
import { OPTIONS, taskConfig, taskId, taskResult } from './fixtures.js';
import { type Columns, expectedTables } from './expected.js';

export const READ_TABLES_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'read_tables.py');

const python = pythonWithArrow();
if (python === null) console.warn(`test/io/interop.test.ts ${NO_PYTHON_MESSAGE}`);

interface Seen {
  pyarrow: { schema: [string, string, string | null, boolean][]; rows: number; columns: Columns };
  polars: { schema: [string, string][]; rows: number; columns: Columns };
}

/** Column types each reader must report (pyarrow's and polars' names for our explicit types). */
const ARROW_TYPES = { float64: ['double', 'Float64'], int32: ['int32', 'Int32'], utf8: ['string', 'String'], bool: ['bool', 'Boolean'], list: ['list<item: double>', 'List(Float64)'] } as const;
type Kind = keyof typeof ARROW_TYPES;

const CURVES: Record<string, Kind> = { task_id: 'utf8', epoch: 'int32', train_loss: 'float64', grad_norm: 'float64', clipped: 'bool', neurons_dead: 'int32', median_activation_rate: 'float64', lambda_max: 'float64', test_mse: 'float64' };
const NEURONS: Record<string, Kind> = { task_id: 'utf8', neuron: 'int32', activation_count: 'int32', activation_rate: 'float64', w_norm: 'float64', b: 'float64', v: 'float64', a: 'float64', t: 'float64', g: 'float64', w: 'list', w0: 'list', b0: 'float64', v0: 'float64' };
const DATA: Record<string, Kind> = { task_id: 'utf8', split: 'utf8', index: 'int32', x: 'list', y: 'float64', f0: 'float64' };

function expectedKinds(table: string): Record<string, Kind> {
  if (table === 'curves') return CURVES;
  if (table === 'neurons') return NEURONS;
  if (table === 'data') return DATA;
  const kinds: Record<string, Kind> = { task_id: 'utf8' };
  for (const column of OPTIONS.configColumns) kinds[column.name] = column.type;
  for (const [name, type] of Object.entries(RUN_MEASURE_TYPES)) kinds[name] = type;
  return kinds;
}

describe.skipIf(python === null)('pyarrow and polars read the final tables', () => {
  const tables = ['runs', 'curves', 'neurons', 'data'] as const;
  const indices = Array.from({ length: 9 }, (_, i) => i);
  const expected = expectedTables(indices.map((index) => ({ index })));
  let dir: string;
  let seen: Record<string, Seen>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'io-interop-'));
    const writer = SweepWriter.open(dir, OPTIONS);
    for (const index of indices) writer.commit(taskId(index), taskConfig(index), taskResult(index));
    writer.close();
    finalizeOutput(dir, OPTIONS);
    seen = runPythonJson(python!, READ_TABLES_SCRIPT, [dir, ...tables]) as Record<string, Seen>;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const table of tables) {
    it(`${table}: pyarrow sees our explicit types, list children named item, no dictionaries`, () => {
      const kinds = expectedKinds(table);
      expect(seen[table].pyarrow.schema).toEqual(
        Object.entries(kinds).map(([name, kind]) => [name, ARROW_TYPES[kind][0], kind === 'list' ? 'item' : null, false]),
      );
    });

    it(`${table}: polars sees the same columns with its types`, () => {
      const kinds = expectedKinds(table);
      expect(seen[table].polars.schema).toEqual(Object.entries(kinds).map(([name, kind]) => [name, ARROW_TYPES[kind][1]]));
    });

    it(`${table}: both readers get every row and value written, nulls included`, () => {
      const rows = expected[table].task_id.length;
      expect(rows).toBeGreaterThan(0);
      expect(seen[table].pyarrow.rows).toBe(rows);
      expect(seen[table].polars.rows).toBe(rows);
      expect(seen[table].pyarrow.columns).toEqual(expected[table]);
      expect(seen[table].polars.columns).toEqual(expected[table]);
    });
  }
});
