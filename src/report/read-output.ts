/**
 * Reads an output directory (DESIGN.md "Output directory") into what the report draws: runs rows,
 * curves and neurons columns, the manifest, and notes on anything missing or unfinished.
 *
 * A finalised sweep has runs.arrow, curves.arrow and neurons.arrow (Feather v2): those are read.
 * A sweep that is running (manifest status "running"), or was killed before finalising, has only
 * its part files under DIR/parts/ up to date: then the committed tasks are read from them
 * (read-parts.ts), and the report says it is partial.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { listSessions } from '../io/index.js';
import { UsageError } from '../sweep/output-dir.js';
import { numberColumn, stringColumn, tableRows, type Cell } from './columns.js';
import { readCommitted } from './read-parts.js';

export type RunRow = Record<string, Cell>;

/** curves.arrow columns the report uses; NaN where null (lambda_max, test_mse not measured). */
export interface CurveData {
  taskId: string[];
  epoch: Float64Array;
  trainLoss: Float64Array;
  gradNorm: Float64Array;
  clipped: Float64Array;
  lambdaMax: Float64Array;
  testMse: Float64Array;
}

/** neurons.arrow columns the report uses. */
export interface NeuronData {
  taskId: string[];
  neuron: Float64Array;
  activationRate: Float64Array;
  /** a = |v| ||w||. */
  a: Float64Array;
  wNorm: Float64Array;
}

export type OutputState = 'complete' | 'partial' | 'empty';

export interface OutputData {
  dir: string;
  manifest: Record<string, unknown> | null;
  state: OutputState;
  /** Column names of runs in file order (the config columns come from these). */
  runColumns: string[];
  runs: RunRow[];
  curves: CurveData;
  neurons: NeuronData;
  /** Names of the spec's zip groups (runs columns holding their labels). */
  zipGroups: string[];
  /** Tasks the manifest announces (null when unknown). */
  taskCount: number | null;
  notes: string[];
}

const TABLES = ['runs', 'curves', 'neurons'] as const;

/** Manifest statuses of a sweep that has not run all its tasks (src/sweep/manifest.ts). */
const UNFINISHED = new Set(['running', 'interrupted', 'incomplete']);
type TableName = (typeof TABLES)[number];

function readFinal(path: string, notes: string[]): Table | null {
  if (!existsSync(path)) return null;
  try {
    return tableFromIPC(readFileSync(path));
  } catch (error) {
    notes.push(`${path} could not be read (${(error as Error).message}); it is left out.`);
    return null;
  }
}

function emptyCurves(): CurveData {
  const none = new Float64Array(0);
  return { taskId: [], epoch: none, trainLoss: none, gradNorm: none, clipped: none, lambdaMax: none, testMse: none };
}

function emptyNeurons(): NeuronData {
  const none = new Float64Array(0);
  return { taskId: [], neuron: none, activationRate: none, a: none, wNorm: none };
}

function concatFloat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function curvesOf(tables: Table[]): CurveData {
  if (tables.length === 0) return emptyCurves();
  return {
    taskId: tables.flatMap((t) => stringColumn(t, 'task_id').map((id) => id ?? '')),
    epoch: concatFloat(tables.map((t) => numberColumn(t, 'epoch'))),
    trainLoss: concatFloat(tables.map((t) => numberColumn(t, 'train_loss'))),
    gradNorm: concatFloat(tables.map((t) => numberColumn(t, 'grad_norm'))),
    clipped: concatFloat(tables.map((t) => numberColumn(t, 'clipped'))),
    lambdaMax: concatFloat(tables.map((t) => numberColumn(t, 'lambda_max'))),
    testMse: concatFloat(tables.map((t) => numberColumn(t, 'test_mse'))),
  };
}

