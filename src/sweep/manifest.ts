import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type SweepStatus = 'running' | 'interrupted' | 'complete' | 'incomplete' | 'merged';

/** One start or resume of `shatter run` in a directory. */
export interface SessionRecord {
  started: string;
  ended: string | null;
  workers: number;
  tasks_run: number;
  exit: string | null;
  /** Largest V8 heap of the coordinating thread seen during the session, MB (workers excluded). */
  peak_heap_mb?: number;
}

/** DIR/manifest.json: what the directory holds and how it was made. */
export interface Manifest {
  tool: string;
  tool_version: string;
  spec: unknown;
  spec_name: string;
  spec_hash: string;
  /** Tasks of the whole spec. */
  task_count: number;
  /** "I/N" when this directory holds one shard, else null. */
  shard: string | null;
  /** Tasks this directory is responsible for (the shard's, or all). */
  shard_task_count: number;
  status: SweepStatus;
  git_commit: string | null;
  versions: Record<string, string>;
  host: string;
  cpu: string;
  cores: number;
  started: string;
  ended: string | null;
  sessions: SessionRecord[];
  /** merge only: the directories combined. */
  merged_from?: string[];
  /**
   * The versions (versionLabel) whose results the directory holds, when more than one: a resume
   * or merge with --allow-mixed-versions records them here.
   */
  mixed_versions?: string[];
}

export const MANIFEST_FILE = 'manifest.json';

const packageRoot = findPackageRoot();

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function packageVersion(name: string): string {
  try {
    const file = name === 'neural-shatter' ? join(packageRoot, 'package.json') : join(packageRoot, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function toolVersion(): string {
  return packageVersion('neural-shatter');
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || null;
  } catch {
    return null;
  }
}

/** "tool_version@commit" (12 hex digits), or the tool version alone outside a git checkout. */
export function versionLabel(made: Pick<Manifest, 'tool_version' | 'git_commit'>): string {
  return `${made.tool_version}${made.git_commit ? `@${made.git_commit.slice(0, 12)}` : ''}`;
}

/** Every version whose results a directory holds: its mixed_versions, or the one that made it. */
export function versionsHeld(manifest: Manifest): string[] {
  return manifest.mixed_versions ?? [versionLabel(manifest)];
}

/** The provenance fields of a manifest (what provenance() gives for the process that wrote it). */
export function provenanceOf(manifest: Manifest): ReturnType<typeof provenance> {
  const { tool, tool_version, git_commit, versions, host, cpu, cores } = manifest;
  return { tool, tool_version, git_commit, versions, host, cpu, cores };
}

/** Provenance of this process: tool and library versions, git commit, host and CPU. */
export function provenance(): Pick<Manifest, 'tool' | 'tool_version' | 'git_commit' | 'versions' | 'host' | 'cpu' | 'cores'> {
  return {
    tool: 'neural-shatter',
    tool_version: toolVersion(),
    git_commit: gitCommit(),
    versions: {
      node: process.version,
      'apache-arrow': packageVersion('apache-arrow'),
      piscina: packageVersion('piscina'),
      'ml-matrix': packageVersion('ml-matrix'),
    },
    host: os.hostname(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
  };
}

export function readManifest(dir: string): Manifest | null {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Writes the manifest atomically (temporary file, then rename). */
export function writeManifest(dir: string, manifest: Manifest): void {
  const path = join(dir, MANIFEST_FILE);
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, path);
}
