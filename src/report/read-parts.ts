/**
 * The committed rows of a sweep that has not been finalised, read from its part files the way
 * io's finalisation reads them: io's scan gives the latest commit of every task id (its runs row
 * and where its curves and neurons batches sit); uncommitted rows and cut-off tails are never
 * reached. Read-only, so it is safe while the sweep is writing.
 */
import { Table } from 'apache-arrow';
import { StreamFileReader, decodeBatch, frameBytes, partPath, readFrame, readFrameHeader, scanCommits, type Commit } from '../io/index.js';
import { toCell, type Cell } from './columns.js';

/** Index columns of runs part files (__part_<table>_offset / _bytes), not shown to users. */
const PART_INDEX_COLUMN = /^__part_/;

export interface CommittedTables {
  runColumns: string[];
  runs: Record<string, Cell>[];
  /** One table per committed task that has rows in it. */
  curves: Table[];
  neurons: Table[];
  /** Commits whose batches could not be read (their runs row is still shown). */
  unreadable: string[];
}

export function readCommitted(dir: string): CommittedTables {
  const commits = [...scanCommits(dir).entries()].sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0));
  const readers = new Map<string, StreamFileReader>();
  const reader = (session: string, table: 'runs' | 'curves' | 'neurons') => {
    const key = `${session}/${table}`;
    let found = readers.get(key);
    if (!found) readers.set(key, (found = new StreamFileReader(partPath(dir, session, table))));
    return found;
  };
  const out: CommittedTables = { runColumns: [], runs: [], curves: [], neurons: [], unreadable: [] };
  try {
    for (const [taskId, commit] of commits) {
      const runsReader = reader(commit.session, 'runs');
      const batch = runsReader.batchAt(commit.runsFrame);
      const row: Record<string, Cell> = {};
      batch.schema.fields.forEach((field, c) => {
        if (PART_INDEX_COLUMN.test(field.name)) return;
        if (out.runs.length === 0 && !out.runColumns.includes(field.name)) out.runColumns.push(field.name);
        row[field.name] = toCell(batch.getChildAt(c)!.get(commit.row));
      });
      out.runs.push(row);
      for (const table of ['curves', 'neurons'] as const) {
        try {
          const rows = batchOf(commit, table, reader);
          if (rows) out[table].push(rows);
        } catch (error) {
          out.unreadable.push(`${taskId} (${table}: ${(error as Error).message})`);
        }
      }
    }
  } finally {
    for (const open of readers.values()) open.close();
  }
  return out;
}

function batchOf(commit: Commit, table: 'curves' | 'neurons', reader: (session: string, table: 'curves' | 'neurons') => StreamFileReader): Table | null {
  const location = commit.locations[table];
  if (location === undefined) return null;
  const file = reader(commit.session, table);
  if (file.schemaFrame === null) throw new Error(`${file.path} has no schema`);
  const header = readFrameHeader(file.fd, location.offset, file.fileBytes);
  if (header === null || header.kind !== 'batch' || frameBytes(header) !== location.bytes) {
    throw new Error(`no record batch of ${location.bytes} bytes at byte ${location.offset}`);
  }
  return new Table([decodeBatch(file.schemaFrame, readFrame(file.fd, header))]);
}
