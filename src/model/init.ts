import { RandomStream } from '../rng/index.js';
import type { InitKind } from './config.js';
import { networkLayout } from './layout.js';

/**
 * Initial parameters (PAPER.md, Initialisation), drawn in the order W, b, v, beta from the stream
 * ['init', initSeed, d, width, init], so they depend on nothing else (DESIGN.md, Paired designs).
 *   kaiming_normal: W ~ N(0, 2/d), v ~ N(0, 2/K)      (nn.init.kaiming_normal_, fan_in)
 *   torch_default:  W ~ U(+-1/sqrt d), v ~ U(+-1/sqrt K)   (nn.Linear's default)
 *   both: b ~ U(+-1/sqrt d), beta ~ U(+-1/sqrt K)       (nn.Linear's default bias)
 */
export function initialParameters(initSeed: number, d: number, width: number, init: InitKind, out?: Float64Array): Float64Array {
  if (init !== 'kaiming_normal' && init !== 'torch_default') {
    throw new RangeError(`init: got ${JSON.stringify(init)}; allowed: "kaiming_normal", "torch_default"`);
  }
  if (!Number.isInteger(initSeed) || initSeed < 0) throw new RangeError(`init_seed: got ${initSeed}; allowed: an integer >= 0`);
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`d: got ${d}; allowed: an integer >= 1`);
  if (!Number.isInteger(width) || width < 1) throw new RangeError(`width: got ${width}; allowed: an integer >= 1`);
  const layout = networkLayout(d, width);
  if (out !== undefined && out.length < layout.size) {
    throw new RangeError(`initialParameters: the output buffer holds ${out.length} numbers, the network needs ${layout.size}`);
  }
  const params = out ?? new Float64Array(layout.size);
  const stream = new RandomStream(['init', initSeed, d, width, init]);
  const hiddenBound = 1 / Math.sqrt(d);
  const outputBound = 1 / Math.sqrt(width);
  const kd = width * d;
  if (init === 'kaiming_normal') {
    const std = Math.sqrt(2 / d);
    for (let i = 0; i < kd; i++) params[layout.wOffset + i] = std * stream.normal();
  } else {
    for (let i = 0; i < kd; i++) params[layout.wOffset + i] = stream.symmetric(hiddenBound);
  }
  for (let k = 0; k < width; k++) params[layout.bOffset + k] = stream.symmetric(hiddenBound);
  if (init === 'kaiming_normal') {
    const std = Math.sqrt(2 / width);
    for (let k = 0; k < width; k++) params[layout.vOffset + k] = std * stream.normal();
  } else {
    for (let k = 0; k < width; k++) params[layout.vOffset + k] = stream.symmetric(outputBound);
  }
  params[layout.betaOffset] = stream.symmetric(outputBound);
  return params;
}
