import { existsSync } from 'node:fs';
import { combineOutputs, scanCommitted } from '../io/index.js';
import { expandSpec, validateSpec } from '../spec/index.js';
import { provenance, readManifest, versionsHeld, writeManifest, type Manifest } from './manifest.js';
import { acquireLock, ensureWritableDir, UsageError } from './output-dir.js';
import { tableOptions } from './run.js';

export interface MergeOptions {
  inputs: string[];
  out: string;
  allowMixedVersions: boolean;
}

function list(items: string[], most = 5): string {
  return items.length <= most ? items.join(', ') : `${items.slice(0, most).join(', ')} and ${items.length - most} more`;
}

/**
 * `shatter merge A B ... --out C`: combines shard outputs of one spec into C after checking that
 * they are of the same spec and tool version, that no task is committed twice and that none is
 * missing. Refusals name what is wrong and write nothing.
 */
export function mergeDirectories(options: MergeOptions): { tasks: number } {
  const { inputs, out } = options;
  if (inputs.length === 0) throw new UsageError('merge: name at least one input directory');
  const manifests = new Map<string, Manifest>();
  for (const dir of inputs) {
    if (!existsSync(dir)) throw new UsageError(`merge: input ${dir} does not exist`);
    const manifest = readManifest(dir);
    if (!manifest) throw new UsageError(`merge: input ${dir} holds no manifest.json (not a neural-shatter output directory)`);
    manifests.set(dir, manifest);
  }
  const first = manifests.get(inputs[0])!;
  const otherSpec = inputs.filter((dir) => manifests.get(dir)!.spec_hash !== first.spec_hash);
  if (otherSpec.length > 0) {
    throw new UsageError(`merge: inputs hold different specs: ${inputs[0]} has "${first.spec_name}" (${first.spec_hash.slice(0, 12)}…) but ${list(otherSpec.map((dir) => `${dir} has "${manifests.get(dir)!.spec_name}" (${manifests.get(dir)!.spec_hash.slice(0, 12)}…)`))}`);
  }
  // An input resumed with --allow-mixed-versions holds several versions itself.
  const madeBy = (dir: string) => versionsHeld(manifests.get(dir)!).join(' and ');
  const versions = [...new Set(inputs.flatMap((dir) => versionsHeld(manifests.get(dir)!)))].sort();
  if (versions.length > 1 && !options.allowMixedVersions) {
    const otherVersion = inputs.filter((dir) => madeBy(dir) !== madeBy(inputs[0]));
    const described = otherVersion.length > 0 ? [inputs[0], ...otherVersion] : [inputs[0]];
    throw new UsageError(`merge: inputs were made by different versions of the tool: ${list(described.map((dir) => `${dir} by ${madeBy(dir)}`))}; pass --allow-mixed-versions to merge anyway`);
  }
  const spec = validateSpec(first.spec);
  const tasks = expandSpec(spec);
  const owner = new Map<string, string>();
  const duplicates: string[] = [];
  for (const dir of inputs) {
    for (const taskId of scanCommitted(dir).keys()) {
      const earlier = owner.get(taskId);
      if (earlier !== undefined) duplicates.push(`${taskId} (in ${earlier} and ${dir})`);
      else owner.set(taskId, dir);
    }
  }
  if (duplicates.length > 0) throw new UsageError(`merge: ${duplicates.length} tasks are in more than one input: ${list(duplicates)}; merge each shard once`);
  const missing = tasks.filter((task) => !owner.has(task.id));
  if (missing.length > 0) {
    const shards = [...manifests.values()].map((m) => m.shard).filter((s): s is string => s !== null);
    throw new UsageError(
      `merge: ${missing.length} of ${tasks.length} tasks are missing from the inputs (e.g. ${list(missing.map((t) => t.id), 3)})${shards.length > 0 ? `; shards given: ${shards.join(', ')}` : ''}; finish or add the missing shards first`,
    );
  }
  if (existsSync(out) && readManifest(out)) throw new UsageError(`merge: --out ${out} already holds an output directory; choose a new one`);
  ensureWritableDir(out);
  const release = acquireLock(out);
  try {
    const combined = combineOutputs(inputs, out, tableOptions(spec));
    const now = new Date().toISOString();
    const startedTimes = [...manifests.values()].map((m) => m.started).sort();
    writeManifest(out, {
      ...provenance(),
      spec: first.spec,
      spec_name: first.spec_name,
      spec_hash: first.spec_hash,
      task_count: first.task_count,
      shard: null,
      shard_task_count: tasks.length,
      status: 'merged',
      started: startedTimes[0] ?? now,
      ended: now,
      sessions: [...manifests.values()].flatMap((m) => m.sessions),
      merged_from: inputs,
      ...(versions.length > 1 ? { mixed_versions: versions } : {}),
    });
    return combined;
  } finally {
    release();
  }
}
