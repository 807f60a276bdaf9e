/**
 * Arrow columns to plain JS values for the report. Nulls become NaN in numeric columns (so that
 * big neuron tables stay in typed arrays) and null in the rest; int64 (BigInt) becomes number.
 */
import type { Table } from 'apache-arrow';

export type Cell = number | string | boolean | null;

export function toCell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  // Lists (w, x) and other nested values are not used by the report.
  return null;
}

export function hasColumn(table: Table, name: string): boolean {
  return table.schema.fields.some((field) => field.name === name);
}

/** A numeric column as Float64Array (null, missing column or non-numeric -> NaN). */
export function numberColumn(table: Table, name: string): Float64Array {
  const out = new Float64Array(table.numRows).fill(NaN);
  const vector = table.getChild(name);
  if (!vector) return out;
  let i = 0;
  for (const value of vector) {
    if (typeof value === 'number') out[i] = value;
    else if (typeof value === 'bigint') out[i] = Number(value);
    else if (typeof value === 'boolean') out[i] = value ? 1 : 0;
    i++;
  }
  return out;
}

/** A string column (null where null or missing). */
export function stringColumn(table: Table, name: string): (string | null)[] {
  const vector = table.getChild(name);
  if (!vector) return new Array<string | null>(table.numRows).fill(null);
  const out: (string | null)[] = [];
  for (const value of vector) out.push(value === null || value === undefined ? null : String(value));
  return out;
}

/** Every scalar column of a (small) table as row objects; list columns are left out. */
export function tableRows(table: Table): Record<string, Cell>[] {
  const rows: Record<string, Cell>[] = Array.from({ length: table.numRows }, () => ({}));
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    if (!vector) continue;
    let i = 0;
    for (const value of vector) {
      rows[i][field.name] = toCell(value);
      i++;
    }
  }
  return rows;
}
