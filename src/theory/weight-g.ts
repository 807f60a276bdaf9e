/**
 * The data-dependent weight of PAPER.md ("The data-dependent weight function"): with X uniform on
 * the training inputs x_1..x_n (n x d, row-major),
 *   g~(u, t) = P(u.X > t)^2 * E[u.X - t | u.X > t] * sqrt(1 + ||E[X | u.X > t]||^2)   (0 if no x_i has u.x_i > t)
 *   g(u, t)  = min(g~(u, t), g~(-u, -t)).
 * Both sides come from one O(n d) pass: points with u.x > t feed g~(u, t), points with u.x < t
 * feed g~(-u, -t) (since -u.x > -t), points exactly on the hyperplane feed neither.
 */
export interface WeightScratch {
  /** Sum of x_i over the points above the hyperplane, then below (2d numbers). */
  sums: Float64Array;
}

export function weightScratch(d: number): WeightScratch {
  return { sums: new Float64Array(2 * d) };
}

/**
 * g(u, t) for the unit vector u = direction[offset .. offset + d) and threshold t.
 *
 * Written with counts c, excess sums e = sum (u.x_i - t) and input sums s over one side:
 *   g~ = (c/n)^2 (e/c) sqrt(1 + ||s/c||^2) = c e / n^2 * sqrt(1 + ||s||^2 / c^2).
 *
 * @example  d = 1, inputs {-1, 0, 1}, u = 1, t = 0: above {1}: g~ = (1/3)^2 * 1 * sqrt(2);
 *           below {-1}: g~(-1, 0) the same, so g = sqrt(2)/9.
 */
export function empiricalWeight(
  inputs: Float64Array,
  n: number,
  d: number,
  direction: Float64Array,
  offset: number,
  t: number,
  scratch: WeightScratch,
): number {
  const sums = scratch.sums;
  sums.fill(0);
  let countAbove = 0;
  let countBelow = 0;
  let excessAbove = 0;
  let excessBelow = 0;
  for (let i = 0; i < n; i++) {
    const row = i * d;
    let projection = 0;
    for (let j = 0; j < d; j++) projection += direction[offset + j] * inputs[row + j];
    if (projection > t) {
      countAbove++;
      excessAbove += projection - t;
      for (let j = 0; j < d; j++) sums[j] += inputs[row + j];
    } else if (projection < t) {
      countBelow++;
      excessBelow += t - projection;
      for (let j = 0; j < d; j++) sums[d + j] += inputs[row + j];
    }
  }
  const above = sideWeight(countAbove, excessAbove, sums, 0, d, n);
  const below = sideWeight(countBelow, excessBelow, sums, d, d, n);
  return Math.min(above, below);
}

function sideWeight(count: number, excess: number, sums: Float64Array, offset: number, d: number, n: number): number {
  if (count === 0) return 0;
  let sumSq = 0;
  for (let j = 0; j < d; j++) sumSq += sums[offset + j] * sums[offset + j];
  return ((count * excess) / (n * n)) * Math.sqrt(1 + sumSq / (count * count));
}
