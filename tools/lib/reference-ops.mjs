// Plain-JS reference kernels (written from TFLite's reference semantics) for ops the WASM reference lacks.

/**
 * MediaPipe's Convolution2DTransposeBias / TFLite TRANSPOSE_CONV (+bias), NHWC, weights OHWI.
 * out[y*s - pad + ky][x*s - pad + kx][o] += in[y][x][i] * w[o][ky][kx][i]
 */
export function transposeConvNHWC(x, [N, H, W, Cin], w, [O, KH, KW], bias, [sh, sw], [OH, OW]) {
  const out = new Float32Array(N * OH * OW * O);
  const padH = Math.floor(Math.max((H - 1) * sh + KH - OH, 0) / 2);
  const padW = Math.floor(Math.max((W - 1) * sw + KW - OW, 0) / 2);
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      const inBase = ((n * H + y) * W + xx) * Cin;
      for (let ky = 0; ky < KH; ky++) {
        const oy = y * sh - padH + ky;
        if (oy < 0 || oy >= OH) continue;
        for (let kx = 0; kx < KW; kx++) {
          const ox = xx * sw - padW + kx;
          if (ox < 0 || ox >= OW) continue;
          const outBase = ((n * OH + oy) * OW + ox) * O;
          for (let o = 0; o < O; o++) {
            const wBase = ((o * KH + ky) * KW + kx) * Cin;
            let acc = 0;
            for (let i = 0; i < Cin; i++) acc += x[inBase + i] * w[wBase + i];
            out[outBase + o] += acc;
          }
        }
      }
    }
  }
  if (bias) for (let i = 0; i < out.length; i++) out[i] += bias[i % O];
  return out;
}

export const sigmoid = (v) => 1 / (1 + Math.exp(-v));

export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a) { let m = 0; for (const v of a) m = Math.max(m, Math.abs(v)); return m; }

/** Intersection over union of the masks a > t and b > t (1 when both are empty). */
export function maskIoU(a, b, t = 0.5) {
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) { const p = a[i] > t, q = b[i] > t; if (p && q) inter++; if (p || q) union++; }
  return union ? inter / union : 1;
}

export function argmax(a) { let k = 0; for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i; return k; }

/** PSNR (dB) of a against b, both on a 0..peak scale, values clipped to that range. */
export function psnr(a, b, peak = 255) {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.min(Math.max(a[i], 0), peak) - Math.min(Math.max(b[i], 0), peak);
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}
