/**
 * Activations phi and their first two derivatives. GELU is x * Phi(x) with Phi the standard
 * normal CDF, computed from our own erf (below) so that every kernel evaluates the same numbers.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;
const INV_SQRT_2 = 0.7071067811865476;
const INV_SQRT_2PI = 0.3989422804014327;

/**
 * exp(-x^2) to about one ulp for 0 <= x < 27. Math.exp(-x * x) inherits the rounding of x * x,
 * a relative error of up to x^2 * 2^-53 in the result (about 80 ulp at x = 26). Splitting
 * x = xHigh + xLow with xHigh on a 2^-21 grid makes xHigh^2 exact (at most 26 significant bits),
 * and the small remainder -(x - xHigh)(x + xHigh) carries the rest.
 */
function expMinusSquare(x: number): number {
  const xHigh = Math.round(x * 2097152) / 2097152;
  return Math.exp(-xHigh * xHigh) * Math.exp(-(x - xHigh) * (x + xHigh));
}

/**
 * erf(x) for x >= 0 below 3 by the all-positive series
 *   erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} 2^n x^(2n+1) / (1*3*...*(2n+1))
 * (Abramowitz & Stegun 7.1.6), which has no cancellation; terms are added until they no longer
 * change the sum in double precision.
 */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoXSquared / (2 * n + 1);
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return TWO_OVER_SQRT_PI * expMinusSquare(x) * sum;
}

/**
 * erfc(x) for x >= 3 by the continued fraction (A&S 7.1.14)
 *   erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
 * evaluated bottom-up at a fixed depth of 60, ample for x >= 3 at double precision.
 */
function erfcContinuedFraction(x: number): number {
  let tail = x;
  for (let k = 60; k >= 1; k--) tail = x + (0.5 * k) / tail;
  return (ONE_OVER_SQRT_PI * expMinusSquare(x)) / tail;
}

/** The error function, accurate to a few ulp in absolute terms. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  let value: number;
  if (ax < 3) value = erfSeries(ax);
  else if (ax < 27) value = 1 - erfcContinuedFraction(ax);
  else if (ax >= 27) value = 1;
  else return Number.NaN;
  return x < 0 ? -value : value;
}

/** The complementary error function, accurate in relative terms for large positive x. */
export function erfc(x: number): number {
  if (x >= 3) return x < 27 ? erfcContinuedFraction(x) : 0;
  return 1 - erf(x);
}

/** Standard normal CDF Phi(z) = erfc(-z/sqrt 2)/2. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z * INV_SQRT_2);
}

/** Standard normal density phi(z). */
export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** GELU(z) = z Phi(z). */
export function gelu(z: number): number {
  return z * normalCdf(z);
}

/** GELU'(z) = Phi(z) + z phi(z). */
export function geluDerivative(z: number): number {
  return normalCdf(z) + z * normalPdf(z);
}

/** GELU''(z) = phi(z) (2 - z^2). */
export function geluSecondDerivative(z: number): number {
  return normalPdf(z) * (2 - z * z);
}

/** ReLU(z) = max(z, 0); its derivative is the indicator z > 0 (0 at the kink) and its second derivative 0. */
export function relu(z: number): number {
  return z > 0 ? z : 0;
}
