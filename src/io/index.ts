/**
 * io: Arrow schemas, crash-safe streaming writers, recovery, finalisation and combining of sweep
 * output directories.
 *
 * On disk (DIR is a sweep's --out directory):
 *   DIR/parts/NNNNNN/runs.arrows, curves.arrows, neurons.arrows[, data.arrows]
 *       Arrow IPC streams, one numbered session per SweepWriter.open (each run or resume) and per
 *       combine. They are the source of truth and are kept after finalisation: a resume after
 *       finalisation just opens a new session, and the next finalisation folds it in. See parts.ts.
 *       scanCommitted therefore reads the parts only. The price: the rows are on disk twice (parts
 *       and tables). Deleting parts/ is refused later: finalisation will not rewrite a runs.arrow
 *       holding tasks the parts no longer have.
 *   DIR/runs.arrow, curves.arrow, neurons.arrow[, data.arrow]
 *       Feather v2 (Arrow IPC file format), sorted by task_id, explicit schemas (schema.ts), derived
 *       from the parts by finalizeOutput; written to NAME.partial and renamed, so they are always
 *       whole files, and rewritten identically by every later finalisation.
 *
 * Commit protocol: SweepWriter.commit writes a task's data, neurons and curves batches, then its
 * runs row, which holds the offsets of those batches; the runs row is the commit. A kill -9 loses
 * at most a task whose runs row was not yet written; its stray batches are never referenced, and a
 * frame cut short at the end of a file is not read. The latest commit of a task id wins.
 * Durability: commits are written with fs.writeSync (safe against a crash of the process);
 * close() and finalisation fsync (safe against a crash of the machine from then on).
 */
export type { ColumnType, ConfigColumn, ConfigValue, TableOptions } from './schema.js';
export { RUN_MEASURE_TYPES, tableSchemas } from './schema.js';
export { SweepWriter } from './writer.js';
export { scanCommitted } from './committed.js';
export { FINAL_FILES, finalizeOutput } from './finalize.js';
export { combineOutputs } from './combine.js';
export { readTable } from './read.js';
// Read side of the part files, for readers of a sweep that is still running (report, inspect).
export { type Commit, partPath, scanCommits } from './committed.js';
export { listSessions } from './parts.js';
export { StreamFileReader, decodeBatch, frameBytes, readFrame, readFrameHeader } from './frames.js';
