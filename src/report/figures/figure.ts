/** What every figure module returns: a Vega-Lite spec and the words that go around it. */
import type { TopLevelSpec } from 'vega-lite';
import type { Cell } from '../columns.js';
import type { RunRow } from '../read-output.js';

export interface FigurePlan {
  /** File stem: DIR/report/<name>.svg and .png. */
  name: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** "seed 3" when data and init seeds agree, else "data 1 / init 2". */
export function seedLabel(run: RunRow): string {
  const dataSeed = run.data_seed;
  const initSeed = run.init_seed;
  if (dataSeed === undefined && initSeed === undefined) return 'seed ?';
  return dataSeed === initSeed ? `seed ${dataSeed}` : `data ${dataSeed} / init ${initSeed}`;
}

/** Formats a number for captions and tables: 4 significant digits, exponent when tiny or huge. */
export function formatNumber(value: Cell | undefined, digits = 4): string {
  if (typeof value !== 'number') return value === null || value === undefined ? '–' : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(digits - 1);
  return String(Number(value.toPrecision(digits)));
}

/** Picks every k-th index so that at most `limit` remain (k = ceil(count / limit)). */
export function strideIndices(count: number, limit: number): { indices: number[]; stride: number } {
  const stride = Math.max(1, Math.ceil(count / limit));
  const indices: number[] = [];
  for (let i = 0; i < count; i += stride) indices.push(i);
  return { indices, stride };
}

/** Panels drawn at most in one faceted figure; the report notes the rest (all are in the tables). */
export const MAX_PANELS = 12;

/** The first MAX_PANELS items (already in label order) and a caption sentence when some are left out. */
export function limitPanels<T>(items: T[]): { shown: T[]; omittedNote: string } {
  if (items.length <= MAX_PANELS) return { shown: items, omittedNote: '' };
  return {
    shown: items.slice(0, MAX_PANELS),
    omittedNote: `Only the first ${MAX_PANELS} of ${items.length} configurations (in label order) are drawn; all are in the tables.`,
  };
}
