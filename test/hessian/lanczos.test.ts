import { describe, expect, it } from 'vitest';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { lanczosLargest, LanczosWorkspace, tridiagonalEigen, type LanczosOptions } from '../../src/hessian/index.js';
import { RandomStream } from '../../src/rng/index.js';

/**
 * A symmetric operator with a prescribed spectrum: H = Q diag(spectrum) Q^T with Q a product of
 * random Householder reflections (orthogonal to rounding), applied without forming H.
 */
function knownSpectrumOperator(spectrum: number[], seed: number) {
  const size = spectrum.length;
  const stream = new RandomStream(['test', 'householder', seed, size]);
  const reflections: Float64Array[] = [];
  for (let r = 0; r < 3; r++) {
    const h = new Float64Array(size);
    let normSq = 0;
    for (let p = 0; p < size; p++) {
      h[p] = stream.normal();
      normSq += h[p] * h[p];
    }
    for (let p = 0; p < size; p++) h[p] /= Math.sqrt(normSq);
    reflections.push(h);
  }
  const reflect = (h: Float64Array, v: Float64Array) => {
    let dot = 0;
    for (let p = 0; p < size; p++) dot += h[p] * v[p];
    for (let p = 0; p < size; p++) v[p] -= 2 * dot * h[p];
  };
  let products = 0;
  const matvec = (vec: Float64Array, out: Float64Array) => {
    products++;
    out.set(vec);
    // Q^T vec, scale, then Q (Q = H1 H2 H3, each reflection its own inverse).
    for (const h of reflections) reflect(h, out);
    for (let p = 0; p < size; p++) out[p] *= spectrum[p];
    for (let r = reflections.length - 1; r >= 0; r--) reflect(reflections[r], out);
  };
  return { matvec, size, count: () => products };
}

