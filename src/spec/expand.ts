import { createHash } from 'node:crypto';
import { makeTarget } from '../data/index.js';
import type { TrainConfig } from '../model/config.js';
import { FIELDS, FIELD_NAMES, type ColumnType, type FieldName } from './fields.js';
import { canonicalJson, SpecError, type FieldValue, type Spec } from './validate.js';

/** One task of a sweep: its id, its full training config and the labels of its zip groups. */
export interface Task {
  id: string;
  /** Position in the spec's expansion order. */
  index: number;
  config: TrainConfig;
  /** width_per_n when the spec used it (width is then derived), else null. */
  widthPerN: number | null;
  /** Zip group name -> label of the member this task took. */
  labels: Record<string, string>;
}

/** Largest buffers one task may allocate (DESIGN.md, Decisions). */
export const TASK_MEMORY_LIMIT_BYTES = 4 * 1024 ** 3;

/**
 * Expands a validated spec into its tasks: the cartesian product of the grid axes and zip groups
 * (in the spec's key order, the first key varying slowest), then data seeds, then init seeds.
 * The same spec always gives the same tasks, ids and order. Throws SpecError when two tasks
 * would be identical or a task exceeds the memory limit.
 */
export function expandSpec(spec: Spec): Task[] {
  type Choice = { fields: Partial<Record<FieldName, FieldValue>>; labels: Record<string, string> };
  let choices: Choice[] = [{ fields: {}, labels: {} }];
  const dimensions: Choice[][] = [
    ...spec.axes.map((axis) => axis.values.map((value) => ({ fields: { [axis.field]: value }, labels: {} }))),
    ...spec.zipGroups.map((group) => group.members.map((member) => ({ fields: member.fields, labels: { [group.name]: member.label } }))),
  ];
  for (const options of dimensions) {
    const next: Choice[] = [];
    for (const base of choices) {
      for (const option of options) next.push({ fields: { ...base.fields, ...option.fields }, labels: { ...base.labels, ...option.labels } });
    }
    choices = next;
  }

  const tasks: Task[] = [];
  const seen = new Map<string, number>();
  const checkedTargets = new Set<string>();
  for (const choice of choices) {
    for (const [dataSeed, initSeed] of seedPairs(spec)) {
      {
        const fields = { ...spec.fixed, ...choice.fields } as Record<string, FieldValue>;
        const n = fields.n as number;
        const widthPerN = (fields.width_per_n as number | undefined) ?? null;
        const width = widthPerN !== null ? Math.max(1, Math.round(widthPerN * n)) : (fields.width as number);
        const config = { ...fields, width, data_seed: dataSeed, init_seed: initSeed } as Record<string, unknown>;
        delete config.width_per_n;
        if (config.target !== 'caps') {
          delete config.caps_m;
          delete config.caps_eps;
        }
        const id = taskId(config);
        const index = tasks.length;
        const twin = seen.get(id);
        if (twin !== undefined) {
          throw new SpecError([`grid: tasks ${twin} and ${index} would be identical (${canonicalJson(config)}); remove the repeated setting`]);
        }
        seen.set(id, index);
        const bytes = estimateTaskBytes(config as unknown as TrainConfig);
        if (bytes > TASK_MEMORY_LIMIT_BYTES) {
          throw new SpecError([
            `task ${index} (d=${config.d}, n=${n}, width=${width}, n_test=${config.n_test}): needs about ${(bytes / 1024 ** 3).toFixed(1)} GiB of buffers; allowed: at most 4 GiB per task (reduce width, n or n_test)`,
          ]);
        }
        checkTargetFits(config as unknown as TrainConfig, index, checkedTargets);
        tasks.push({ id, index, config: config as unknown as TrainConfig, widthPerN, labels: choice.labels });
      }
    }
  }
  return tasks;
}

/**
 * A caps target must fit its caps_m disjoint caps on the sphere of dimension d; find out now,
 * before any work, rather than in a worker (each distinct target is built once).
 */
