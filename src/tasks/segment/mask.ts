import { CvError } from '../../errors.js';
/** True when any value lies outside [0, 1]: the output is logits, not probabilities. */
export function outsideUnit(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v > 1) return true;
  }
  return false;
}

/** Share of mask values at or above `threshold`. */
export function foregroundShare(mask: ArrayLike<number>, threshold = 0.5): number {
  let fg = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]! >= threshold) fg++;
  return mask.length ? fg / mask.length : 0;
}

/** Intersection over union of two binary masks thresholded at `threshold`. */
export function maskIoU(a: ArrayLike<number>, b: ArrayLike<number>, threshold = 0.5): number {
  if (a.length !== b.length) throw new CvError('bad-argument', `Mask sizes differ: ${a.length} vs ${b.length}`);
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! >= threshold, y = b[i]! >= threshold;
    if (x && y) inter++;
    if (x || y) union++;
  }
  return union ? inter / union : 1;
}

/**
 * Turns a model's mask output into per-pixel foreground probability in [0, 1] as bytes (0..255),
 * ready for an R8 texture. `channels` > 1 means a softmax over classes with class 0 = background.
 */
export function maskToBytes(data: Float32Array, pixels: number, channels: number, layout: 'NCHW' | 'NHWC', logits: boolean): Uint8Array {
  if (channels > 1) return classMask(data, pixels, channels, layout, false, null).mask;
  // Uint8ClampedArray rounds and clamps on write; logits round half up, as they always have.
  const clamped = new Uint8ClampedArray(pixels);
  for (let i = 0; i < pixels; i++) {
    const v = data[i]!;
    clamped[i] = logits ? Math.round((1 / (1 + Math.exp(-v))) * 255) : v * 255;
  }
  return new Uint8Array(clamped.buffer);
}

/**
 * A multi-class output as a foreground mask plus each pixel's class. `channels` > 1: scores per class
 * (softmax taken here), foreground probability = the summed probability of the `classes` counted as
 * foreground. `integer`: one channel of class indices (an ArgMax output), foreground 255 or 0.
 * Without `classes`, every class but 0 (background) is foreground, as before.
 */
export function classMask(
  data: Float32Array,
  pixels: number,
  channels: number,
  layout: 'NCHW' | 'NHWC',
  integer: boolean,
  classes: readonly number[] | null,
): { mask: Uint8Array; classMap: Uint8Array } {
  const mask = new Uint8Array(pixels);
  const classMap = new Uint8Array(pixels);
  const wanted = (c: number) => (classes ? classes.includes(c) : c !== 0);
  if (integer) {
    for (let i = 0; i < pixels; i++) {
      const c = Math.round(data[i]!);
      classMap[i] = Math.min(255, Math.max(0, c));
      mask[i] = wanted(c) ? 255 : 0;
    }
    return { mask, classMap };
  }
  const fg = Array.from({ length: channels }, (_, c) => wanted(c));
  for (let i = 0; i < pixels; i++) {
    const at = (c: number) => data[layout === 'NCHW' ? c * pixels + i : i * channels + c]!;
    let max = -Infinity, best = 0;
    for (let c = 0; c < channels; c++) {
      const v = at(c);
      if (v > max) (max = v), (best = c);
    }
    let sum = 0, on = 0;
    for (let c = 0; c < channels; c++) {
      const e = Math.exp(at(c) - max);
      sum += e;
      if (fg[c]) on += e;
    }
    classMap[i] = Math.min(255, best);
    mask[i] = Math.round(Math.min(1, Math.max(0, on / sum)) * 255);
  }
  return { mask, classMap };
}

/**
 * Bilinear resample (half-pixel centres) of a probability mask to w×h bytes, so results have the size of the
 * ONNX path's (the model's input grid) whatever the frame size. `inverse` turns a background mask into person.
 */
export function resampleMask(src: Float32Array, sw: number, sh: number, w: number, h: number, inverse = false): Uint8Array {
  const out = new Uint8Array(w * h);
  const sx = sw / w, sy = sh / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, sh - 1), wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, sw - 1), wx = fx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      let p = top * (1 - wy) + bottom * wy;
      if (inverse) p = 1 - p;
      out[y * w + x] = Math.round(Math.min(1, Math.max(0, p)) * 255);
    }
  }
  return out;
}
