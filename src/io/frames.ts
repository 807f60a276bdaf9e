/**
 * Arrow IPC messages ("frames") as byte strings, so that the writers can append them to files with one
 * synchronous write each and the readers can find, skip and copy them by byte offset.
 *
 * A frame is what the IPC stream format puts one after the other (Arrow columnar spec,
 * "Encapsulated message format"):
 *   int32 0xFFFFFFFF | int32 metadataBytes | Message flatbuffer (padded to 8) | body (bodyBytes, padded to 8)
 * A stream file is a schema frame, record-batch frames, then the 8-byte end-of-stream marker. The IPC
 * file format (Feather v2) wraps the same frames between the magic "ARROW1\0\0" and a footer that lists
 * each record batch's offset and lengths, which is what lets us copy frames between files unchanged.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { RecordBatch, RecordBatchReader, RecordBatchStreamWriter, Schema } from 'apache-arrow';
import { AsyncByteQueue } from 'apache-arrow/io/stream';
import { Message } from 'apache-arrow/ipc/metadata/message';

/** The end-of-stream marker: continuation token then a zero metadata length. */
export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

const FRAME_PREFIX_BYTES = 8;

const ENCODES_PER_RESET = 256;

/** Collects what an arrow-js writer emits instead of queueing it for an async reader. */
class CaptureSink extends AsyncByteQueue {
  private chunks: Uint8Array[] = [];
  private byteLength = 0;

  override write(value: Uint8Array): void {
    if (value.byteLength === 0) return;
    this.chunks.push(value);
    this.byteLength += value.byteLength;
  }

  /** Everything written since the last take, as one fresh buffer (chunks may alias batch buffers). */
  take(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    this.chunks = [];
    this.byteLength = 0;
    return out;
  }
}

/**
 * Encodes record batches of one schema into frames (batches must have an equal schema).
 */
export class FrameEncoder {
  readonly schema: Schema;
  /** The schema message, written first in stream files and right after the magic in Feather files. */
  readonly schemaFrame: Uint8Array;
  private readonly sink = new CaptureSink();
  private readonly writer = new RecordBatchStreamWriter();
  private encodedSinceReset = 0;

  constructor(schema: Schema) {
    this.schema = schema;
    this.writer.reset(this.sink, schema);
    this.schemaFrame = this.sink.take();
  }

  encode(batch: RecordBatch): Uint8Array {
    // arrow-js keeps a block entry per batch written (for file footers): restart its stream now
    // and then, so that a writer committing millions of tasks keeps its memory flat.
    if (++this.encodedSinceReset > ENCODES_PER_RESET) {
      this.writer.reset(this.sink, null);
      this.writer.reset(this.sink, this.schema);
      this.sink.take();
      this.encodedSinceReset = 1;
    }
    this.writer.write(batch);
    const frame = this.sink.take();
    // On a schema mismatch arrow-js ends its stream instead of throwing: all it emits is the end marker.
    if (frame.byteLength <= END_OF_STREAM.byteLength) {
      throw new Error(`FrameEncoder: a batch of schema [${batch.schema.fields.join(', ')}] does not match [${this.schema.fields.join(', ')}]`);
    }
    return frame;
  }
}

export interface FrameHeader {
  /** Byte offset of the frame in its file. */
  offset: number;
  /** Prefix plus padded flatbuffer: the FileBlock's metaDataLength. */
  metadataBytes: number;
  bodyBytes: number;
  kind: 'schema' | 'batch' | 'other';
}

/** Total length of a frame in bytes. */
export function frameBytes(frame: FrameHeader): number {
  return frame.metadataBytes + frame.bodyBytes;
}

function readExactly(fd: number, length: number, position: number): Uint8Array | null {
  const buffer = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buffer, got, length - got, position + got);
    if (n === 0) return null;
    got += n;
  }
  return buffer;
}

