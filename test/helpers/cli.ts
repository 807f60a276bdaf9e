import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root and the compiled CLI entry (`npm test` builds dist/ first). */
export const repoRoot = resolve(__dirname, '../..');
export const shatterBin = join(repoRoot, 'bin', 'shatter.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `shatter ARGS` to completion in a child process. */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [shatterBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { code: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Starts `shatter ARGS` in its own process group (so the test can kill -9 the whole group). */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [shatterBin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function tempDir(prefix = 'shatter-test-'): string {
  return mkdtempSync(join(os.tmpdir(), prefix));
}

/** Writes a spec object (or raw text) to a file in `dir` and returns its path. */
export function writeSpec(dir: string, name: string, spec: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return path;
}

/** A tiny spec: tasks of a few hundred milliseconds each. */
export function tinySpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    fixed: { d: 2, n: 16, width: 16, epochs: 60, n_test: 50, curve_every: 20, lambda_max_every: 30 },
    grid: { optim: [{ label: 'gd', eta: 0.5, weight_decay: 0 }, { label: 'wd', eta: 0.05, weight_decay: 0.1 }] },
    seeds: 2,
    ...overrides,
  };
}
