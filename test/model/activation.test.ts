import { describe, expect, it } from 'vitest';
import { erf, erfc, gelu, geluDerivative, geluSecondDerivative, normalCdf, normalPdf, relu } from '../../src/model/index.js';

/** Reference values from mpmath at 40 digits (mpmath.erf / mpmath.erfc). */
const ERF_REFERENCE: [number, number][] = [
  [1e-8, 1.12837916709551253628352e-8],
  [0.1, 0.1124629160182848922032751],
  [0.5, 0.5204998778130465376827467],
  [1, 0.8427007929497148693412206],
  [2, 0.9953222650189527341620693],
  [2.9999, 0.9999778955735178391203617],
  [3.5, 0.9999992569016276585872545],
];
const ERFC_TAIL_REFERENCE: [number, number][] = [
  [3, 2.209049699858544137277613e-5],
  [3.1, 1.164865736719958931345809e-5],
  [3.7, 1.671510579091459751293486e-7],
  [4, 1.541725790028001885215967e-8],
  [4.4, 4.891710270605872747773278e-10],
  [5, 1.537459794428034850188343e-12],
  [5.3, 6.613081850340810928465562e-14],
  [6, 2.151973671249891311659335e-17],
  [7.77, 4.343717238924727382802497e-28],
  [10, 2.088487583762544757000786e-45],
  [12.34, 3.359252131039291939437514e-68],
  [20, 5.395865611607900928934999e-176],
  [25.9, 1.020283318473266719563227e-293],
  [26, 5.663192408856142846475728e-296],
];

const relativeError = (value: number, reference: number) => Math.abs(value - reference) / Math.abs(reference);

describe('erf', () => {
  it('matches 40-digit reference values to 1e-15 relative, and is odd', () => {
    for (const [x, reference] of ERF_REFERENCE) {
      expect(relativeError(erf(x), reference), `erf(${x})`).toBeLessThan(1e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(27)).toBe(1);
    expect(erf(Infinity)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    // A NaN pre-activation must stay NaN (the divergence check relies on it), not become erf = 1.
    expect(erf(Number.NaN)).toBeNaN();
    expect(erfc(Number.NaN)).toBeNaN();
    expect(gelu(Number.NaN)).toBeNaN();
    expect(geluDerivative(Number.NaN)).toBeNaN();
  });

  it('has erfc tails accurate to 1e-15 relative for x >= 3 (arguments whose square is not a double included)', () => {
    for (const [x, reference] of ERFC_TAIL_REFERENCE) {
      expect(relativeError(erfc(x), reference), `erfc(${x})`).toBeLessThan(1e-15);
    }
    expect(erfc(30)).toBe(0);
  });

  it('has erfc = 1 - erf to a few ulp below 3, and erfc(-x) = 2 - erfc(x)', () => {
    // Below 3 erfc is computed as 1 - erf: accurate in absolute, not relative, terms.
    for (let x = -3; x < 3; x += 0.0625) {
      expect(Math.abs(erfc(x) - (1 - erf(x)))).toBeLessThan(4e-16);
    }
    for (const [x, reference] of ERFC_TAIL_REFERENCE) expect(relativeError(erfc(-x), 2 - reference)).toBeLessThan(1e-15);
  });

  it('is continuous where it switches from the series to the continued fraction (x = 3)', () => {
    const below = erf(3 - 2 ** -40);
    const at = erf(3);
    // erf'(3) = 2/sqrt(pi) exp(-9) ~ 1.4e-4, so the step must be ~1e-16 and no more.
    expect(Math.abs(at - below)).toBeLessThan(2.3e-16);
    expect(below).toBeLessThanOrEqual(at);
  });
});

/** Derivative of f at z by Richardson-extrapolated central differences (error O(h^4)). */
function richardsonDerivative(f: (z: number) => number, z: number, h: number): number {
  const central = (step: number) => (f(z + step) - f(z - step)) / (2 * step);
  return (4 * central(h / 2) - central(h)) / 3;
}

describe('GELU', () => {
  const points: number[] = [];
  for (let z = -8; z <= 8; z += 0.173) points.push(z);
  // The switch points of erf inside Phi(z) = erfc(-z/sqrt 2)/2: |z| = 3 sqrt 2.
  points.push(3 * Math.SQRT2, -3 * Math.SQRT2, 0, 1e-3, -1e-3);

  it('is z Phi(z) with Phi the normal CDF (Phi(0) = 1/2, Phi(1.96) ~ 0.975, Phi(-z) = 1 - Phi(z))', () => {
    expect(normalCdf(0)).toBe(0.5);
    // Phi(1.959963984540054) = 0.975 (the 97.5% normal quantile, mpmath).
    expect(relativeError(normalCdf(1.959963984540054), 0.975)).toBeLessThan(1e-15);
    for (const z of points) {
      expect(Math.abs(normalCdf(-z) - (1 - normalCdf(z)))).toBeLessThan(4e-16);
      expect(gelu(z)).toBe(z * normalCdf(z));
    }
    expect(gelu(40)).toBe(40);
    expect(gelu(-40)).toBe(-0);
  });

  it("GELU' is the derivative of GELU and GELU'' that of GELU' (finite differences, 1e-9)", () => {
    for (const z of points) {
      const h = 1e-3;
      expect(Math.abs(geluDerivative(z) - richardsonDerivative(gelu, z, h)), `GELU'(${z})`).toBeLessThan(1e-9);
      expect(Math.abs(geluSecondDerivative(z) - richardsonDerivative(geluDerivative, z, h)), `GELU''(${z})`).toBeLessThan(1e-9);
      expect(Math.abs(normalPdf(z) - richardsonDerivative(normalCdf, z, h)), `phi(${z})`).toBeLessThan(1e-10);
    }
  });
});

describe('ReLU', () => {
  it('is max(z, 0) with value 0 at the kink', () => {
    expect(relu(2.5)).toBe(2.5);
    expect(relu(-2.5)).toBe(0);
    expect(relu(0)).toBe(0);
  });
});
