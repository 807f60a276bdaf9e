/**
 * combineOutputs: the union of several output directories (shards) as one. The committed tasks of
 * the inputs are copied into a new part session of outDir (batch frames byte for byte, runs rows
 * re-pointed at their new offsets), then outDir is finalised like any other directory, so its
 * tables are the same bytes a single run holding all the tasks would have written, and outDir can
 * itself be resumed or combined later.
 */
import { resolve } from 'node:path';
import { type Commit, scanCommits } from './committed.js';
import { compareTaskIds, finalizeOutput } from './finalize.js';
import { PartSession, type PartLocation } from './parts.js';
import { SessionFiles } from './sessions.js';
import { PART_TABLES, type PartTable, type TableOptions, tableSchemas } from './schema.js';

export function combineOutputs(inputDirs: string[], outDir: string, options: TableOptions): { tasks: number } {
  const schemas = tableSchemas(options);
  if (inputDirs.length === 0) throw new Error('combineOutputs: no input directories given');
  const outResolved = resolve(outDir);
  const inputs: { dir: string; commits: Map<string, Commit> }[] = [];
  const ownerOf = new Map<string, string>();
  for (const dir of inputDirs) {
    if (resolve(dir) === outResolved) throw new Error(`combineOutputs: the output directory ${outDir} is also an input`);
    const commits = scanCommits(dir);
    for (const taskId of commits.keys()) {
      const owner = ownerOf.get(taskId);
      if (owner !== undefined) throw new Error(`combineOutputs: task ${taskId} is committed in both ${owner} and ${dir}`);
      ownerOf.set(taskId, dir);
    }
    inputs.push({ dir, commits });
  }
  ownerOf.clear();
  const session = PartSession.open(outDir, options);
  try {
    for (const { dir, commits } of inputs) {
      const files = new SessionFiles(dir, schemas);
      try {
        for (const taskId of [...commits.keys()].sort(compareTaskIds)) {
          const commit = commits.get(taskId)!;
          const locations: Partial<Record<PartTable, PartLocation>> = {};
          for (const table of PART_TABLES) {
            if (table === 'data' && !options.saveData) continue;
            const frame = files.frame(commit, table);
            if (frame !== null) locations[table] = session.appendFrame(table, frame.bytes);
          }
          session.commitRunsRow(files.runsValues(commit, schemas.runs), locations);
        }
      } finally {
        files.close();
      }
    }
  } finally {
    session.close();
  }
  return { tasks: finalizeOutput(outDir, options).tasks };
}