/** Reads the frame header at offset; null at end of stream, end of file or a truncated frame. */
export function readFrameHeader(fd: number, offset: number, fileBytes: number): FrameHeader | null {
  if (offset + FRAME_PREFIX_BYTES > fileBytes) return null;
  const prefix = readExactly(fd, FRAME_PREFIX_BYTES, offset);
  if (prefix === null) return null;
  const view = new DataView(prefix.buffer);
  // Only the modern framing (continuation token first) is ever written here.
  if (view.getInt32(0, true) !== -1) return null;
  const flatbufferBytes = view.getInt32(4, true);
  if (flatbufferBytes <= 0 || offset + FRAME_PREFIX_BYTES + flatbufferBytes > fileBytes) return null;
  const flatbuffer = readExactly(fd, flatbufferBytes, offset + FRAME_PREFIX_BYTES);
  if (flatbuffer === null) return null;
  let message: Message;
  try {
    message = Message.decode(flatbuffer);
  } catch {
    return null;
  }
  const frame: FrameHeader = {
    offset,
    metadataBytes: FRAME_PREFIX_BYTES + flatbufferBytes,
    bodyBytes: Number(message.bodyLength),
    kind: message.isSchema() ? 'schema' : message.isRecordBatch() ? 'batch' : 'other',
  };
  // A frame whose body runs past the end of the file was cut by a crash: it does not exist yet.
  if (offset + frameBytes(frame) > fileBytes) return null;
  return frame;
}

/** Reads a whole frame's bytes. */
export function readFrame(fd: number, frame: FrameHeader): Uint8Array {
  const bytes = readExactly(fd, frameBytes(frame), frame.offset);
  if (bytes === null) throw new Error(`frame at byte ${frame.offset} runs past the end of its file`);
  return bytes;
}

/**
 * Decodes one record-batch frame against the schema frame of its file, by handing arrow-js a
 * three-message stream (schema, batch, end).
 */
export function decodeBatch(schemaFrame: Uint8Array, batchFrame: Uint8Array): RecordBatch {
  const bytes = new Uint8Array(schemaFrame.byteLength + batchFrame.byteLength + END_OF_STREAM.byteLength);
  bytes.set(schemaFrame, 0);
  bytes.set(batchFrame, schemaFrame.byteLength);
  bytes.set(END_OF_STREAM, schemaFrame.byteLength + batchFrame.byteLength);
  const reader = RecordBatchReader.from(bytes);
  const first = reader.next();
  if (first.done) throw new Error('decodeBatch: the frame holds no record batch');
  return first.value;
}

/** Decodes a schema frame. */
export function decodeSchema(schemaFrame: Uint8Array): Schema {
  const bytes = new Uint8Array(schemaFrame.byteLength + END_OF_STREAM.byteLength);
  bytes.set(schemaFrame, 0);
  bytes.set(END_OF_STREAM, schemaFrame.byteLength);
  return RecordBatchReader.from(bytes).open().schema;
}

/**
 * A stream file opened for reading frame by frame: its schema and the complete record-batch frames
 * in order. Iteration stops at the end-of-stream marker or at the first incomplete frame (a crash
 * mid-write), so a truncated tail is never seen.
 */
export class StreamFileReader {
  readonly path: string;
  readonly fd: number;
  readonly fileBytes: number;
  /** null when the file is empty or its schema frame itself was cut short. */
  readonly schemaFrame: Uint8Array | null;
  readonly schema: Schema | null;
  private readonly firstBatchOffset: number;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'r');
    this.fileBytes = fstatSync(this.fd).size;
    const head = readFrameHeader(this.fd, 0, this.fileBytes);
    if (head === null || head.kind !== 'schema') {
      this.schemaFrame = null;
      this.schema = null;
      this.firstBatchOffset = 0;
    } else {
      this.schemaFrame = readFrame(this.fd, head);
      this.schema = decodeSchema(this.schemaFrame);
      this.firstBatchOffset = frameBytes(head);
    }
  }

  *frames(): Generator<FrameHeader> {
    if (this.schemaFrame === null) return;
    let offset = this.firstBatchOffset;
    for (;;) {
      const frame = readFrameHeader(this.fd, offset, this.fileBytes);
      if (frame === null) return;
      if (frame.kind !== 'batch') {
        throw new Error(`${this.path}: unexpected ${frame.kind} message at byte ${offset} (dictionaries are never written here)`);
      }
      yield frame;
      offset += frameBytes(frame);
    }
  }

  /** Decodes the record batch of a frame of this file. */
  batchAt(frame: FrameHeader): RecordBatch {
    if (this.schemaFrame === null) throw new Error(`${this.path}: no schema`);
    return decodeBatch(this.schemaFrame, readFrame(this.fd, frame));
  }

  close(): void {
    closeSync(this.fd);
  }
}
