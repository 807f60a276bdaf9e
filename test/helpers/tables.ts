import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';

/** Columns whose values depend on timing or on the schedule, not on the computation. */
export const TIMING_COLUMNS = new Set(['wall_ms']);

/** Reads a finished table with apache-arrow directly (independently of src/io). */
export function readArrow(dir: string, table: string): Table {
  return tableFromIPC(readFileSync(join(dir, `${table}.arrow`)));
}

/**
 * The rows of a table as plain arrays, with float64 values as their exact bit patterns (so that
 * equality is bit-for-bit, NaN and -0 included), timing columns left out.
 */
export function exactRows(table: Table): unknown[][] {
  const names = table.schema.fields.map((field) => field.name).filter((name) => !TIMING_COLUMNS.has(name));
  const view = new DataView(new ArrayBuffer(8));
  const exact = (value: unknown): unknown => {
    if (typeof value === 'number') {
      view.setFloat64(0, value);
      return `${view.getUint32(0).toString(16)}:${view.getUint32(4).toString(16)}`;
    }
    if (value && typeof value === 'object' && 'toArray' in (value as object)) {
      return Array.from((value as { toArray(): ArrayLike<unknown> }).toArray(), exact);
    }
    return value;
  };
  const rows: unknown[][] = [];
  for (let i = 0; i < table.numRows; i++) {
    rows.push(names.map((name) => exact(table.getChild(name)!.get(i))));
  }
  return rows;
}

export const TABLES = ['runs', 'curves', 'neurons'] as const;
