/**
 * How the N shards of a sweep map onto the M elements of a Slurm job array. Slurm sites cap an
 * array's size (MaxArraySize, 1001 by default, so indices up to 1000), so a sweep of more shards
 * than --max-array runs several shards per element: element e (1-based) runs the contiguous
 * block of shards floor((e-1) N / M) + 1 .. floor(e N / M). Blocks differ in size by at most one
 * and, since the shards are cost-balanced already, so does the elements' work. The array script
 * computes the same blocks with shell arithmetic (scripts.ts); the two must agree.
 */

/** Elements of the array: one per shard, or maxArray when there are more shards than that. */
export function elementCount(shards: number, maxArray: number): number {
  return Math.min(shards, maxArray);
}

/** The shards (1-based, inclusive) that element `element` (1-based) of `elements` runs. */
export function shardsOfElement(element: number, shards: number, elements: number): { first: number; last: number } {
  if (!Number.isInteger(element) || element < 1 || element > elements) {
    throw new RangeError(`array element ${element} is outside 1..${elements}`);
  }
  return { first: Math.floor(((element - 1) * shards) / elements) + 1, last: Math.floor((element * shards) / elements) };
}

/** The element (1-based) that runs shard `shard` (1-based). */
export function elementOfShard(shard: number, shards: number, elements: number): number {
  if (!Number.isInteger(shard) || shard < 1 || shard > shards) throw new RangeError(`shard ${shard} is outside 1..${shards}`);
  // The smallest e with floor(e N / M) >= shard, i.e. e >= shard M / N.
  return Math.ceil((shard * elements) / shards);
}

/**
 * Slurm's --array syntax for a set of element indices: sorted, runs of consecutive indices
 * written as ranges ("1-3,7,9-10"), then "%P" when a concurrency cap is given.
 */
export function arraySpec(indices: readonly number[], concurrent: number | null): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) throw new RangeError('an array needs at least one element');
  const parts: string[] = [];
  let start = sorted[0];
  let previous = sorted[0];
  for (const index of [...sorted.slice(1), Number.NaN]) {
    if (index === previous + 1) {
      previous = index;
      continue;
    }
    parts.push(start === previous ? String(start) : `${start}-${previous}`);
    start = index;
    previous = index;
  }
  return `${parts.join(',')}${concurrent === null ? '' : `%${concurrent}`}`;
}
