/**
 * Summary of per-neuron activation counts (DESIGN.md, Decisions): dead = active on no training
 * point, full = on all n, partial = in between; the median activation rate is taken over the
 * active neurons (rate > 0) only, and is NaN when there are none.
 */
export interface ActivitySummary {
  dead: number;
  partial: number;
  full: number;
  /** Median of count/n over neurons with count > 0 (NaN when none). */
  medianRate: number;
}

/**
 * Counting sort over the n+1 possible counts, so that the per-epoch curves cost O(width + n) and
 * allocate nothing: `histogram` must hold n+1 entries and is overwritten.
 */
export function summariseActivity(counts: Int32Array, n: number, histogram: Int32Array): ActivitySummary {
  histogram.fill(0, 0, n + 1);
  for (let k = 0; k < counts.length; k++) histogram[counts[k]]++;
  const dead = histogram[0];
  const full = histogram[n];
  const active = counts.length - dead;
  return { dead, full, partial: active - full, medianRate: active === 0 ? Number.NaN : medianActiveCount(histogram, n, active) / n };
}

/** Median of the counts 1..n recorded in the histogram (mean of the two middle ones when `active` is even). */
function medianActiveCount(histogram: Int32Array, n: number, active: number): number {
  const lowRank = Math.floor((active - 1) / 2);
  const highRank = Math.floor(active / 2);
  let seen = 0;
  let low = -1;
  for (let count = 1; count <= n; count++) {
    seen += histogram[count];
    if (low < 0 && seen > lowRank) low = count;
    if (seen > highRank) return (low + count) / 2;
  }
  return low;
}
