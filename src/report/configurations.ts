/**
 * Groups runs into configurations (every config column but the seeds) and names them by what
 * varies between them, preferring zip-group labels (`optim=gd`) over the fields they set.
 */
import type { Cell } from './columns.js';
import type { OutputData, RunRow } from './read-output.js';

/**
 * The task fields of DESIGN.md's Decisions (the spec's field names, which are also runs.arrow
 * config columns). Columns of runs not listed here nor measured are zip-group labels.
 */
export const CONFIG_FIELDS = [
  'd', 'n', 'width', 'width_per_n', 'eta', 'epochs', 'weight_decay', 'clip', 'loss', 'activation', 'init',
  'target', 'target_seed', 'caps_m', 'caps_eps', 'sigma', 'n_test', 'curve_every', 'lambda_max_every',
  'lanczos_tol', 'lanczos_max_iter', 'hutchinson_samples', 'kernel', 'test_mse_every',
] as const;

export const SEED_COLUMNS = ['data_seed', 'init_seed'] as const;

/** Measured columns of runs (DESIGN.md) and the TaskResult contract: never config. */
const MEASURE_COLUMNS = new Set([
  'task_id', 'status', 'error', 'epochs_run', 'diverged_epoch', 'train_loss', 'test_mse', 'test_risk', 'gen_gap',
  'lambda_max', 'lambda_max_iters', 'lambda_max_residual', 'lambda_max_converged', 'eos_ratio', 'hessian_trace',
  'hessian_trace_se', 'vg_norm', 'thm32_bound', 'vg_zero_neurons', 'data_radius', 'beta', 'clipped_epochs',
  'neurons_dead', 'neurons_partial', 'neurons_full', 'median_activation_rate', 'kernel_used', 'wall_ms',
  'attempts', 'worker', 'started_at', 'finished_at',
]);

/**
 * Zip-group label columns: the spec's zip groups from the manifest, or else (no manifest) the
 * string columns of runs that are neither task fields, seeds nor measures.
 */
export function zipLabelColumns(output: OutputData): string[] {
  if (output.zipGroups.length > 0) return output.zipGroups;
  const known = new Set<string>([...CONFIG_FIELDS, ...SEED_COLUMNS]);
  return output.runColumns.filter((name) => !MEASURE_COLUMNS.has(name) && !known.has(name)
    && output.runs.every((r) => r[name] === null || r[name] === undefined || typeof r[name] === 'string'));
}

/** Config columns of these runs (seeds excluded): fields, then zip-group label columns. */
export function configColumns(output: OutputData): string[] {
  return [...CONFIG_FIELDS.filter((name) => output.runColumns.includes(name)), ...zipLabelColumns(output)];
}

function cellText(value: Cell | undefined): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  return String(value);
}

export interface Configuration {
  key: string;
  /** Short name from the columns that vary between configurations ("all runs" if none). */
  label: string;
  runs: RunRow[];
  values: Record<string, Cell>;
}

/**
 * Columns that vary across `runs` among `columns`, leaving out a column whose value is fixed by a
 * zip-group label that also varies (optim=gd already says eta and weight_decay).
 */
export function varyingColumns(runs: readonly RunRow[], columns: readonly string[], labelColumns: readonly string[]): string[] {
  const varies = (name: string) => new Set(runs.map((r) => cellText(r[name]))).size > 1;
  const varyingLabels = labelColumns.filter((name) => columns.includes(name) && varies(name));
  const determinedByLabels = (name: string) => {
    if (varyingLabels.length === 0) return false;
    const seen = new Map<string, string>();
    for (const r of runs) {
      const labelKey = varyingLabels.map((l) => cellText(r[l])).join('\u0000');
      const value = cellText(r[name]);
      const previous = seen.get(labelKey);
      if (previous !== undefined && previous !== value) return false;
      seen.set(labelKey, value);
    }
    return true;
  };
  return columns.filter((name) => varies(name) && (labelColumns.includes(name) || !determinedByLabels(name)));
}

/** `name=value` pairs joined by ", ". */
export function labelOf(run: RunRow, columns: readonly string[]): string {
  return columns.map((name) => `${name}=${cellText(run[name])}`).join(', ');
}

/**
 * Groups `runs` by the given columns, in order of first appearance after sorting by label so
 * panels come out in a stable order whatever the row order of the files.
 */
export function groupRuns(runs: readonly RunRow[], columns: readonly string[], labelColumns: readonly string[]): Configuration[] {
  const shown = varyingColumns(runs, columns, labelColumns);
  const groups = new Map<string, Configuration>();
  for (const run of runs) {
    const key = columns.map((name) => cellText(run[name])).join('\u0000');
    let group = groups.get(key);
    if (!group) {
      const values: Record<string, Cell> = {};
      for (const name of columns) values[name] = run[name] ?? null;
      group = { key, label: shown.length > 0 ? labelOf(run, shown) : 'all runs', runs: [], values };
      groups.set(key, group);
    }
    group.runs.push(run);
  }
  return [...groups.values()].sort((p, q) => compareLabels(p.label, q.label));
}

/** Orders labels with numbers compared as numbers (d=2 before d=10). */
export function compareLabels(p: string, q: string): number {
  return p.localeCompare(q, 'en', { numeric: true });
}

export function finite(value: Cell | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
