import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scanCommitted } from '../io/index.js';
import type { TaskStatus } from '../metrics/task-result.js';
import { expandSpec, parseShard, selectShard, validateSpec, type Task } from '../spec/index.js';
import { readManifest, type Manifest } from './manifest.js';
import { UsageError } from './output-dir.js';

export interface DirectoryState {
  dir: string;
  manifest: Manifest;
  /** The tasks this directory is responsible for (its shard, or all). */
  tasks: Task[];
  counts: Record<TaskStatus | 'missing', number>;
  /** Task ids a plain --resume would run, and what --retry-failed would add. */
  missing: string[];
  failed: string[];
}

/** Reads a directory's manifest and committed tasks and compares them with its spec. */
export function directoryState(dir: string): DirectoryState {
  const manifest = readManifest(dir);
  if (!manifest) throw new UsageError(`${dir}: no manifest.json; not a neural-shatter output directory`);
  const all = expandSpec(validateSpec(manifest.spec));
  let tasks = all;
  if (manifest.shard) {
    const shard = parseShard(manifest.shard);
    if (typeof shard === 'string') throw new UsageError(`${dir}: manifest shard ${manifest.shard} is malformed`);
    tasks = selectShard(all, shard);
  }
  const committed = scanCommitted(dir);
  const counts: Record<TaskStatus | 'missing', number> = { ok: 0, diverged: 0, failed: 0, timeout: 0, missing: 0 };
  const missing: string[] = [];
  const failed: string[] = [];
  for (const task of tasks) {
    const found = committed.get(task.id);
    if (!found) {
      counts.missing++;
      missing.push(task.id);
    } else {
      counts[found.status]++;
      if (found.status === 'failed' || found.status === 'timeout') failed.push(task.id);
    }
  }
  return { dir, manifest, tasks, counts, missing, failed };
}

/** Shard directories of a Slurm-style layout: DIR/shards/<i>/ holding manifests. */
export function shardDirectories(dir: string): string[] {
  const root = join(dir, 'shards');
  if (!existsSync(root) || !statSync(root).isDirectory()) return [];
  return readdirSync(root)
    .filter((name) => existsSync(join(root, name, 'manifest.json')))
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b))
    .map((name) => join(root, name));
}

function describe(state: DirectoryState, indent = ''): string[] {
  const { manifest, counts, tasks } = state;
  const done = counts.ok + counts.diverged;
  return [
    `${indent}${state.dir}: ${manifest.status}${manifest.shard ? `, shard ${manifest.shard}` : ''}`,
    `${indent}  tasks: ${tasks.length}; done ${done} (ok ${counts.ok}, diverged ${counts.diverged}); failed ${counts.failed}; timeout ${counts.timeout}; missing ${counts.missing}`,
    `${indent}  a --resume would run ${counts.missing} tasks; with --retry-failed ${counts.missing + counts.failed + counts.timeout}`,
  ];
}

/** `shatter inspect DIR`: status and provenance of a plain, running, interrupted or sharded directory. */
export function inspectDirectory(dir: string): string {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory`);
  const lines: string[] = [];
  const shards = shardDirectories(dir);
  const manifest = readManifest(dir);
  if (manifest) {
    const state = directoryState(dir);
    lines.push(...describe(state));
    lines.push(`  spec "${manifest.spec_name}" (spec_hash ${manifest.spec_hash.slice(0, 16)}), ${manifest.task_count} tasks in the whole spec`);
    lines.push(`  made by ${manifest.tool} ${manifest.tool_version}${manifest.git_commit ? ` (git ${manifest.git_commit.slice(0, 12)})` : ''}, node ${manifest.versions.node}, on ${manifest.host} (${manifest.cpu}, ${manifest.cores} cores)`);
    lines.push(`  started ${manifest.started}${manifest.ended ? `, ended ${manifest.ended}` : ''}; ${manifest.sessions.length} session(s)`);
    if (manifest.merged_from) lines.push(`  merged from: ${manifest.merged_from.join(', ')}`);
    if (manifest.mixed_versions) lines.push(`  holds results of several versions of the tool: ${manifest.mixed_versions.join(', ')} (allowed with --allow-mixed-versions)`);
  }
  if (shards.length > 0) {
    lines.push(`${dir}/shards: ${shards.length} shard directories`);
    let incomplete = 0;
    for (const shardDir of shards) {
      const state = directoryState(shardDir);
      lines.push(...describe(state, '  '));
      if (state.counts.missing + state.counts.failed + state.counts.timeout > 0) incomplete++;
    }
    lines.push(`  ${incomplete} shard(s) not finished`);
  }
  if (!manifest && shards.length === 0) throw new UsageError(`${dir}: no manifest.json and no shards/; not a neural-shatter output directory`);
  return lines.join('\n');
}
