import { CvError } from '../../errors.js';
/** How a model wants its image input laid out and normalised. Mirrors `input` in models/catalog.json. */
export interface ImageInputSpec {
  /** Graph input name. */
  name: string;
  /** Input shape, batch first, e.g. `[1, 3, 256, 256]`; -1 or a string marks a free dimension. */
  shape: Array<number | string>;
  layout: 'NCHW' | 'NHWC';
  color: 'rgb' | 'gray';
  /** normalised = ((invert ? 255 - v : v) / 255 - mean) / std, per channel. */
  mean: number[];
  std: number[];
  invert?: boolean;
}

/** Width, height and channel count of an image input, read from its shape and layout. */
export function inputSize(spec: ImageInputSpec): { width: number; height: number; channels: number } {
  const dims = spec.shape.map((d) => (typeof d === 'number' && d > 0 ? d : NaN));
  const [c, h, w] = spec.layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  if (!(h! > 0 && w! > 0)) {
    throw new CvError('model-input', `Input "${spec.name}" has no fixed height and width: shape ${JSON.stringify(spec.shape)}`);
  }
  return { width: w!, height: h!, channels: c! > 0 ? c! : spec.color === 'gray' ? 1 : 3 };
}

/**
 * Converts RGBA pixels (as from getImageData) into a float tensor as the spec asks.
 * Gray uses ITU-R BT.601 luma, the weighting most training sets (Fashion-MNIST included) were made with.
 */
export function rgbaToTensor(
  rgba: Uint8ClampedArray | Uint8Array,
  width: number,
  height: number,
  spec: Pick<ImageInputSpec, 'layout' | 'color' | 'mean' | 'std' | 'invert'>,
  out?: Float32Array,
): Float32Array {
  const channels = spec.color === 'gray' ? 1 : 3;
  const n = width * height;
  if (rgba.length !== n * 4) {
    throw new CvError('model-input', `Expected ${n * 4} RGBA bytes for ${width}×${height}, got ${rgba.length}`);
  }
  const tensor = out && out.length === n * channels ? out : new Float32Array(n * channels);
  const scale = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = spec.mean[c] ?? spec.mean[0] ?? 0;
    const std = spec.std[c] ?? spec.std[0] ?? 1;
    scale[c] = 1 / (255 * std);
    offset[c] = mean / std;
  }
  const invert = !!spec.invert;
  const planar = spec.layout === 'NCHW';
  if (channels === 3 && !invert) {
    // The common case, once per frame on 65k+ pixels: channels unrolled, no per-value branches.
    const [s0, s1, s2] = scale as unknown as [number, number, number];
    const [o0, o1, o2] = offset as unknown as [number, number, number];
    if (planar) {
      for (let i = 0, p = 0; i < n; i++, p += 4) {
        tensor[i] = rgba[p]! * s0 - o0;
        tensor[n + i] = rgba[p + 1]! * s1 - o1;
        tensor[2 * n + i] = rgba[p + 2]! * s2 - o2;
      }
    } else {
      for (let i = 0, p = 0, t = 0; i < n; i++, p += 4, t += 3) {
        tensor[t] = rgba[p]! * s0 - o0;
        tensor[t + 1] = rgba[p + 1]! * s1 - o1;
        tensor[t + 2] = rgba[p + 2]! * s2 - o2;
      }
    }
    return tensor;
  }
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    if (channels === 1) {
      let v = 0.299 * rgba[p]! + 0.587 * rgba[p + 1]! + 0.114 * rgba[p + 2]!;
      if (invert) v = 255 - v;
      tensor[i] = v * scale[0]! - offset[0]!;
    } else {
      for (let c = 0; c < 3; c++) {
        let v = rgba[p + c]!;
        if (invert) v = 255 - v;
        tensor[planar ? c * n + i : i * 3 + c] = v * scale[c]! - offset[c]!;
      }
    }
  }
  return tensor;
}

/** Float image tensor (values in [lo, hi]) to RGBA bytes; 1 or 3 channels, NCHW or NHWC, one image. */
export function tensorToRgba(
  data: Float32Array,
  width: number,
  height: number,
  channels: 1 | 3,
  layout: 'NCHW' | 'NHWC',
  range: [number, number] = [0, 1],
  offset = 0,
): Uint8ClampedArray {
  const n = width * height;
  const out = new Uint8ClampedArray(n * 4);
  const [lo, hi] = range;
  const k = 255 / (hi - lo);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      const ch = channels === 1 ? 0 : c;
      const idx = offset + (layout === 'NCHW' ? ch * n + i : i * channels + ch);
      out[i * 4 + c] = (data[idx]! - lo) * k;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}