function checkTargetFits(config: TrainConfig, index: number, checked: Set<string>): void {
  if (config.target !== 'caps') return;
  const key = canonicalJson([config.target_seed, config.d, config.caps_m, config.caps_eps]);
  if (checked.has(key)) return;
  checked.add(key);
  try {
    makeTarget(config);
  } catch (error) {
    throw new SpecError([`task ${index} (target caps, d=${config.d}): ${(error as Error).message}`]);
  }
}

/** (data_seed, init_seed) pairs: s = 0..N-1 paired for `seeds: N`, the product for `{data, init}`. */
function seedPairs(spec: Spec): [number, number][] {
  if (spec.seeds.count !== null) return spec.seeds.data.map((seed) => [seed, seed]);
  return spec.seeds.data.flatMap((dataSeed) => spec.seeds.init.map((initSeed): [number, number] => [dataSeed, initSeed]));
}

/** A task's id: the first 16 hex digits of SHA-256 over the canonical JSON of its full config. */
export function taskId(config: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex').slice(0, 16);
}

/** SHA-256 of the canonical JSON of the validated spec with defaults filled. */
export function specHash(spec: Spec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/**
 * Bytes of the buffers a task allocates: kernel pair cache and parameters, data and test set. Per
 * ReLU pair, the default kernel's (wasm-skip): its lists and z (12), the compact area and the
 * candidate lists (about 4 at n/4 candidates), the wide lists (2), and for d <= 3 the candidates'
 * copied inputs (2d).
 */
export function estimateTaskBytes(config: TrainConfig): number {
  const { d, n, width, n_test: nTest } = config;
  const pairs = width * n;
  const perPair = config.activation === 'gelu' ? 4 + 8 * 4 : 4 + 8 * 2 + (d <= 3 ? 2 * d : 0);
  const params = width * (d + 2) + 1;
  return pairs * perPair + params * 8 * 8 + nTest * (d + 3) * 8 + n * (d + 4) * 8;
}

/**
 * Estimated cost of a task in multiply-adds: the epochs (about 3 n width (d+2) each: forward,
 * backward, update) plus the Lanczos runs (about 40 Hessian-vector products of twice an epoch's
 * work at each lambda_max) plus the test-set predictions. Only ratios matter: it orders the queue
 * (costliest first) and balances shards.
 */
export function estimateTaskCost(config: TrainConfig): number {
  const { d, n, width, epochs } = config;
  const epochCost = 3 * n * width * (d + 2);
  const lambdaMaxCount = 1 + (config.lambda_max_every > 0 ? Math.floor(epochs / config.lambda_max_every) : 0);
  const lanczosCost = lambdaMaxCount * 40 * 2 * epochCost;
  const testCount = 1 + (config.test_mse_every > 0 ? Math.floor(epochs / config.test_mse_every) : 0);
  const testCost = testCount * config.n_test * width * (d + 1);
  return epochs * epochCost + lanczosCost + testCost;
}

/** The config columns of runs.arrow, in order: the fields, the seeds, then one column per zip group. */
export function configColumns(spec: Spec): { name: string; type: ColumnType }[] {
  return [
    ...FIELD_NAMES.map((field) => ({ name: field, type: FIELDS[field].column as ColumnType })),
    { name: 'data_seed', type: 'int32' as const },
    { name: 'init_seed', type: 'int32' as const },
    ...spec.zipGroups.map((group) => ({ name: group.name, type: 'utf8' as const })),
  ];
}

/** A task's values for configColumns (null where a field does not apply). */
export function configValues(task: Task): Record<string, number | string | boolean | null> {
  const config = task.config as unknown as Record<string, number | string | null>;
  const values: Record<string, number | string | boolean | null> = {};
  for (const field of FIELD_NAMES) values[field] = config[field] ?? null;
  values.width_per_n = task.widthPerN;
  values.data_seed = task.config.data_seed;
  values.init_seed = task.config.init_seed;
  for (const [group, label] of Object.entries(task.labels)) values[group] = label;
  return values;
}
