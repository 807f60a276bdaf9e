import { z } from 'zod';

/**
 * Every task field a spec may set (DESIGN.md, Decisions), with its schema, a human description of
 * what is allowed (used in error messages), its default and its Arrow type as a runs.arrow column.
 * The order here is the order of the config columns in runs.arrow.
 */
export type ColumnType = 'float64' | 'int32' | 'utf8' | 'bool';

export interface FieldDefinition {
  schema: z.ZodType;
  allowed: string;
  /** undefined: required (or, for width / width_per_n, one of the two). */
  default?: number | string | null;
  column: ColumnType;
  /** Only meaningful for some targets: left out of the task id and null in runs otherwise. */
  onlyForTarget?: string;
}

const int = (min: number) => z.number().int().min(min).max(2 ** 31 - 1);
const positive = z.number().positive().finite();
const nonNegative = z.number().min(0).finite();

export const FIELDS = {
  d: { schema: int(1), allowed: 'an integer >= 1', column: 'int32' },
  n: { schema: int(2), allowed: 'an integer >= 2', column: 'int32' },
  width: { schema: int(1), allowed: 'an integer >= 1', column: 'int32' },
  width_per_n: { schema: positive, allowed: 'a number > 0 (width = round(width_per_n * n))', column: 'float64' },
  eta: { schema: positive, allowed: 'a number > 0', column: 'float64' },
  epochs: { schema: int(1), allowed: 'an integer >= 1', column: 'int32' },
  weight_decay: { schema: nonNegative, allowed: 'a number >= 0', default: 0, column: 'float64' },
  clip: { schema: positive.nullable(), allowed: 'a number > 0, or null for no clipping', default: 50, column: 'float64' },
  loss: { schema: z.enum(['half_mse', 'mse']), allowed: '"half_mse" or "mse"', default: 'half_mse', column: 'utf8' },
  activation: { schema: z.enum(['relu', 'gelu']), allowed: '"relu" or "gelu"', default: 'relu', column: 'utf8' },
  init: { schema: z.enum(['kaiming_normal', 'torch_default']), allowed: '"kaiming_normal" or "torch_default"', default: 'kaiming_normal', column: 'utf8' },
  target: { schema: z.enum(['linear', 'hoelder', 'caps']), allowed: '"linear", "hoelder" or "caps"', default: 'linear', column: 'utf8' },
  target_seed: { schema: int(0), allowed: 'an integer >= 0', default: 0, column: 'int32' },
  caps_m: { schema: int(1), allowed: 'an integer >= 1 (number of caps)', default: 8, column: 'int32', onlyForTarget: 'caps' },
  caps_eps: {
    schema: z.number().gt(0).lt(1),
    allowed: 'a number in (0, 1) (cap depth: atoms are eps^-2 relu(u.x - (1 - eps^2)))',
    default: 0.5,
    column: 'float64',
    onlyForTarget: 'caps',
  },
  sigma: { schema: nonNegative, allowed: 'a number >= 0 (noise standard deviation)', default: 1, column: 'float64' },
  n_test: { schema: int(1), allowed: 'an integer >= 1', default: 10000, column: 'int32' },
  curve_every: { schema: int(1), allowed: 'an integer >= 1', default: 100, column: 'int32' },
  lambda_max_every: { schema: int(0), allowed: 'an integer >= 0 (0: only at the end)', default: 0, column: 'int32' },
  lanczos_tol: { schema: positive, allowed: 'a number > 0', default: 1e-6, column: 'float64' },
  lanczos_max_iter: { schema: int(2), allowed: 'an integer >= 2', default: 100, column: 'int32' },
  hutchinson_samples: { schema: int(0), allowed: 'an integer >= 0 (0: no trace)', default: 0, column: 'int32' },
  kernel: { schema: z.enum(['auto', 'js', 'wasm']), allowed: '"auto", "js" or "wasm"', default: 'auto', column: 'utf8' },
  test_mse_every: { schema: int(0), allowed: 'an integer >= 0 (0: only at the end)', default: 0, column: 'int32' },
} as const satisfies Record<string, FieldDefinition>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

export function isFieldName(key: string): key is FieldName {
  return Object.prototype.hasOwnProperty.call(FIELDS, key);
}

/** Fields every task must end up with (width or width_per_n is checked separately). */
export const REQUIRED_FIELDS: FieldName[] = ['d', 'n', 'eta', 'epochs'];
