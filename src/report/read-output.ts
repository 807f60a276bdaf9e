/**
 * Reads an output directory (DESIGN.md "Output directory") into what the report draws: runs rows,
 * curves and neurons columns, the manifest, and notes on anything missing or unfinished.
 *
 * A finished sweep has runs.arrow, curves.arrow and neurons.arrow (Feather v2). A running or
 * killed sweep has Arrow stream part files under DIR/parts/ instead (or besides stale final
 * files): then every complete batch of the parts is read, and curves and neurons rows count only
 * for tasks whose runs row is there, since the runs row is written last as the commit marker.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchReader, Table, tableFromIPC, type RecordBatch } from 'apache-arrow';
import { numberColumn, stringColumn, tableRows, type Cell } from './columns.js';

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
type TableName = (typeof TABLES)[number];

/** Every complete record batch of an Arrow file or stream; a truncated tail is dropped. */
function readCompleteBatches(bytes: Uint8Array): { batches: RecordBatch[]; truncated: boolean } {
  const batches: RecordBatch[] = [];
  try {
    for (const batch of RecordBatchReader.from(bytes)) batches.push(batch);
    return { batches, truncated: false };
  } catch {
    return { batches, truncated: true };
  }
}

function readFinal(path: string, notes: string[]): Table | null {
  if (!existsSync(path)) return null;
  try {
    return tableFromIPC(readFileSync(path));
  } catch (error) {
    notes.push(`${path} could not be read (${(error as Error).message}); it is left out.`);
    return null;
  }
}

/** Part files of one table: files under DIR/parts (one level of subfolders) named <table>*. */
function partFiles(partsDir: string, table: TableName): string[] {
  if (!existsSync(partsDir)) return [];
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const stats = statSync(path);
      if (stats.isDirectory() && depth === 0) visit(path, 1);
      else if (stats.isFile() && entry.startsWith(table) && stats.size > 0) found.push(path);
    }
  };
  visit(partsDir, 0);
  return found;
}

function readParts(partsDir: string, table: TableName, notes: string[]): Table[] {
  const tables: Table[] = [];
  let truncatedFiles = 0;
  for (const path of partFiles(partsDir, table)) {
    const { batches, truncated } = readCompleteBatches(readFileSync(path));
    if (truncated) truncatedFiles++;
    if (batches.length > 0) tables.push(new Table(batches));
  }
  if (truncatedFiles > 0) notes.push(`${truncatedFiles} ${table} part file(s) end in an unfinished batch; only complete batches are shown.`);
  return tables;
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

/** Keeps rows whose task is committed (a runs row exists); all rows when `committed` is null. */
function keepRows<T extends { taskId: string[] }>(data: T, committed: Set<string> | null): T {
  if (committed === null) return data;
  const keep: number[] = [];
  data.taskId.forEach((id, i) => {
    if (committed.has(id)) keep.push(i);
  });
  if (keep.length === data.taskId.length) return data;
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(data)) {
    out[key] = Array.isArray(column) ? keep.map((i) => column[i]) : Float64Array.from(keep, (i) => (column as Float64Array)[i]);
  }
  return out as T;
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
    throw new Error(`report: output directory ${dir} does not exist or is not a directory`);
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

  const partsDir = join(dir, 'parts');
  const partTables = Object.fromEntries(TABLES.map((name) => [name, readParts(partsDir, name, notes)])) as Record<TableName, Table[]>;
  const fromParts = partTables.runs.length > 0;
  const tables = {} as Record<TableName, Table[]>;
  for (const name of TABLES) {
    if (fromParts) {
      tables[name] = partTables[name];
    } else {
      const final = readFinal(join(dir, `${name}.arrow`), notes);
      tables[name] = final ? [final] : [];
    }
  }
  if (fromParts) notes.push('The sweep has not been finalised (part files under parts/): the report shows the tasks committed so far.');

  const runColumns = tables.runs[0]?.schema.fields.map((f) => f.name) ?? [];
  const runs = tables.runs.flatMap((t) => tableRows(t));
  const committed = fromParts ? new Set(runs.map((r) => String(r.task_id))) : null;
  const curves = keepRows(curvesOf(tables.curves), committed);
  const neurons = keepRows(neuronsOf(tables.neurons), committed);

  const announced = manifest?.task_count ?? manifest?.taskCount;
  const taskCount = typeof announced === 'number' ? announced : null;
  const manifestStatus = typeof manifest?.status === 'string' ? manifest.status : null;
  let state: OutputState = 'complete';
  if (runs.length === 0) {
    state = 'empty';
    notes.push('No finished task yet: there is nothing to plot.');
  } else if (fromParts || (taskCount !== null && runs.length < taskCount) || manifestStatus === 'running') {
    state = 'partial';
    if (taskCount !== null) notes.push(`Partial results: ${runs.length} of ${taskCount} tasks are finished.`);
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
