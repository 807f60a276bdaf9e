/**
 * A Python that has pyarrow and polars, the readers users open our tables with.
 *
 * Uses <repo>/.venv/bin/python when it imports both; otherwise creates that venv
 * (`python3 -m venv .venv && .venv/bin/pip install --retries 0 pyarrow polars`, ~30 s), holding a
 * lock directory so that test files running at the same time do not build it twice. Returns null
 * only when there is no python3 at all (callers skip, saying so); any other failure throws.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const LOCK_STALE_MS = 10 * 60_000;
const LOCK_WAIT_MS = 10 * 60_000;

export const NO_PYTHON_MESSAGE = 'skipped: no python3 on this machine, so pyarrow/polars cannot be set up to read the tables';

function importsReaders(python: string): boolean {
  if (!existsSync(python)) return false;
  return spawnSync(python, ['-c', 'import pyarrow, polars'], { stdio: 'ignore' }).status === 0;
}

function hasPython3(): boolean {
  return spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

let cached: string | null | undefined;

export function pythonWithArrow(): string | null {
  if (cached !== undefined) return cached;
  if (importsReaders(VENV_PYTHON)) return (cached = VENV_PYTHON);
  if (!hasPython3()) return (cached = null);
  const lock = join(tmpdir(), `neural-shatter-venv-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}.lock`);
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Someone else is building the venv: wait for them, then use what they built.
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`gave up waiting for ${lock} (another test building ${VENV_PYTHON})`);
      sleep(500);
      if (importsReaders(VENV_PYTHON)) return (cached = VENV_PYTHON);
    }
  }
  try {
    if (!importsReaders(VENV_PYTHON)) {
      if (!existsSync(VENV_PYTHON)) execFileSync('python3', ['-m', 'venv', join(REPO_ROOT, '.venv')], { stdio: 'pipe' });
      const pip = spawnSync(VENV_PYTHON, ['-m', 'pip', 'install', '--retries', '0', 'pyarrow', 'polars'], { encoding: 'utf8', timeout: 5 * 60_000 });
      if (pip.status !== 0 || !importsReaders(VENV_PYTHON)) {
        throw new Error(`could not install pyarrow and polars into ${join(REPO_ROOT, '.venv')}:\n${pip.stdout}\n${pip.stderr}`);
      }
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
  return (cached = VENV_PYTHON);
}

/** Runs a Python script file with the readers' Python and returns its stdout parsed as JSON. */
export function runPythonJson(python: string, scriptPath: string, args: string[] = []): unknown {
  const out = spawnSync(python, [scriptPath, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`${scriptPath} failed (exit ${out.status}):\n${out.stderr}`);
  return JSON.parse(out.stdout);
}
