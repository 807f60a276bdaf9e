/**
 * Synchronous file output: whole buffers written with fs.writeSync (so a write is in the kernel's
 * hands, and survives a kill -9 of this process, when the call returns), and the Feather v2 writer
 * that assembles a final table from frames.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { MetadataVersion, Schema } from 'apache-arrow';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';
import { END_OF_STREAM } from './frames.js';

/** Writes all of bytes at the file's current end (fd opened for appending or writing). */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.byteLength) {
    done += writeSync(fd, bytes, done, bytes.byteLength - done);
  }
}

/** "ARROW1" and two bytes of padding: the start of an IPC file. */
const MAGIC_AND_PADDING = new Uint8Array([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31, 0, 0]);
const MAGIC = MAGIC_AND_PADDING.subarray(0, 6);

/** metaDataLength of a frame held in memory: prefix plus flatbuffer length. */
export function frameMetadataBytes(frame: Uint8Array): number {
  return 8 + new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(4, true);
}

/**
 * Writes one Feather v2 (Arrow IPC file format) table from record-batch frames, to `path + '.partial'`
 * first; finish() syncs it and renames it over path, so readers of path only ever see a whole file.
 * A crash leaves at worst the .partial file, which the next writer of the same table truncates.
 */
export class FeatherFileWriter {
  readonly path: string;
  private readonly partialPath: string;
  private readonly schema: Schema;
  private fd: number;
  private positionBytes = 0;
  private readonly blocks: FileBlock[] = [];

  constructor(path: string, schema: Schema, schemaFrame: Uint8Array) {
    this.path = path;
    this.partialPath = `${path}.partial`;
    this.schema = schema;
    this.fd = openSync(this.partialPath, 'w');
    this.write(MAGIC_AND_PADDING);
    // The file format's body is a stream: readers that scan it sequentially expect the schema first.
    this.write(schemaFrame);
  }

  get batches(): number {
    return this.blocks.length;
  }

  /** Appends one record-batch frame (its bytes exactly as encoded: prefix, metadata, body). */
  appendFrame(frame: Uint8Array, metadataBytes = frameMetadataBytes(frame)): void {
    this.blocks.push(new FileBlock(metadataBytes, frame.byteLength - metadataBytes, this.positionBytes));
    this.write(frame);
  }

  finish(): void {
    const footer = Footer.encode(new Footer(this.schema, MetadataVersion.V5, this.blocks, []));
    this.write(END_OF_STREAM);
    this.write(footer);
    this.write(new Uint8Array(Int32Array.of(footer.byteLength).buffer));
    this.write(MAGIC);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
    renameSync(this.partialPath, this.path);
  }

  /** Closes and deletes the .partial file without publishing anything. */
  abandon(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    rmSync(this.partialPath, { force: true });
  }

  private write(bytes: Uint8Array): void {
    writeFully(this.fd, bytes);
    this.positionBytes += bytes.byteLength;
  }
}
