/**
 * Independent, deliberately naive implementations of PAPER.md's definitions (arrays of points,
 * filter/reduce) for the theory tests to compare the library against.
 */
export function toPoints(inputs: Float64Array, n: number, d: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(inputs.subarray(i * d, (i + 1) * d)));
}

const dot = (a: number[], b: number[]) => a.reduce((sum, ai, j) => sum + ai * b[j], 0);

/** g~(u, t) = P(u.X > t)^2 E[u.X - t | u.X > t] sqrt(1 + ||E[X | u.X > t]||^2), X uniform on the points. */
export function bruteGTilde(points: number[][], u: number[], t: number): number {
  const selected = points.filter((x) => dot(u, x) > t);
  if (selected.length === 0) return 0;
  const probability = selected.length / points.length;
  const meanExcess = selected.reduce((sum, x) => sum + (dot(u, x) - t), 0) / selected.length;
  const meanPoint = u.map((_, j) => selected.reduce((sum, x) => sum + x[j], 0) / selected.length);
  return probability ** 2 * meanExcess * Math.sqrt(1 + dot(meanPoint, meanPoint));
}

export function bruteG(points: number[][], u: number[], t: number): number {
  return Math.min(
    bruteGTilde(points, u, t),
    bruteGTilde(
      points,
      u.map((c) => -c),
      -t,
    ),
  );
}

/** sum_k |v_k| ||w_k|| g(w_k/||w_k||, -b_k/||w_k||) over neurons with w_k != 0 (no merging). */
export function bruteVgNorm(params: Float64Array, d: number, width: number, points: number[][]): number {
  let total = 0;
  for (let k = 0; k < width; k++) {
    const w = Array.from(params.subarray(k * d, (k + 1) * d));
    const norm = Math.sqrt(dot(w, w));
    if (norm === 0) continue;
    const b = params[width * d + k];
    const v = params[width * d + width + k];
    total += Math.abs(v) * norm * bruteG(
      points,
      w.map((c) => c / norm),
      -b / norm,
    );
  }
  return total;
}
