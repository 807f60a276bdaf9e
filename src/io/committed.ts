/**
 * What is committed in an output directory: the runs part files of every session, read in session
 * order up to their last complete batch. The latest commit of a task id wins (a --retry-failed run
 * replaces a failed task's rows); rows of other tables are reached only through a winning runs row.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import type { TaskStatus } from '../metrics/task-result.js';
import { type FrameHeader, StreamFileReader } from './frames.js';
import { PARTS_DIR, listSessions, partFileName, type TableName } from './parts.js';
import { PART_TABLES, type PartTable, partBytesColumn, partOffsetColumn } from './schema.js';

/** The latest commit of one task: where its runs row and its other batches are. */
export interface Commit {
  session: string;
  /** The runs part frame holding the row, and the row within it. */
  runsFrame: FrameHeader;
  row: number;
  status: TaskStatus;
  error: string | null;
  locations: Partial<Record<PartTable, { offset: number; bytes: number }>>;
}

export function partPath(dir: string, session: string, table: TableName): string {
  return join(dir, PARTS_DIR, session, partFileName(table));
}

function columnIndex(schema: Schema, name: string, path: string): number {
  const index = schema.fields.findIndex((f) => f.name === name);
  if (index < 0) throw new Error(`${path}: not a runs part file of this tool (no column ${name})`);
  return index;
}

/**
 * Latest commit per task id over all sessions of dir. Reads only; a missing directory, a session
 * without a runs file (a crash right after claiming it) or a cut-off tail are all just "nothing more".
 */
export function scanCommits(dir: string): Map<string, Commit> {
  const commits = new Map<string, Commit>();
  for (const session of listSessions(dir)) {
    const path = partPath(dir, session, 'runs');
    if (!existsSync(path)) continue;
    const reader = new StreamFileReader(path);
    try {
      if (reader.schema === null) continue;
      const schema = reader.schema;
      const taskIdAt = columnIndex(schema, 'task_id', path);
      const statusAt = columnIndex(schema, 'status', path);
      const errorAt = columnIndex(schema, 'error', path);
      const locationAt = PART_TABLES.map((table) => [
        table, columnIndex(schema, partOffsetColumn(table), path), columnIndex(schema, partBytesColumn(table), path),
      ] as const);
      for (const frame of reader.frames()) {
        const batch = reader.batchAt(frame);
        const taskIds = batch.getChildAt(taskIdAt)!;
        const statuses = batch.getChildAt(statusAt)!;
        const errors = batch.getChildAt(errorAt)!;
        for (let row = 0; row < batch.numRows; row++) {
          const locations: Commit['locations'] = {};
          for (const [table, offsetAt, bytesAt] of locationAt) {
            const offset = batch.getChildAt(offsetAt)!.get(row) as number | null;
            const bytes = batch.getChildAt(bytesAt)!.get(row) as number | null;
            if (offset !== null && bytes !== null) locations[table] = { offset, bytes };
          }
          commits.set(taskIds.get(row) as string, {
            session,
            runsFrame: frame,
            row,
            status: statuses.get(row) as TaskStatus,
            error: (errors.get(row) as string | null) ?? null,
            locations,
          });
        }
      }
    } finally {
      reader.close();
    }
  }
  return commits;
}

/**
 * Tasks committed in dir: the latest commit per task id wins; rows of uncommitted tasks and
 * truncated tails are ignored. Never modifies anything. The part files are the source of truth
 * (the final tables are derived from them), so this reads dir/parts only.
 */
export function scanCommitted(dir: string): Map<string, { status: TaskStatus; error: string | null }> {
  const out = new Map<string, { status: TaskStatus; error: string | null }>();
  for (const [taskId, commit] of scanCommits(dir)) out.set(taskId, { status: commit.status, error: commit.error });
  return out;
}
