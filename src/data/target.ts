import { RandomStream } from '../rng/index.js';
import type { TargetKind } from '../model/config.js';
import { sampleUnitVector } from './ball.js';

/** The noise-free target f0, evaluated on `count` points (row-major, d columns). */
export interface TargetFunction {
  kind: TargetKind;
  d: number;
  evaluate(x: Float64Array, count: number, out: Float64Array): Float64Array;
}

export interface TargetSettings {
  target: TargetKind;
  target_seed: number;
  d: number;
  caps_m?: number;
  caps_eps?: number;
}

export const CAPS_DEFAULTS = { caps_m: 8, caps_eps: 0.5 } as const;

/**
 * f0 drawn from the stream ['target', target, target_seed, d, ...caps settings], so it depends on
 * nothing but its own settings (DESIGN.md, Paired designs).
 *  - linear: f0(x) = w*.x with w* uniform on the unit sphere.
 *  - hoelder: f0(x) = (1/d) sum_{j=1..d} |u_j.x|^(1/2) + 1, u_j uniform on the sphere (PAPER.md, A.7).
 *  - caps: f0(x) = sum_i s_i eps^-2 relu(u_i.x - (1 - eps^2)), M atoms with random signs s_i on
 *    pairwise disjoint boundary caps (PAPER.md, Neural shattering: the lower-bound construction).
 */
export function makeTarget(settings: TargetSettings): TargetFunction {
  const { target, target_seed: seed, d } = settings;
  if (target === 'linear') {
    const wStar = sampleUnitVector(new RandomStream(['target', 'linear', seed, d]), d, new Float64Array(d));
    return {
      kind: target,
      d,
      evaluate(x, count, out) {
        for (let i = 0; i < count; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += wStar[j] * x[i * d + j];
          out[i] = s;
        }
        return out;
      },
    };
  }
  if (target === 'hoelder') {
    const stream = new RandomStream(['target', 'hoelder', seed, d]);
    const directions = new Float64Array(d * d);
    for (let j = 0; j < d; j++) sampleUnitVector(stream, d, directions.subarray(j * d, (j + 1) * d));
    return {
      kind: target,
      d,
      evaluate(x, count, out) {
        for (let i = 0; i < count; i++) {
          let s = 0;
          for (let a = 0; a < d; a++) {
            let dot = 0;
            for (let j = 0; j < d; j++) dot += directions[a * d + j] * x[i * d + j];
            s += Math.sqrt(Math.abs(dot));
          }
          out[i] = s / d + 1;
        }
        return out;
      },
    };
  }
  if (target === 'caps') {
    return makeCapsTarget(seed, d, settings.caps_m ?? CAPS_DEFAULTS.caps_m, settings.caps_eps ?? CAPS_DEFAULTS.caps_eps);
  }
  throw new RangeError(`target: got ${JSON.stringify(target)}; allowed: "linear", "hoelder", "caps"`);
}

function makeCapsTarget(seed: number, d: number, atoms: number, eps: number): TargetFunction {
  const threshold = 1 - eps * eps;
  // Caps {u.x > 1 - eps^2} of angular radius theta (cos theta = 1 - eps^2) are disjoint on the
  // ball when their centres are more than 2 theta apart: cos(angle) < cos(2 theta).
  const theta = Math.acos(threshold);
  const maxCos = Math.cos(Math.min(Math.PI, 2 * theta));
  const stream = new RandomStream(['target', 'caps', seed, d, atoms, eps]);
  const centres = new Float64Array(atoms * d);
  const signs = new Float64Array(atoms);
  const candidate = new Float64Array(d);
  let placed = 0;
  for (let attempt = 0; placed < atoms && attempt < 100000; attempt++) {
    sampleUnitVector(stream, d, candidate);
    let separated = true;
    for (let a = 0; a < placed && separated; a++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += centres[a * d + j] * candidate[j];
      if (dot >= maxCos) separated = false;
    }
    if (!separated) continue;
    centres.set(candidate, placed * d);
    signs[placed] = stream.sign();
    placed++;
  }
  if (placed < atoms) {
    throw new RangeError(`caps target: could not place caps_m=${atoms} disjoint caps of caps_eps=${eps} in d=${d}; use fewer or smaller caps`);
  }
  const scale = 1 / (eps * eps);
  return {
    kind: 'caps',
    d,
    evaluate(x, count, out) {
      for (let i = 0; i < count; i++) {
        let s = 0;
        for (let a = 0; a < atoms; a++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += centres[a * d + j] * x[i * d + j];
          if (dot > threshold) s += signs[a] * scale * (dot - threshold);
        }
        out[i] = s;
      }
      return out;
    },
  };
}
