import { describe, expect, it } from 'vitest';
import { gramSchmidtPass } from '../../src/hessian/gram-schmidt.js';
import { createLanczosVectors, PRODUCT, RESIDUAL, RITZ, type LanczosVectors } from '../../src/hessian/lanczos-vectors.js';
import { RandomStream } from '../../src/rng/index.js';

/** Odd and even sizes (the WASM routines take two elements at a time), the last one Lanczos's size at (10, 512, 2048). */
const sizes = [1, 2, 7, 1000, 24577];

function fillNormal(target: Float64Array, stream: RandomStream): void {
  for (let p = 0; p < target.length; p++) target[p] = stream.normal();
}

function normalise(v: Float64Array): void {
  let normSq = 0;
  for (const x of v) normSq += x * x;
  const norm = Math.sqrt(normSq);
  for (let p = 0; p < v.length; p++) v[p] /= norm;
}

function maxAbs(v: Float64Array): number {
  let worst = 0;
  for (const x of v) worst = Math.max(worst, Math.abs(x));
  return worst;
}

function maxAbsDifference(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let p = 0; p < a.length; p++) worst = Math.max(worst, Math.abs(a[p] - b[p]));
  return worst;
}

/** WASM and JS storage holding the same random unit basis q_0 .. q_(count-1), w, y and H y. */
function twins(size: number, count: number, seed: number): { wasm: LanczosVectors; js: LanczosVectors } {
  const wasm = createLanczosVectors(size, count, 'wasm');
  const js = createLanczosVectors(size, count, 'js');
  expect(wasm.backend).toBe('wasm');
  expect(js.backend).toBe('js');
  wasm.allocateBasis(count - 1);
  js.allocateBasis(count - 1);
  const stream = new RandomStream(['test', 'lanczos-vectors', seed, size, count]);
  for (const slot of [RESIDUAL, RITZ, PRODUCT]) {
    fillNormal(wasm.view(slot), stream);
    js.view(slot).set(wasm.view(slot));
  }
  for (let i = 0; i < count; i++) {
    const q = wasm.view(i);
    fillNormal(q, stream);
    normalise(q);
    js.view(i).set(q);
  }
  return { wasm, js };
}

describe('WASM vector routines against the plain TypeScript reference', () => {
  it('a Gram-Schmidt pass matches gram-schmidt.ts within 1e-13 relative (counts in and out of blocks of 4), and so do the coefficients it adds up', () => {
    for (const size of sizes) {
      for (const count of [1, 3, 4, 5, 8, 13, 40]) {
        const { wasm, js } = twins(size, count, 1);
        const w = Float64Array.from(wasm.view(RESIDUAL));
        const basis = wasm.basisViews().map((q) => Float64Array.from(q));
        const coefficients = new Float64Array(count);
        gramSchmidtPass(w, basis, count, coefficients);
        // Sums start from 0.5 at an offset of 2: the pass adds q_i . w to sums[2 + i].
        const [wasmSums, jsSums] = [0, 1].map(() => new Float64Array(count + 3).fill(0.5));
        wasm.gramSchmidtPass(RESIDUAL, count, wasmSums, 2);
        js.gramSchmidtPass(RESIDUAL, count, jsSums, 2);
        const scale = maxAbs(w) + (size <= count ? 1 : 0); // a pass on a complete basis leaves ~0
        expect(maxAbsDifference(wasm.view(RESIDUAL), w)).toBeLessThanOrEqual(1e-13 * scale);
        expect(js.view(RESIDUAL)).toEqual(w);
        expect(jsSums).toEqual(Float64Array.from([0.5, 0.5, ...coefficients.map((c) => 0.5 + c), 0.5]));
        expect(maxAbsDifference(wasmSums, jsSums)).toBeLessThanOrEqual(1e-13 * Math.sqrt(size) * maxAbs(w));
      }
    }
  }, 20_000);

  it('dot products, norms and the Ritz residual agree within 1e-13 relative', () => {
    for (const size of sizes) {
      const { wasm, js } = twins(size, 2, 2);
      const pairs = [[0, RESIDUAL], [RITZ, PRODUCT], [1, 0]] as const;
      for (const [a, b] of pairs) {
        const scale = Math.sqrt(js.normSquared(a) * js.normSquared(b));
        expect(Math.abs(wasm.dot(a, b) - js.dot(a, b))).toBeLessThanOrEqual(1e-13 * scale);
      }
      expect(Math.abs(wasm.normSquared(RESIDUAL) / js.normSquared(RESIDUAL) - 1)).toBeLessThanOrEqual(1e-13);
      for (const theta of [0, 1.5, -7]) {
        const reference = js.residualNormSquared(PRODUCT, RITZ, theta);
        expect(Math.abs(wasm.residualNormSquared(PRODUCT, RITZ, theta) / reference - 1)).toBeLessThanOrEqual(1e-13);
      }
    }
  });

  it('the recurrence update, the division and adding a multiple round exactly as in TypeScript (bit-identical)', () => {
    for (const size of sizes) {
      const { wasm, js } = twins(size, 3, 3);
      for (const v of [wasm, js]) {
        v.subtractRecurrence(RESIDUAL, 2, 1, 0.37, -1.25);
        v.subtractRecurrence(RESIDUAL, 0, 0, 2.5, 0);
        v.divide(2, RESIDUAL, 3.3);
        v.divide(RITZ, RITZ, 0.7);
        v.addMultiple(PRODUCT, RESIDUAL, -0.45);
      }
      for (const slot of [RESIDUAL, RITZ, PRODUCT, 2]) expect(wasm.view(slot)).toEqual(js.view(slot));
    }
  });

  it('the Ritz combination y = Q s agrees within 1e-13 relative', () => {
    for (const size of sizes) {
      for (const count of [1, 4, 6, 11]) {
        const { wasm, js } = twins(size, count, 4);
        const stream = new RandomStream(['test', 'weights', size, count]);
        const weights = new Float64Array(count);
        fillNormal(weights, stream);
        wasm.combination(RITZ, weights, count);
        js.combination(RITZ, weights, count);
        expect(maxAbsDifference(wasm.view(RITZ), js.view(RITZ))).toBeLessThanOrEqual(1e-13 * maxAbs(js.view(RITZ)));
      }
    }
  });
});

