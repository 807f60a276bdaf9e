import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { readManifest, type Manifest } from './manifest.js';

/** Bad input or a refusal: the CLI prints the message and exits 2, having written nothing. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const LOCK_FILE = '.lock';

/**
 * Checks that `dir` can take this sweep, before anything is written:
 *  - missing: fine (created later);
 *  - holding a manifest of another spec or shard: refused;
 *  - holding this sweep: refused unless --resume;
 *  - holding anything else: refused (we never write into a foreign directory).
 * Returns the existing manifest, if any.
 */
export function checkOutputDir(dir: string, specHash: string, shard: string | null, resume: boolean): Manifest | null {
  if (!existsSync(dir)) return null;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir}: exists and is not a directory`);
  let manifest: Manifest | null;
  try {
    manifest = readManifest(dir);
  } catch (error) {
    throw new UsageError(`--out ${dir}: manifest.json cannot be read (${(error as Error).message}); refusing to touch the directory`);
  }
  if (manifest === null) {
    const entries = readdirSync(dir);
    if (entries.length > 0) {
      throw new UsageError(`--out ${dir}: exists, is not empty and holds no manifest.json (not a neural-shatter output); choose a new or empty directory`);
    }
    return null;
  }
  if (manifest.spec_hash !== specHash) {
    throw new UsageError(
      `--out ${dir}: holds another spec ("${manifest.spec_name}", spec_hash ${manifest.spec_hash.slice(0, 12)}…, this one ${specHash.slice(0, 12)}…); choose another --out`,
    );
  }
  if ((manifest.shard ?? null) !== shard) {
    throw new UsageError(`--out ${dir}: holds ${manifest.shard ? `shard ${manifest.shard}` : 'the whole sweep'}, not ${shard ? `shard ${shard}` : 'the whole sweep'}; choose another --out`);
  }
  if (!resume) {
    throw new UsageError(`--out ${dir}: already holds this sweep (status ${manifest.status}); pass --resume to run what is missing, or choose another --out`);
  }
  return manifest;
}

/** Creates the directory and proves it writable by writing a probe file. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, `.probe-${process.pid}`);
    closeSync(openSync(probe, 'w'));
    unlinkSync(probe);
  } catch (error) {
    throw new UsageError(`--out ${dir}: cannot write there (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes DIR/.lock for this process, so two runs never write one directory at once. A lock left
 * by a process that no longer exists (killed) on this host is taken over.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder: { pid: number; host: string } | null = null;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as { pid: number; host: string };
      } catch {
        holder = null;
      }
      if (holder && (holder.host !== os.hostname() || processAlive(holder.pid))) {
        throw new UsageError(
          `--out ${dir}: in use by process ${holder.pid} on ${holder.host} (${path}); wait for it or stop it first` +
            (holder.host !== os.hostname() ? ` (if no such process runs any more, e.g. its node failed, delete ${path})` : ''),
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new UsageError(`--out ${dir}: could not take the lock ${path}`);
}
