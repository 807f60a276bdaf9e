/**
 * Arrow column data (arrow-js `Data`) built directly from typed arrays: no per-row objects, and the
 * value buffers of float and int columns are the task's own arrays (they are encoded right away).
 */
import { Bool, Data, Field, Float64, Int32, List, Utf8, makeData } from 'apache-arrow';
import type { ColumnType, ConfigValue } from './schema.js';

const encoder = new TextEncoder();

/** Validity bitmap (1 = valid) from a predicate; null when every row is valid. */
function validityBitmap(length: number, isNull: (i: number) => boolean): { bitmap: Uint8Array | undefined; nullCount: number } {
  let nullCount = 0;
  let bitmap: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    if (!isNull(i)) continue;
    if (bitmap === undefined) bitmap = new Uint8Array((length + 7) >> 3).fill(0xff);
    bitmap[i >> 3] &= ~(1 << (i & 7));
    nullCount++;
  }
  return { bitmap, nullCount };
}

/** float64 column; NaN entries become null when nanIsNull (values stay in the buffer, masked). */
export function float64Column(values: Float64Array, nanIsNull = false): Data<Float64> {
  const { bitmap, nullCount } = nanIsNull ? validityBitmap(values.length, (i) => Number.isNaN(values[i])) : { bitmap: undefined, nullCount: 0 };
  return makeData({ type: new Float64(), length: values.length, nullCount, data: values, nullBitmap: bitmap });
}

export function int32Column(values: Int32Array): Data<Int32> {
  return makeData({ type: new Int32(), length: values.length, nullCount: 0, data: values });
}

/** bool column from one byte per row (non-zero = true), bit-packed as Arrow wants. */
export function boolColumn(flags: Uint8Array): Data<Bool> {
  const packed = new Uint8Array((flags.length + 7) >> 3);
  for (let i = 0; i < flags.length; i++) if (flags[i] !== 0) packed[i >> 3] |= 1 << (i & 7);
  return makeData({ type: new Bool(), length: flags.length, nullCount: 0, data: packed });
}

/** utf8 column made of runs of repeated strings, e.g. [['train', 512], ['test', 10000]]. */
export function repeatedUtf8Column(runs: readonly (readonly [string, number])[]): Data<Utf8> {
  const encodedRuns = runs.map(([value, count]) => [encoder.encode(value), count] as const);
  let length = 0;
  let byteLength = 0;
  for (const [bytes, count] of encodedRuns) {
    length += count;
    byteLength += bytes.byteLength * count;
  }
  const data = new Uint8Array(byteLength);
  const offsets = new Int32Array(length + 1);
  let row = 0;
  let at = 0;
  for (const [bytes, count] of encodedRuns) {
    for (let i = 0; i < count; i++) {
      data.set(bytes, at);
      at += bytes.byteLength;
      offsets[++row] = at;
    }
  }
  return makeData({ type: new Utf8(), length, nullCount: 0, data, valueOffsets: offsets });
}

/** list<float64> column of `rows` lists of `width` values each, from a row-major rows x width array. */
export function fixedWidthListColumn(type: List<Float64>, valuesRowMajor: Float64Array, rows: number, width: number): Data<List<Float64>> {
  if (valuesRowMajor.length !== rows * width) {
    throw new Error(`list column: expected ${rows} x ${width} = ${rows * width} values, got ${valuesRowMajor.length}`);
  }
  const offsets = new Int32Array(rows + 1);
  for (let i = 0; i <= rows; i++) offsets[i] = i * width;
  const child = makeData({ type: (type.children[0] as Field<Float64>).type, length: rows * width, nullCount: 0, data: valuesRowMajor });
  return makeData({ type, length: rows, nullCount: 0, valueOffsets: offsets, child });
}

/** A column of the runs table from plain values (null allowed), typed as its schema says. */
export function scalarColumn(type: ColumnType, values: readonly ConfigValue[]): Data {
  const length = values.length;
  const { bitmap, nullCount } = validityBitmap(length, (i) => values[i] === null);
  switch (type) {
    case 'float64': {
      const data = new Float64Array(length);
      for (let i = 0; i < length; i++) data[i] = values[i] === null ? 0 : (values[i] as number);
      return makeData({ type: new Float64(), length, nullCount, nullBitmap: bitmap, data });
    }
    case 'int32': {
      const data = new Int32Array(length);
      for (let i = 0; i < length; i++) data[i] = values[i] === null ? 0 : (values[i] as number);
      return makeData({ type: new Int32(), length, nullCount, nullBitmap: bitmap, data });
    }
    case 'bool': {
      const data = new Uint8Array((length + 7) >> 3);
      for (let i = 0; i < length; i++) if (values[i] === true) data[i >> 3] |= 1 << (i & 7);
      return makeData({ type: new Bool(), length, nullCount, nullBitmap: bitmap, data });
    }
    case 'utf8': {
      const encoded = values.map((v) => (v === null ? new Uint8Array(0) : encoder.encode(v as string)));
      const offsets = new Int32Array(length + 1);
      for (let i = 0; i < length; i++) offsets[i + 1] = offsets[i] + encoded[i].byteLength;
      const data = new Uint8Array(offsets[length]);
      for (let i = 0; i < length; i++) data.set(encoded[i], offsets[i]);
      return makeData({ type: new Utf8(), length, nullCount, nullBitmap: bitmap, data, valueOffsets: offsets });
    }
  }
}

/** Checks that value fits a column of this type; returns an error message, or null when it fits. */
export function checkValue(type: ColumnType, value: unknown): string | null {
  if (value === null) return null;
  switch (type) {
    case 'float64':
      return typeof value === 'number' ? null : 'a number or null';
    case 'int32':
      return typeof value === 'number' && Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff
        ? null
        : 'an integer in int32 range or null';
    case 'utf8':
      return typeof value === 'string' ? null : 'a string or null';
    case 'bool':
      return typeof value === 'boolean' ? null : 'a boolean or null';
  }
}
