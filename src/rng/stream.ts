import { createHash } from 'node:crypto';
import { philox4x32 } from './philox.js';

/** A value that may name a stream: the purpose and the settings the stream depends on. */
export type StreamKeyPart = string | number | boolean | null;

/**
 * The 64-bit Philox key of a stream: the first 8 bytes of SHA-256 over the canonical JSON of
 * its parts (purpose first, e.g. ['data', dataSeed, d, n, ...]). Streams of different purposes
 * or settings are therefore unrelated, and a stream never depends on a task id.
 */
export function streamKey(parts: readonly StreamKeyPart[]): [number, number] {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4)];
}

const TWO_POW_MINUS_53 = 1 / 9007199254740992;

/**
 * Sequential draws from one Philox4x32-10 stream. Each counter block gives four 32-bit words,
 * i.e. two 53-bit uniforms, i.e. two standard normals by Box-Muller.
 */
export class RandomStream {
  private readonly key0: number;
  private readonly key1: number;
  private counter = 0;
  private readonly block = new Uint32Array(4);
  private readonly pending = new Float64Array(2);
  private pendingUniform = 2;
  private spareNormal = 0;
  private hasSpareNormal = false;

  constructor(parts: readonly StreamKeyPart[]) {
    [this.key0, this.key1] = streamKey(parts);
  }

  private refill(): void {
    const c = this.counter++;
    // Counter words: low and high halves of the block index (2^53 blocks are plenty).
    philox4x32(c >>> 0, Math.floor(c / 4294967296) >>> 0, 0, 0, this.key0, this.key1, this.block);
    const b = this.block;
    // (k + 0.5) / 2^53 with k a 53-bit integer: uniform on (0, 1), never 0 or 1.
    this.pending[0] = ((b[0] >>> 5) * 67108864 + (b[1] >>> 6) + 0.5) * TWO_POW_MINUS_53;
    this.pending[1] = ((b[2] >>> 5) * 67108864 + (b[3] >>> 6) + 0.5) * TWO_POW_MINUS_53;
    this.pendingUniform = 0;
  }

  /** Uniform on the open interval (0, 1). */
  uniform(): number {
    if (this.pendingUniform >= 2) this.refill();
    return this.pending[this.pendingUniform++];
  }

  /** Standard normal by the Box-Muller transform (both variates of each pair are used). */
  normal(): number {
    if (this.hasSpareNormal) {
      this.hasSpareNormal = false;
      return this.spareNormal;
    }
    const u1 = this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    this.hasSpareNormal = true;
    return radius * Math.cos(angle);
  }

  /** Uniform on (-bound, bound). */
  symmetric(bound: number): number {
    return (2 * this.uniform() - 1) * bound;
  }

  /** Random sign, +1 or -1 with equal probability. */
  sign(): number {
    return this.uniform() < 0.5 ? -1 : 1;
  }
}