describe('tridiagonalEigen', () => {
  it('matches ml-matrix on random symmetric tridiagonal matrices, eigenvectors included', () => {
    const stream = new RandomStream(['test', 'tridiagonal']);
    for (const m of [1, 2, 3, 7, 30]) {
      const diagonal = new Float64Array(m).map(() => stream.normal());
      const off = new Float64Array(m).map(() => stream.normal());
      const dense = Matrix.zeros(m, m);
      for (let i = 0; i < m; i++) {
        dense.set(i, i, diagonal[i]);
        if (i + 1 < m) {
          dense.set(i, i + 1, off[i]);
          dense.set(i + 1, i, off[i]);
        }
      }
      const vectors = new Float64Array(m * m);
      for (let i = 0; i < m; i++) vectors[i * m + i] = 1;
      const work = { values: new Float64Array(m), offScratch: new Float64Array(m) };
      expect(tridiagonalEigen(m, diagonal, off, work, vectors, m)).toBe(true);
      const ours = [...work.values].sort((a, b) => a - b);
      const reference = new EigenvalueDecomposition(dense, { assumeSymmetric: true }).realEigenvalues.sort((a, b) => a - b);
      for (let i = 0; i < m; i++) expect(ours[i]).toBeCloseTo(reference[i], 12);
      // T z_c = lambda_c z_c for every column c.
      for (let c = 0; c < m; c++) {
        for (let i = 0; i < m; i++) {
          let tz = diagonal[i] * vectors[i * m + c];
          if (i > 0) tz += off[i - 1] * vectors[(i - 1) * m + c];
          if (i + 1 < m) tz += off[i] * vectors[(i + 1) * m + c];
          expect(Math.abs(tz - work.values[c] * vectors[i * m + c])).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('reports failure instead of looping on non-finite input', () => {
    const work = { values: new Float64Array(3), offScratch: new Float64Array(3) };
    const ok = tridiagonalEigen(3, Float64Array.of(1, Number.NaN, 2), Float64Array.of(1, 1), work, new Float64Array(3), 1);
    expect(ok).toBe(false);
  });
});

const size = 400;
const cases: Record<string, number[]> = {
  'well separated': Array.from({ length: size }, (_, i) => (i === 7 ? 10 : Math.sin(i) * 3)),
  'clustered top (gap 1e-4)': Array.from({ length: size }, (_, i) => (i === 3 ? 5 : i === 11 ? 5 - 1e-4 : i === 12 ? 5 - 2e-4 : (i % 50) / 20 - 1)),
  'negative dominant': Array.from({ length: size }, (_, i) => (i === 0 ? -40 : i === 1 ? 2.5 : Math.cos(i))),
};
/** Both homes of the vector work: lanczosLargest without a workspace uses 'wasm' here (npm test builds it). */
const backends = ['wasm', 'js'] as const;

describe('lanczosLargest on operators with a known spectrum', () => {
  for (const [label, spectrum] of Object.entries(cases)) {
    it(`${label}: converges to the tolerance; the residual bounds the true error`, () => {
      const op = knownSpectrumOperator(spectrum, 1);
      const lambdaMax = Math.max(...spectrum);
      for (const tolerance of [1e-4, 1e-8]) {
        const result = lanczosLargest(op.matvec, size, { tolerance, maxIterations: 300 });
        expect(result.converged).toBe(true);
        expect(result.residual).toBeLessThanOrEqual(tolerance * Math.abs(result.value));
        // For a symmetric operator some eigenvalue lies within the residual of theta. In a
        // cluster that may be a neighbour of lambda_max, hence the cluster's width in the bound.
        const clusterWidth = label.startsWith('clustered') ? 2e-4 : 0;
        expect(Math.abs(result.value - lambdaMax)).toBeLessThanOrEqual(result.residual + clusterWidth + 1e-12);
        expect(result.value).toBeLessThanOrEqual(lambdaMax + 1e-12);
      }
    });
  }

  it('finds the top of a cluster given a tight tolerance, and says when it hits the cap', () => {
    const op = knownSpectrumOperator(cases['clustered top (gap 1e-4)'], 2);
    const tight = lanczosLargest(op.matvec, size, { tolerance: 1e-12, maxIterations: 300 });
    expect(Math.abs(tight.value - 5)).toBeLessThan(1e-10);
    const capped = lanczosLargest(op.matvec, size, { tolerance: 1e-12, maxIterations: 5 });
    expect(capped.iterations).toBe(5);
    expect(capped.converged).toBe(false);
    expect(capped.residual).toBeGreaterThan(1e-12 * Math.abs(capped.value));
  });

  it('takes one product per step and none more; its residual agrees with ||H y - theta y|| from a fresh product to rounding', () => {
    for (const backend of backends) {
      for (const [label, spectrum] of Object.entries(cases)) {
        for (const [tolerance, maxIterations] of [[1e-4, 300], [1e-8, 300], [0, 40], [0, 5]]) {
          const op = knownSpectrumOperator(spectrum, 10);
          const result = lanczosLargest(op.matvec, size, { tolerance, maxIterations, workspace: new LanczosWorkspace(size, maxIterations, { backend }) });
          const where = `${label}, tolerance ${tolerance}, ${maxIterations} steps, ${backend}`;
          expect(op.count(), where).toBe(result.iterations);
          const y = Float64Array.from(result.vector);
          const hy = new Float64Array(size);
          op.matvec(y, hy);
          let residualSq = 0;
          for (let p = 0; p < size; p++) residualSq += (hy[p] - result.value * y[p]) ** 2;
          const fresh = Math.sqrt(residualSq);
          // H y rebuilt from what the steps subtracted differs from a fresh H y by rounding
          // (~1e-16 |theta| here): far below any tolerance, and 1e-12 relative when the
          // residual is well above that floor (5 steps leave it at 1e-2 to 1).
          expect(Math.abs(result.residual - fresh), where).toBeLessThanOrEqual(1e-14 * Math.abs(result.value));
          if (maxIterations === 5) expect(Math.abs(result.residual - fresh), where).toBeLessThanOrEqual(1e-12 * fresh);
        }
      }
    }
  });

  it('the residual is explicit: on an operator that is not symmetric (so T misdescribes it) it is still ||A y - theta y||', () => {
    const symmetric = knownSpectrumOperator(cases['well separated'], 14);
    const stream = new RandomStream(['test', 'skew', size]);
    const u = Float64Array.from({ length: size }, () => stream.normal() / Math.sqrt(size));
    const v = Float64Array.from({ length: size }, () => stream.normal() / Math.sqrt(size));
    // A = H + 0.01 (u v^T - v u^T): a skew part Lanczos's recurrence does not know of.
    const skewed = (vec: Float64Array, out: Float64Array) => {
      symmetric.matvec(vec, out);
      let uDot = 0;
      let vDot = 0;
      for (let p = 0; p < size; p++) {
        uDot += u[p] * vec[p];
        vDot += v[p] * vec[p];
      }
      for (let p = 0; p < size; p++) out[p] += 0.01 * (u[p] * vDot - v[p] * uDot);
    };
    for (const backend of backends) {
      const workspace = new LanczosWorkspace(size, 40, { backend });
      const result = lanczosLargest(skewed, size, { tolerance: 0, maxIterations: 40, workspace });
      // What T alone says, beta_39 |s_39|, is ~1e-16 here: only the Gram-Schmidt coefficients see the skew part.
      const recurrenceEstimate = workspace.beta[39] * Math.abs(workspace.ritzWeights[39]);
      const y = Float64Array.from(result.vector);
      const ay = new Float64Array(size);
      skewed(y, ay);
      let residualSq = 0;
      for (let p = 0; p < size; p++) residualSq += (ay[p] - result.value * y[p]) ** 2;
      expect(result.residual).toBeGreaterThan(1e-5);
      expect(result.residual).toBeGreaterThan(1e6 * recurrenceEstimate);
      expect(Math.abs(result.residual - Math.sqrt(residualSq))).toBeLessThanOrEqual(1e-14 * Math.abs(result.value));
    }
  });

  it('runs exactly maxIterations steps with tolerance 0 and returns a unit Ritz vector', () => {
    const op = knownSpectrumOperator(cases['well separated'], 3);
    const result = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 40 });
    expect(result.iterations).toBe(40);
    let normSq = 0;
    for (const v of result.vector) normSq += v * v;
    expect(normSq).toBeCloseTo(1, 12);
  });

  it('is deterministic, and a warm start from a nearby operator needs fewer steps', () => {
    const base = cases['well separated'];
    const op = knownSpectrumOperator(base, 4);
    const workspace = new LanczosWorkspace(size, 200);
    const first = lanczosLargest(op.matvec, size, { tolerance: 1e-8, maxIterations: 200, workspace });
    const again = lanczosLargest(op.matvec, size, { tolerance: 1e-8, maxIterations: 200 });
    expect(again.value).toBe(first.value);
    expect(again.iterations).toBe(first.iterations);
    const previous = Float64Array.from(first.vector);
    // Same eigenvectors, top eigenvalue moved: the old top eigenvector is still close.
    const moved = knownSpectrumOperator(base.map((s, i) => (i === 7 ? 10.3 : s * 1.01)), 4);
    const cold = lanczosLargest(moved.matvec, size, { tolerance: 1e-8, maxIterations: 200, workspace });
    const warm = lanczosLargest(moved.matvec, size, { tolerance: 1e-8, maxIterations: 200, workspace, startVector: previous });
    expect(warm.converged && cold.converged).toBe(true);
    expect(Math.abs(warm.value - 10.3)).toBeLessThan(1e-6);
    expect(warm.iterations).toBeLessThan(cold.iterations / 2);
  });

  it('refuses a bad tolerance, iteration count or start vector, naming it', () => {
    const op = knownSpectrumOperator([1, 2, 3], 5);
    expect(() => lanczosLargest(op.matvec, 3, { tolerance: -1, maxIterations: 5 })).toThrow(/tolerance/);
    expect(() => lanczosLargest(op.matvec, 3, { tolerance: 1e-6, maxIterations: 0 })).toThrow(/maxIterations/);
    expect(() => lanczosLargest(op.matvec, 3, { tolerance: 1e-6, maxIterations: 5, startVector: new Float64Array(2) })).toThrow(/startVector/);
  });

  for (const backend of backends) {
    it(`keeps the basis orthonormal to rounding over 60 steps (full reorthogonalisation), ${backend} backend`, () => {
      const op = knownSpectrumOperator(cases['clustered top (gap 1e-4)'], 7);
      const workspace = new LanczosWorkspace(size, 60, { backend });
      expect(workspace.backend).toBe(backend);
      const result = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 60, workspace });
      expect(result.iterations).toBe(60);
      const basis = workspace.basisVectors;
      let worst = 0;
      for (let i = 0; i < 60; i++) {
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let p = 0; p < size; p++) dot += basis[i][p] * basis[j][p];
          worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
        }
      }
      expect(worst).toBeLessThan(1e-13);
    });
  }

  it('with tolerance 0 (no per-step solve), the same value, vector and residual as a tolerance too small to stop', () => {
    for (const spectrum of Object.values(cases)) {
      const op = knownSpectrumOperator(spectrum, 11);
      const [none, tiny] = [0, 1e-300].map((tolerance) => lanczosLargest(op.matvec, size, { tolerance, maxIterations: 40, workspace: new LanczosWorkspace(size, 40) }));
      expect(none.iterations).toBe(40);
      expect(none.value).toBe(tiny.value);
      expect(none.residual).toBe(tiny.residual);
      expect(none.vector).toEqual(tiny.vector);
    }
  });

  it('with or without tolerance, stops at an invariant subspace (4 distinct eigenvalues: 4 steps) with exact results', () => {
    const op = knownSpectrumOperator(Array.from({ length: size }, (_, i) => [3, -1, 0.5, 2][i % 4]), 12);
    for (const tolerance of [0, 1e-10]) {
      const result = lanczosLargest(op.matvec, size, { tolerance, maxIterations: 40 });
      expect(result.iterations).toBe(4);
      expect(Math.abs(result.value - 3)).toBeLessThan(1e-13);
      expect(result.residual).toBeLessThan(1e-13);
    }
  });

  it('returns exact results on an operator smaller than the step cap', () => {
    const op = knownSpectrumOperator([3, -1, 2], 6);
    const result = lanczosLargest(op.matvec, 3, { tolerance: 1e-10, maxIterations: 50 });
    expect(result.value).toBeCloseTo(3, 12);
    expect(result.converged).toBe(true);
  });
});

