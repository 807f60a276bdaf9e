/**
 * Part files: where a running sweep's rows go, one session at a time.
 *
 * Layout: DIR/parts/NNNNNN/{runs,curves,neurons,data}.arrows, one numbered directory per session
 * (every SweepWriter.open, every combine), each file an Arrow IPC *stream* (schema frame, one
 * record-batch frame per committed task, the end-of-stream marker on a clean close). Why:
 * - streams can be appended to and read back up to the last complete batch after a kill -9,
 *   while a file-format table without its footer is unreadable;
 * - a second stream appended to an existing stream file is silently ignored by readers, so a
 *   resume never appends to an old file: it claims a new session directory (mkdir is atomic);
 * - the runs row, written last, is the commit marker. It carries the byte offset and length of the
 *   same commit's curves / neurons / data batches (the __part_* columns), so rows of a task whose
 *   runs row never made it to disk are simply never referenced.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import { writeFully } from './files.js';
import { END_OF_STREAM, FrameEncoder } from './frames.js';
import { runsBatch } from './batches.js';
import {
  PART_TABLES, RUN_MEASURE_NAMES, RUN_MEASURE_TYPES, type ColumnType, type ConfigValue, type PartTable, type TableOptions,
  type TableSchemas, tableSchemas,
} from './schema.js';

export const PARTS_DIR = 'parts';
export type TableName = 'runs' | PartTable;
export const partFileName = (table: TableName): string => `${table}.arrows`;

const SESSION_NAME = /^\d{6}$/;

/** Session directory names under dir/parts, oldest first (their numbers order the commits). */
export function listSessions(dir: string): string[] {
  const partsDir = join(dir, PARTS_DIR);
  if (!existsSync(partsDir)) return [];
  return readdirSync(partsDir).filter((name) => SESSION_NAME.test(name)).sort();
}

/** Claims the next session number by creating its directory (atomic: two claimants never share one). */
function claimSession(dir: string): { name: string; path: string } {
  mkdirSync(join(dir, PARTS_DIR), { recursive: true });
  const existing = listSessions(dir);
  let next = existing.length === 0 ? 1 : Number(existing[existing.length - 1]) + 1;
  for (;;) {
    const name = String(next).padStart(6, '0');
    const path = join(dir, PARTS_DIR, name);
    try {
      mkdirSync(path);
      return { name, path };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      next++;
    }
  }
}

/** The runs columns' types in schema order (task_id, config, measures), without the __part_* columns. */
export function runsColumnTypes(options: TableOptions): ColumnType[] {
  return ['utf8', ...options.configColumns.map((c) => c.type), ...RUN_MEASURE_NAMES.map((name) => RUN_MEASURE_TYPES[name])];
}

interface PartFile {
  fd: number;
  positionBytes: number;
}

/** Where one commit's batch went in a part file. */
export interface PartLocation { offset: number; bytes: number }

/**
 * One session's part files, open for appending. Low level: takes encoded frames and runs rows;
 * SweepWriter builds them from task results, combineOutputs copies them from other directories.
 */
export class PartSession {
  readonly name: string;
  readonly path: string;
  readonly schemas: TableSchemas;
  private readonly runsTypes: ColumnType[];
  private readonly runsEncoder: FrameEncoder;
  private readonly files = new Map<TableName, PartFile>();
  /** Set when a write failed part-way: the file may end in a partial frame, so nothing may follow it. */
  private brokenBy: Error | null = null;
  private closed = false;

  private readonly encoders = new Map<Schema, FrameEncoder>();

  static open(dir: string, options: TableOptions): PartSession {
    return new PartSession(dir, options);
  }

  private constructor(dir: string, options: TableOptions) {
    this.schemas = tableSchemas(options);
    this.runsTypes = [...runsColumnTypes(options), ...PART_TABLES.flatMap((): ColumnType[] => ['float64', 'float64'])];
    const { name, path } = claimSession(dir);
    this.name = name;
    this.path = path;
    this.runsEncoder = this.encoder(this.schemas.runsPart);
    const tables: TableName[] = ['runs', 'curves', 'neurons', ...(options.saveData ? (['data'] as const) : [])];
    for (const table of tables) {
      const fd = openSync(join(path, partFileName(table)), 'wx');
      const schemaFrame = this.encoder(this.schemaOf(table)).schemaFrame;
      writeFully(fd, schemaFrame);
      this.files.set(table, { fd, positionBytes: schemaFrame.byteLength });
    }
  }

  schemaOf(table: TableName): Schema {
    return table === 'runs' ? this.schemas.runsPart : this.schemas[table];
  }

  encoder(schema: Schema): FrameEncoder {
    let encoder = this.encoders.get(schema);
    if (encoder === undefined) {
      encoder = new FrameEncoder(schema);
      this.encoders.set(schema, encoder);
    }
    return encoder;
  }

  hasTable(table: PartTable): boolean {
    return this.files.has(table);
  }

  /** Appends one record-batch frame of a curves / neurons / data batch; returns where it went. */
  appendFrame(table: PartTable, frame: Uint8Array): PartLocation {
    const file = this.files.get(table);
    if (file === undefined) throw new Error(`this session has no ${table} part file (TableOptions.saveData is false)`);
    return { offset: this.write(file, frame), bytes: frame.byteLength };
  }

  /**
   * Appends the commit marker: one runs row (values in runs schema order) pointing at the batches
   * of the same commit. When this returns the commit is in the file.
   */
  commitRunsRow(values: readonly ConfigValue[], locations: Partial<Record<PartTable, PartLocation>>): void {
    const row = [...values];
    for (const table of PART_TABLES) {
      const location = locations[table];
      row.push(location === undefined ? null : location.offset, location === undefined ? null : location.bytes);
    }
    const frame = this.runsEncoder.encode(runsBatch(this.schemas.runsPart, this.runsTypes, [row]));
    this.write(this.files.get('runs')!, frame);
  }

  private write(file: PartFile, frame: Uint8Array): number {
    if (this.closed) throw new Error(`part session ${this.path} is closed`);
    if (this.brokenBy !== null) {
      throw new Error(`part session ${this.path} is unusable after a failed write (${this.brokenBy.message}); open a new one`);
    }
    const offset = file.positionBytes;
    try {
      writeFully(file.fd, frame);
    } catch (error) {
      this.brokenBy = error as Error;
      throw error;
    }
    file.positionBytes += frame.byteLength;
    return offset;
  }

  /** Ends each stream with its end marker and syncs it to disk. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const file of this.files.values()) {
      try {
        if (this.brokenBy === null) writeFully(file.fd, END_OF_STREAM);
        fsyncSync(file.fd);
      } finally {
        closeSync(file.fd);
      }
    }
  }
}
