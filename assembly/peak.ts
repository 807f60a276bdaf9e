// Micro-kernel measuring this machine's 128-bit SIMD float64 peak as WebAssembly reaches it:
// six independent multiply chains and six independent add chains of f64x2, enough in flight to
// cover the latency of both units, so the loop runs at their throughput. 24 flops per iteration.
// Built into build/peak.wasm beside the kernel; bench/sections/speed.ts divides by its rate.

export function peak(iterations: i32): f64 {
  const m = f64x2.splat(0.9999999);
  const c = f64x2.splat(1e-9);
  let p0 = f64x2.splat(1.0);
  let p1 = f64x2.splat(1.1);
  let p2 = f64x2.splat(1.2);
  let p3 = f64x2.splat(1.3);
  let p4 = f64x2.splat(1.4);
  let p5 = f64x2.splat(1.5);
  let s0 = f64x2.splat(0.0);
  let s1 = f64x2.splat(0.1);
  let s2 = f64x2.splat(0.2);
  let s3 = f64x2.splat(0.3);
  let s4 = f64x2.splat(0.4);
  let s5 = f64x2.splat(0.5);
  for (let i = 0; i < iterations; i++) {
    p0 = f64x2.mul(p0, m);
    p1 = f64x2.mul(p1, m);
    p2 = f64x2.mul(p2, m);
    p3 = f64x2.mul(p3, m);
    p4 = f64x2.mul(p4, m);
    p5 = f64x2.mul(p5, m);
    s0 = f64x2.add(s0, c);
    s1 = f64x2.add(s1, c);
    s2 = f64x2.add(s2, c);
    s3 = f64x2.add(s3, c);
    s4 = f64x2.add(s4, c);
    s5 = f64x2.add(s5, c);
  }
  const p = f64x2.add(f64x2.add(f64x2.add(p0, p1), f64x2.add(p2, p3)), f64x2.add(p4, p5));
  const s = f64x2.add(f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3)), f64x2.add(s4, s5));
  const t = f64x2.add(p, s);
  return f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
}
