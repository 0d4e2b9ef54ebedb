/** A small seeded PRNG (mulberry32): reproducible latents for a given `seed`. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box–Muller from a uniform source. */
export function gaussian(rand: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Spherical interpolation between two latent vectors: keeps the norm a Gaussian latent expects. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  const cos = Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (omega < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = a[i]! + (b[i]! - a[i]!) * t;
    return out;
  }
  const s = Math.sin(omega);
  const ka = Math.sin((1 - t) * omega) / s;
  const kb = Math.sin(t * omega) / s;
  for (let i = 0; i < a.length; i++) out[i] = ka * a[i]! + kb * b[i]!;
  return out;
}
