import { RandomStream } from '../rng/index.js';

/**
 * Fills `out` (count x d, row-major) with points uniform in the unit ball B^d:
 * x = r z/||z|| with z standard normal (a uniform direction) and r = U^(1/d)
 * (P(||x|| <= r) = r^d). For d = 1 this is uniform on [-1, 1].
 */
export function sampleUniformBall(stream: RandomStream, count: number, d: number, out: Float64Array): Float64Array {
  for (let i = 0; i < count; i++) {
    const row = i * d;
    let normSq = 0;
    for (let j = 0; j < d; j++) {
      const z = stream.normal();
      out[row + j] = z;
      normSq += z * z;
    }
    const radius = Math.pow(stream.uniform(), 1 / d) / Math.sqrt(normSq);
    for (let j = 0; j < d; j++) out[row + j] *= radius;
  }
  return out;
}

/** A direction uniform on the unit sphere S^(d-1), written into `out` (length d). */
export function sampleUnitVector(stream: RandomStream, d: number, out: Float64Array): Float64Array {
  let normSq = 0;
  for (let j = 0; j < d; j++) {
    const z = stream.normal();
    out[j] = z;
    normSq += z * z;
  }
  const inv = 1 / Math.sqrt(normSq);
  for (let j = 0; j < d; j++) out[j] *= inv;
  return out;
}