describe('a basis orthogonalised by the WASM routines (CGS with a second pass as Lanczos runs it)', () => {
  /**
   * Appends `steps` vectors from `next` to a WASM basis, each orthogonalised as lanczosLargest
   * does (one pass, a second when the first cancelled more than 1 - 1/sqrt2 of the norm);
   * returns |Q^T Q - I|_max (computed in plain TypeScript) and how many second passes ran.
   */
  function buildBasis(size: number, steps: number, next: (w: Float64Array, basis: readonly Float64Array[]) => void) {
    const vectors = createLanczosVectors(size, steps, 'wasm');
    let secondPasses = 0;
    for (let j = 0; j < steps; j++) {
      next(vectors.view(RESIDUAL), vectors.basisViews());
      let norm = Math.sqrt(vectors.normSquared(RESIDUAL));
      for (let pass = 0; pass < 2 && j > 0; pass++) {
        if (pass === 1) secondPasses++;
        vectors.gramSchmidtPass(RESIDUAL, j, new Float64Array(j), 0);
        const before = norm;
        norm = Math.sqrt(vectors.normSquared(RESIDUAL));
        if (norm >= Math.SQRT1_2 * before) break;
      }
      vectors.allocateBasis(j);
      vectors.divide(j, RESIDUAL, norm);
    }
    const basis = vectors.basisViews();
    let worst = 0;
    for (let i = 0; i < steps; i++) {
      for (let k = 0; k <= i; k++) {
        let dot = 0;
        for (let p = 0; p < size; p++) dot += basis[i][p] * basis[k][p];
        worst = Math.max(worst, Math.abs(dot - (i === k ? 1 : 0)));
      }
    }
    return { worst, secondPasses };
  }

  it('random vectors: orthonormal to 1e-14, one pass each', () => {
    const stream = new RandomStream(['test', 'orthogonality', 'random']);
    const { worst, secondPasses } = buildBasis(2001, 30, (w) => fillNormal(w, stream));
    expect(worst).toBeLessThan(1e-14);
    expect(secondPasses).toBe(0);
  });

  it('nearly dependent vectors (in the span but for 1e-9): the second pass runs and the basis stays orthonormal to 1e-14', () => {
    const stream = new RandomStream(['test', 'orthogonality', 'dependent']);
    const size = 2001;
    const { worst, secondPasses } = buildBasis(size, 30, (w, basis) => {
      fillNormal(w, stream);
      for (let p = 0; p < size; p++) w[p] *= 1e-9;
      for (const q of basis) {
        const weight = stream.normal();
        for (let p = 0; p < size; p++) w[p] += weight * q[p];
      }
    });
    expect(secondPasses).toBe(29);
    expect(worst).toBeLessThan(1e-14);
  });
});

describe('WASM storage growth', () => {
  it('grows past its first chunk keeping the data; views of the old memory are detached, fresh ones see it', () => {
    const size = 1001;
    const vectors = createLanczosVectors(size, 30, 'wasm');
    vectors.allocateBasis(0);
    const early = vectors.view(0);
    for (let j = 0; j < 8; j++) {
      vectors.allocateBasis(j);
      vectors.view(j).fill(j + 0.5);
    }
    vectors.view(RESIDUAL).fill(-1);
    expect(vectors.view(0)).toBe(early); // the first chunk holds 8 vectors: no grow yet
    vectors.allocateBasis(25);
    expect(vectors.basisCount).toBe(26);
    expect(early.length).toBe(0);
    for (let j = 0; j < 8; j++) expect(vectors.view(j).every((x) => x === j + 0.5)).toBe(true);
    expect(vectors.view(RESIDUAL).every((x) => x === -1)).toBe(true);
    expect(vectors.basisViews()).toHaveLength(26);
    expect(() => vectors.allocateBasis(30)).toThrow(/basis vector 30.*holds 30/);
  });

  it('storage a 32-bit WASM memory cannot hold: "wasm" says why, "auto" falls back to plain arrays', () => {
    const size = 1 << 20;
    expect(() => createLanczosVectors(size, 600, 'wasm')).toThrow(/pages of 64 KiB/);
    expect(createLanczosVectors(size, 600, 'auto').backend).toBe('js');
  });
});
