/**
 * Eigen-decomposition of a small symmetric tridiagonal matrix T (the Lanczos projection of the
 * Hessian) by the implicit QL method with Wilkinson shifts. Written over caller-owned typed arrays
 * so that Lanczos can re-solve T after every step without allocating.
 *
 * Instead of always accumulating the full eigenvector matrix Z (columns = eigenvectors), the
 * caller passes `rows` rows R (row-major, stride m) and gets R Z back: each plane rotation acts on
 * two columns and every row independently. Lanczos needs only the last components of the
 * eigenvectors at each step (R = e_(m-1)^T, O(m^2) per solve) and the full Z once at the end.
 *
 * Example: T = [[2, 1], [1, 2]], rows = identity  ->  values {1, 3}, Z columns (1,-1)/sqrt2, (1,1)/sqrt2.
 */
export interface TridiagonalWork {
  /** Out: the m eigenvalues, in no particular order (length >= m). */
  values: Float64Array;
  /** Scratch for the off-diagonal (length >= m). */
  offScratch: Float64Array;
}

/** Sweeps of QL allowed per eigenvalue before giving up (2 to 3 are typical). */
const MAX_SWEEPS_PER_EIGENVALUE = 60;

/**
 * @param m order of T
 * @param diagonal T_ii, i < m
 * @param offDiagonal T_(i,i+1), i < m-1
 * @param vectors rows x m row-major; on entry R, on exit R Z
 * @returns false when the iteration did not converge (non-finite input), true otherwise
 */
export function tridiagonalEigen(
  m: number,
  diagonal: Float64Array,
  offDiagonal: Float64Array,
  work: TridiagonalWork,
  vectors: Float64Array,
  rows: number,
): boolean {
  const d = work.values;
  const e = work.offScratch;
  for (let i = 0; i < m; i++) {
    d[i] = diagonal[i];
    e[i] = i < m - 1 ? offDiagonal[i] : 0;
  }
  for (let l = 0; l < m; l++) {
    let sweeps = 0;
    let split: number;
    do {
      // Find the first negligible off-diagonal at or after l: T splits there.
      for (split = l; split < m - 1; split++) {
        const scale = Math.abs(d[split]) + Math.abs(d[split + 1]);
        if (Math.abs(e[split]) <= Number.EPSILON * scale) break;
      }
      if (split === l) break;
      if (sweeps++ === MAX_SWEEPS_PER_EIGENVALUE) return false;
      // Wilkinson shift from the leading 2 x 2 block.
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[split] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let deflated = false;
      for (let i = split - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          // Underflow: the matrix split early; restart the sweep from l.
          d[i + 1] -= p;
          e[split] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let row = 0; row < rows; row++) {
          const at = row * m;
          const zNext = vectors[at + i + 1];
          const zHere = vectors[at + i];
          vectors[at + i + 1] = s * zHere + c * zNext;
          vectors[at + i] = c * zHere - s * zNext;
        }
      }
      if (deflated) continue;
      d[l] -= p;
      e[l] = g;
      e[split] = 0;
    } while (split !== l);
  }
  return true;
}

/** Index of the largest of values[0..m). */
export function indexOfLargest(values: Float64Array, m: number): number {
  let best = 0;
  for (let i = 1; i < m; i++) if (values[i] > values[best]) best = i;
  return best;
}