function neuronsOf(tables: Table[]): NeuronData {
  if (tables.length === 0) return emptyNeurons();
  return {
    taskId: tables.flatMap((t) => stringColumn(t, 'task_id').map((id) => id ?? '')),
    neuron: concatFloat(tables.map((t) => numberColumn(t, 'neuron'))),
    activationRate: concatFloat(tables.map((t) => numberColumn(t, 'activation_rate'))),
    a: concatFloat(tables.map((t) => numberColumn(t, 'a'))),
    wNorm: concatFloat(tables.map((t) => numberColumn(t, 'w_norm'))),
  };
}

/** Zip groups named by the manifest's spec (grid keys whose values are objects). */
function zipGroupsOf(manifest: Record<string, unknown> | null, runColumns: string[]): string[] {
  const spec = manifest?.spec as { grid?: Record<string, unknown> } | undefined;
  const grid = spec?.grid;
  if (!grid || typeof grid !== 'object') return [];
  return Object.entries(grid)
    .filter(([, values]) => Array.isArray(values) && values.some((v) => v !== null && typeof v === 'object'))
    .map(([name]) => name)
    .filter((name) => runColumns.includes(name));
}

export function readOutput(dir: string): OutputData {
  const notes: string[] = [];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    // The CLI's bad-input error: printed without a stack, exit code 2.
    throw new UsageError(`report: output directory ${dir} does not exist or is not a directory`);
  }

  let manifest: Record<string, unknown> | null = null;
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    try {
      manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      notes.push(`manifest.json could not be parsed (${(error as Error).message}).`);
    }
  } else {
    notes.push('manifest.json is missing: this does not look like a finished shatter output directory.');
  }

  const manifestStatus = typeof manifest?.status === 'string' ? manifest.status : null;
  const hasFinalRuns = existsSync(join(dir, 'runs.arrow'));
  const fromParts = listSessions(dir).length > 0 && (!hasFinalRuns || manifestStatus === 'running');
  let runColumns: string[];
  let runs: RunRow[];
  let curves: CurveData;
  let neurons: NeuronData;
  if (fromParts) {
    const committed = readCommitted(dir);
    runColumns = committed.runColumns;
    runs = committed.runs;
    curves = curvesOf(committed.curves);
    neurons = neuronsOf(committed.neurons);
    notes.push(
      manifestStatus === 'running'
        ? `The sweep is running: the report shows the ${runs.length} task(s) committed so far (read from the part files).`
        : `The sweep was not finalised (no runs.arrow): the report shows the ${runs.length} task(s) committed in the part files.`,
    );
    if (committed.unreadable.length > 0) notes.push(`Rows of ${committed.unreadable.length} committed task(s) could not be read: ${committed.unreadable.slice(0, 3).join('; ')}.`);
  } else {
    const tables = Object.fromEntries(TABLES.map((name) => [name, readFinal(join(dir, `${name}.arrow`), notes)])) as Record<TableName, Table | null>;
    runColumns = tables.runs?.schema.fields.map((f) => f.name) ?? [];
    runs = tables.runs ? tableRows(tables.runs) : [];
    curves = curvesOf(tables.curves ? [tables.curves] : []);
    neurons = neuronsOf(tables.neurons ? [tables.neurons] : []);
  }

  // A shard's directory is responsible for its shard's tasks only.
  const announced = manifest?.shard_task_count ?? manifest?.task_count;
  const taskCount = typeof announced === 'number' ? announced : null;
  let state: OutputState = 'complete';
  if (runs.length === 0) {
    state = 'empty';
    notes.push('No finished task yet: there is nothing to plot.');
  } else if (fromParts || (taskCount !== null && runs.length < taskCount) || (manifestStatus !== null && UNFINISHED.has(manifestStatus))) {
    state = 'partial';
    if (taskCount !== null) notes.push(`Partial results: ${runs.length} of ${taskCount} tasks are finished${manifestStatus ? ` (manifest status: ${manifestStatus})` : ''}.`);
  }

  return {
    dir,
    manifest,
    state,
    runColumns,
    runs,
    curves,
    neurons,
    zipGroups: zipGroupsOf(manifest, runColumns),
    taskCount,
    notes,
  };
}
