import { readFileSync } from 'node:fs';
import { type Table, tableFromIPC } from 'apache-arrow';

/** Reads one finished table (Feather v2) fully; for tests, inspect and report. */
export function readTable(path: string): Table {
  return tableFromIPC(readFileSync(path));
}
