/** Read access to the part files of a directory's sessions, checked against the expected schemas. */
import { existsSync } from 'node:fs';
import type { Schema } from 'apache-arrow';
import type { Commit } from './committed.js';
import { partPath } from './committed.js';
import { StreamFileReader, frameBytes, readFrame, readFrameHeader } from './frames.js';
import type { TableName } from './parts.js';
import { type ConfigValue, type PartTable, type TableSchemas, describeSchema } from './schema.js';

export class SessionFiles {
  private readonly readers = new Map<string, StreamFileReader>();

  constructor(private readonly dir: string, private readonly schemas: TableSchemas) {}

  private reader(session: string, table: TableName): StreamFileReader {
    const key = `${session}/${table}`;
    let reader = this.readers.get(key);
    if (reader === undefined) {
      const path = partPath(this.dir, session, table);
      if (!existsSync(path)) throw new Error(`${path} is missing but a committed runs row points into it`);
      reader = new StreamFileReader(path);
      this.readers.set(key, reader);
      const expected = table === 'runs' ? this.schemas.runsPart : this.schemas[table];
      if (reader.schema === null || describeSchema(reader.schema) !== describeSchema(expected)) {
        throw new Error(
          `${path} has columns [${reader.schema === null ? 'none' : describeSchema(reader.schema)}] but the table options ` +
            `give [${describeSchema(expected)}]: it was written with other config columns or save options`,
        );
      }
    }
    return reader;
  }

  /** The runs values of a commit, in runs.arrow's column order (without the __part_* columns). */
  runsValues(commit: Commit, runs: Schema): ConfigValue[] {
    const batch = this.reader(commit.session, 'runs').batchAt(commit.runsFrame);
    const values: ConfigValue[] = [];
    for (let c = 0; c < runs.fields.length; c++) values.push((batch.getChildAt(c)!.get(commit.row) as ConfigValue) ?? null);
    return values;
  }

  /** The raw frame of a commit's batch in a curves / neurons / data part file, checked to be whole. */
  frame(commit: Commit, table: PartTable): { bytes: Uint8Array; metadataBytes: number } | null {
    const location = commit.locations[table];
    if (location === undefined) return null;
    const reader = this.reader(commit.session, table);
    const header = readFrameHeader(reader.fd, location.offset, reader.fileBytes);
    if (header === null || header.kind !== 'batch' || frameBytes(header) !== location.bytes) {
      throw new Error(`${reader.path}: no record batch of ${location.bytes} bytes at byte ${location.offset}, where a committed runs row points`);
    }
    return { bytes: readFrame(reader.fd, header), metadataBytes: header.metadataBytes };
  }

  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }
}
