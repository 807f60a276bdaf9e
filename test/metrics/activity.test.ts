import { describe, expect, it } from 'vitest';
import { summariseActivity } from '../../src/metrics/index.js';
import { RandomStream } from '../../src/rng/index.js';

/** The definition, by sorting: median of count/n over counts > 0. */
function referenceMedian(counts: number[], n: number): number {
  const active = counts.filter((c) => c > 0).sort((a, b) => a - b);
  if (active.length === 0) return Number.NaN;
  const middle = active.length >> 1;
  return (active.length % 2 ? active[middle] : (active[middle - 1] + active[middle]) / 2) / n;
}

describe('summariseActivity', () => {
  it('matches the sorted definition on random counts (odd and even numbers of active neurons)', () => {
    const stream = new RandomStream(['test', 'activity']);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(stream.uniform() * 50);
      const width = 1 + Math.floor(stream.uniform() * 40);
      // A third dead, some full, the rest anywhere.
      const counts = Int32Array.from({ length: width }, () => {
        const u = stream.uniform();
        return u < 0.33 ? 0 : u < 0.45 ? n : Math.floor(stream.uniform() * (n + 1));
      });
      const summary = summariseActivity(counts, n, new Int32Array(n + 1));
      const list = Array.from(counts);
      expect(summary.dead).toBe(list.filter((c) => c === 0).length);
      expect(summary.full).toBe(list.filter((c) => c === n).length);
      expect(summary.partial).toBe(list.filter((c) => c > 0 && c < n).length);
      const expected = referenceMedian(list, n);
      if (Number.isNaN(expected)) expect(summary.medianRate).toBeNaN();
      else expect(summary.medianRate).toBe(expected);
    }
  });

  it('gives NaN as the median when every neuron is dead', () => {
    expect(summariseActivity(new Int32Array(5), 10, new Int32Array(11)).medianRate).toBeNaN();
  });
});
