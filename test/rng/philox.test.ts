import { describe, expect, it } from 'vitest';
import { philox4x32, RandomStream, streamKey } from '../../src/rng/index.js';

const hex = (words: Uint32Array) => [...words].map((w) => w.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  it('matches the known-answer vectors of Random123 (kat_vectors)', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(hex(out)).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(hex(out)).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(hex(out)).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('RandomStream', () => {
  it('is a pure function of its key parts', () => {
    const a = new RandomStream(['data', 1, 5]);
    const b = new RandomStream(['data', 1, 5]);
    const c = new RandomStream(['data', 2, 5]);
    const drawsA = Array.from({ length: 10 }, () => a.normal());
    expect(Array.from({ length: 10 }, () => b.normal())).toEqual(drawsA);
    expect(Array.from({ length: 10 }, () => c.normal())).not.toEqual(drawsA);
    expect(streamKey(['x', 1])).not.toEqual(streamKey(['x', '1']));
  });

  it('gives uniforms in (0, 1) with mean 1/2 and normals with mean 0 and variance 1', () => {
    const s = new RandomStream(['moments']);
    const count = 200_000;
    let sumU = 0;
    let sumZ = 0;
    let sumZ2 = 0;
    for (let i = 0; i < count; i++) {
      const u = s.uniform();
      expect(u > 0 && u < 1).toBe(true);
      sumU += u;
      const z = s.normal();
      sumZ += z;
      sumZ2 += z * z;
    }
    expect(Math.abs(sumU / count - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / count));
    expect(Math.abs(sumZ / count)).toBeLessThan(4 / Math.sqrt(count));
    expect(Math.abs(sumZ2 / count - 1)).toBeLessThan(4 * Math.sqrt(2 / count));
  });
});