describe('lanczosLargest: the WASM and plain TypeScript backends', () => {
  it('give the same value to 1e-12 relative, in the same number of steps', () => {
    for (const [label, spectrum] of Object.entries(cases)) {
      const op = knownSpectrumOperator(spectrum, 8);
      for (const [tolerance, maxIterations] of [[1e-8, 300], [0, 40]]) {
        const [wasm, js] = backends.map((backend) =>
          lanczosLargest(op.matvec, size, { tolerance, maxIterations, workspace: new LanczosWorkspace(size, maxIterations, { backend }) }),
        );
        expect(Math.abs(wasm.value - js.value), label).toBeLessThanOrEqual(1e-12 * Math.abs(js.value));
        expect(wasm.iterations, label).toBe(js.iterations);
        expect(wasm.converged, label).toBe(js.converged);
      }
    }
  });

  it('without a workspace, the WASM backend runs when build/linalg.wasm loads', () => {
    expect(new LanczosWorkspace(size, 10).backend).toBe('wasm');
  });

  it('a workspace reused across stream keys and warm starts gives the results of a fresh one', () => {
    const op = knownSpectrumOperator(cases['well separated'], 13);
    const workspace = new LanczosWorkspace(size, 40);
    const warm = knownSpectrumOperator(cases['negative dominant'], 13);
    const warmVector = Float64Array.from(lanczosLargest(warm.matvec, size, { tolerance: 0, maxIterations: 10 }).vector);
    const calls: Pick<LanczosOptions, 'streamKey' | 'startVector'>[] = [
      {},
      { streamKey: ['other'] },
      { streamKey: ['other'], startVector: warmVector },
      {},
      { startVector: warmVector },
    ];
    const values: number[] = [];
    for (const call of calls) {
      const reused = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 6, workspace, ...call });
      const fresh = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 6, workspace: new LanczosWorkspace(size, 6), ...call });
      expect(reused.value).toBe(fresh.value);
      expect(reused.vector).toEqual(fresh.vector);
      values.push(reused.value);
    }
    // The keys and starts do matter after 6 steps: the calls differ.
    expect(new Set(values.slice(0, 3)).size).toBe(3);
  });

  it('without a workspace: the thread keeps one per size, results equal a new workspace\'s, and the vector returned is the caller\'s own', () => {
    const op = knownSpectrumOperator(cases['well separated'], 17);
    const shared = LanczosWorkspace.shared(size, 12);
    expect(LanczosWorkspace.shared(size, 8)).toBe(shared);
    const first = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 12 });
    const kept = Float64Array.from(first.vector);
    const own = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations: 12, workspace: new LanczosWorkspace(size, 12) });
    expect(first.value).toBe(own.value);
    expect(first.vector).toEqual(own.vector);
    // Another call through the shared workspace leaves the first result's vector as it was.
    lanczosLargest(knownSpectrumOperator(cases['negative dominant'], 17).matvec, size, { tolerance: 0, maxIterations: 12 });
    expect(first.vector).toEqual(kept);
    expect(LanczosWorkspace.shared(size, 12)).toBe(shared);
    // More steps than it holds, or another size: a new one.
    expect(LanczosWorkspace.shared(size, 13)).not.toBe(shared);
    expect(LanczosWorkspace.shared(size - 1, 4).size).toBe(size - 1);
  });

  it('the random start (kept from the last call) is always the unit Philox draw of the key and size asked', () => {
    // One step on the identity returns q_0 itself (as y).
    const identity = (v: Float64Array, out: Float64Array) => out.set(v);
    for (const [key, n] of [[['start'], 7], [['start'], 5], [['start'], 5], [['other'], 5], [['start'], 7]] as const) {
      const stream = new RandomStream(key);
      const draw = Float64Array.from({ length: n }, () => stream.normal());
      const length = Math.sqrt(draw.reduce((sum, x) => sum + x * x, 0));
      const result = lanczosLargest(identity, n, { tolerance: 0, maxIterations: 1, streamKey: key });
      // y = q_0 / ||q_0|| again: equal to rounding.
      result.vector.forEach((y, p) => expect(Math.abs(y - draw[p] / length)).toBeLessThanOrEqual(1e-15));
    }
  });

  it('a workspace reused with fewer and more steps, its memory growing past the first chunk, gives the results of a fresh one', () => {
    const op = knownSpectrumOperator(cases['clustered top (gap 1e-4)'], 9);
    const workspace = new LanczosWorkspace(size, 60, { backend: 'wasm' });
    const earlier: Float64Array[] = [];
    for (const maxIterations of [5, 30, 12, 60, 3]) {
      const reused = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations, workspace });
      const fresh = lanczosLargest(op.matvec, size, { tolerance: 0, maxIterations, workspace: new LanczosWorkspace(size, maxIterations, { backend: 'wasm' }) });
      expect(reused.iterations).toBe(maxIterations);
      expect(reused.value).toBe(fresh.value);
      expect(reused.residual).toBe(fresh.residual);
      expect(reused.vector).toEqual(fresh.vector);
      earlier.push(reused.vector);
    }
    expect(workspace.basisVectors).toHaveLength(60);
    // The 30- and 60-step calls grew the memory: vectors returned before them are detached, not stale.
    expect(earlier.map((vector) => vector.length)).toEqual([0, 0, 0, size, size]);
  });
});
