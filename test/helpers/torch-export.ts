/**
 * Bridge to the PyTorch reference ../shared/reference/torch_gd.py (beside the repository root,
 * wherever the repository is cloned): writes a task's training data and initial parameters as
 * the JSON its --load option reads (keys x, y, W, b, v, beta), runs it with Debian's
 * /usr/bin/python3 (the python3 with python3-torch) and returns its JSON result.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { networkLayout, type LossKind } from '../../src/model/index.js';

export const REFERENCE_PYTHON = '/usr/bin/python3';

/** The repository root: the nearest directory above this file holding package.json. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

/** ../shared/reference/torch_gd.py relative to the repository root. */
export const TORCH_GD_SCRIPT = resolve(repositoryRoot(), '..', 'shared', 'reference', 'torch_gd.py');

/** Whether the reference can run here, and if not, why (for the skip message). */
export function torchReferenceAvailability(): { available: boolean; reason: string } {
  if (!existsSync(TORCH_GD_SCRIPT)) return { available: false, reason: `${TORCH_GD_SCRIPT} not found (shared/ must sit beside the repository)` };
  if (!existsSync(REFERENCE_PYTHON)) return { available: false, reason: `${REFERENCE_PYTHON} not found` };
  const probe = spawnSync(REFERENCE_PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) {
    return { available: false, reason: `${REFERENCE_PYTHON} cannot import torch (apt-get install python3-torch): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}` };
  }
  return { available: true, reason: '' };
}

function rows(values: Float64Array, count: number, columns: number): number[][] {
  return Array.from({ length: count }, (_, i) => Array.from(values.subarray(i * columns, (i + 1) * columns)));
}

/**
 * Writes the --load JSON: x (n x d), y (n), W (K x d), b (K), v (K), beta. JSON.stringify prints
 * the shortest decimal that reads back as the same double, so Python sees the exact numbers.
 */
export function writeTorchLoadFile(path: string, x: Float64Array, y: Float64Array, params: Float64Array, d: number, width: number): void {
  const layout = networkLayout(d, width);
  const n = y.length;
  const payload = {
    x: rows(x, n, d),
    y: Array.from(y),
    W: rows(params.subarray(layout.wOffset, layout.wOffset + width * d), width, d),
    b: Array.from(params.subarray(layout.bOffset, layout.bOffset + width)),
    v: Array.from(params.subarray(layout.vOffset, layout.vOffset + width)),
    beta: params[layout.betaOffset],
  };
  writeFileSync(path, JSON.stringify(payload));
}

export interface TorchRunOptions {
  loadFile: string;
  jsonOut: string;
  loss: LossKind;
  eta: number;
  weightDecay: number;
  clip: number;
  epochs: number;
}

export interface TorchResult {
  /** [epoch, loss before the step of that epoch] for epochs 0..epochs-1 (every epoch under --load). */
  loss_curve: [number, number][];
  clipped_epochs: number;
  train_loss: number;
}

/** Runs torch_gd.py --load FILE --exact-clip on one thread and parses its --json-out file. */
export function runTorchReference(options: TorchRunOptions): Promise<TorchResult> {
  const args = [
    TORCH_GD_SCRIPT,
    '--load', options.loadFile,
    '--exact-clip',
    '--loss', options.loss,
    '--eta', String(options.eta),
    '--wd', String(options.weightDecay),
    '--clip', String(options.clip),
    '--epochs', String(options.epochs),
    '--n-test', '1',
    '--json-out', options.jsonOut,
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(REFERENCE_PYTHON, args, { env: { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`torch_gd.py exited with ${code}: ${stderr.trim()}`));
        return;
      }
      resolvePromise(JSON.parse(readFileSync(options.jsonOut, 'utf8')) as TorchResult);
    });
  });
}
