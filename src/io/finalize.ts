/**
 * Finalisation: the Feather v2 tables users read, derived from what is committed in the part files.
 * A pure function of the committed tasks (latest commit per task id), so it can be run again at any
 * time, and after a crash in the middle of itself, to give the same bytes.
 */
import { closeSync, existsSync, fsyncSync, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runsBatch } from './batches.js';
import { type Commit, scanCommits } from './committed.js';
import { FeatherFileWriter } from './files.js';
import { FrameEncoder } from './frames.js';
import { PARTS_DIR, runsColumnTypes } from './parts.js';
import { readTable } from './read.js';
import { SessionFiles } from './sessions.js';
import { type ConfigValue, type PartTable, type TableOptions, tableSchemas } from './schema.js';

/** runs.arrow rows per record batch (its rows are small; one batch per task would be wasteful). */
export const RUNS_ROWS_PER_BATCH = 1024;

export const FINAL_FILES = { runs: 'runs.arrow', curves: 'curves.arrow', neurons: 'neurons.arrow', data: 'data.arrow' } as const;

export const compareTaskIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The part files only ever gain tasks, so a runs.arrow holding a task that is not committed in them
 * means part files were deleted or moved: rewriting the tables would silently drop results.
 */
function refuseToDropTasks(dir: string, commits: Map<string, Commit>): void {
  const path = join(dir, FINAL_FILES.runs);
  if (!existsSync(path)) return;
  const taskIds = readTable(path).getChild('task_id');
  const missing: string[] = [];
  for (let i = 0; i < (taskIds?.length ?? 0); i++) {
    const taskId = taskIds!.get(i) as string;
    if (!commits.has(taskId)) missing.push(taskId);
  }
  if (missing.length > 0) {
    throw new Error(
      `${path} holds ${missing.length} task(s) that are not in the part files under ${join(dir, PARTS_DIR)} ` +
        `(${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}): the parts are the source of truth ` +
        'the tables are made from, and some are missing, so the tables are left as they are',
    );
  }
}

/**
 * Writes dir/runs.arrow, curves.arrow, neurons.arrow (and data.arrow when any task saved data)
 * sorted by task_id, one curves / neurons / data batch per task (copied byte for byte from its part
 * file) and runs rows in batches of RUNS_ROWS_PER_BATCH. Each file goes to a .partial name and is
 * renamed when whole. Memory: one task's batches at a time plus a small index entry per task.
 */
export function finalizeOutput(dir: string, options: TableOptions): { tasks: number; byStatus: Record<string, number> } {
  const schemas = tableSchemas(options);
  const commits = scanCommits(dir);
  refuseToDropTasks(dir, commits);
  const taskIds = [...commits.keys()].sort(compareTaskIds);
  const withData = options.saveData === true && taskIds.some((id) => commits.get(id)!.locations.data !== undefined);
  const tables: PartTable[] = withData ? ['neurons', 'curves', 'data'] : ['neurons', 'curves'];
  const runsEncoder = new FrameEncoder(schemas.runs);
  const runsTypes = runsColumnTypes(options);
  const files = new SessionFiles(dir, schemas);
  const runsWriter = new FeatherFileWriter(join(dir, FINAL_FILES.runs), schemas.runs, runsEncoder.schemaFrame);
  const writers = new Map(tables.map((table) => [
    table,
    new FeatherFileWriter(join(dir, FINAL_FILES[table]), schemas[table], new FrameEncoder(schemas[table]).schemaFrame),
  ]));
  const byStatus: Record<string, number> = {};
  try {
    let pendingRows: ConfigValue[][] = [];
    const flushRuns = (): void => {
      if (pendingRows.length === 0) return;
      runsWriter.appendFrame(runsEncoder.encode(runsBatch(schemas.runs, runsTypes, pendingRows)));
      pendingRows = [];
    };
    for (const taskId of taskIds) {
      const commit: Commit = commits.get(taskId)!;
      pendingRows.push(files.runsValues(commit, schemas.runs));
      if (pendingRows.length === RUNS_ROWS_PER_BATCH) flushRuns();
      for (const table of tables) {
        const frame = files.frame(commit, table);
        if (frame !== null) writers.get(table)!.appendFrame(frame.bytes, frame.metadataBytes);
      }
      byStatus[commit.status] = (byStatus[commit.status] ?? 0) + 1;
    }
    flushRuns();
  } catch (error) {
    runsWriter.abandon();
    for (const writer of writers.values()) writer.abandon();
    throw error;
  } finally {
    files.close();
  }
  // runs.arrow last: a reader that sees the new runs table sees the new others too, unless a crash
  // interrupts these renames (then the next finalisation, or resume, writes them all again).
  for (const writer of writers.values()) writer.finish();
  if (!withData) rmSync(join(dir, FINAL_FILES.data), { force: true });
  runsWriter.finish();
  syncDirectory(dir);
  return { tasks: taskIds.length, byStatus };
}
