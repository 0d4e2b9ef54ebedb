// Decodes real photos (JPEG, PNG) into RGBA at a given size, deterministically (pure JS decoders,
// fixed-point free float maths in a fixed order), and turns them into model input tensors exactly as
// src/tasks/shared/tensor-spec.ts does in the elements.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** Photos that ship with Debian packages (darknet, python3-skimage): real scenes with people, animals, objects. */
export const DEFAULT_PHOTOS = [
  '/usr/share/darknet/data/person.jpg',
  '/usr/share/darknet/data/dog.jpg',
  '/usr/share/darknet/data/horses.jpg',
  '/usr/share/darknet/data/eagle.jpg',
  '/usr/share/darknet/data/giraffe.jpg',
  '/usr/share/darknet/data/kite.jpg',
  '/usr/lib/python3/dist-packages/skimage/data/astronaut.png',
  '/usr/lib/python3/dist-packages/skimage/data/coffee.png',
  '/usr/lib/python3/dist-packages/skimage/data/chelsea.png',
  '/usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png',
];

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png']);

/** Expands a comma list of files and/or a directory into a sorted list of photo paths. */
export function listPhotos({ photos, dir } = {}) {
  const out = [];
  if (photos) {
    for (const p of (Array.isArray(photos) ? photos : String(photos).split(','))) if (p) out.push(resolve(p));
  }
  if (dir) {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (IMAGE_EXT.has(extname(f).toLowerCase()) && statSync(p).isFile()) out.push(resolve(p));
    }
  }
  return out;
}

/**
 * Decodes a JPEG or PNG file into RGBA bytes.
 * @returns {{width: number, height: number, data: Uint8Array}}
 */
export function decodePhoto(path) {
  const bytes = readFileSync(path);
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  }
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const png = PNG.sync.read(bytes);
    // pngjs expands gray/palette to RGBA 8-bit; 16-bit input is scaled down unless skipRescale.
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  throw new Error(`${path}: not a JPEG or PNG`);
}

/**
 * Centre-crops to the target aspect ratio ("cover") and resamples with a box filter when shrinking
 * (area average, like a browser's high-quality drawImage) or bilinear when enlarging.
 * @returns {Uint8Array} RGBA, width*height*4
 */
export function resizeCover(img, width, height) {
  const srcAspect = img.width / img.height;
  const dstAspect = width / height;
  let cw = img.width;
  let ch = img.height;
  if (srcAspect > dstAspect) cw = img.height * dstAspect;
  else ch = img.width / dstAspect;
  const x0 = (img.width - cw) / 2;
  const y0 = (img.height - ch) / 2;
  const sx = cw / width;
  const sy = ch / height;
  const out = new Uint8Array(width * height * 4);
  const src = img.data;
  const W = img.width;
  const H = img.height;
  const acc = [0, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (sx > 1 || sy > 1) {
        // Area average over the source footprint [fx0, fx1) × [fy0, fy1), with fractional edge weights.
        const fx0 = x0 + x * sx; const fx1 = fx0 + sx;
        const fy0 = y0 + y * sy; const fy1 = fy0 + sy;
        acc[0] = acc[1] = acc[2] = acc[3] = 0;
        let wsum = 0;
        for (let py = Math.floor(fy0); py < Math.ceil(fy1); py++) {
          const wy = Math.min(py + 1, fy1) - Math.max(py, fy0);
          if (wy <= 0) continue;
          const yy = Math.min(H - 1, Math.max(0, py));
          for (let px = Math.floor(fx0); px < Math.ceil(fx1); px++) {
            const wx = Math.min(px + 1, fx1) - Math.max(px, fx0);
            if (wx <= 0) continue;
            const xx = Math.min(W - 1, Math.max(0, px));
            const w = wx * wy;
            const i = (yy * W + xx) * 4;
            acc[0] += src[i] * w; acc[1] += src[i + 1] * w; acc[2] += src[i + 2] * w; acc[3] += src[i + 3] * w;
            wsum += w;
          }
        }
        for (let c = 0; c < 4; c++) out[o + c] = Math.round(acc[c] / wsum);
      } else {
        const fx = Math.min(W - 1, Math.max(0, x0 + (x + 0.5) * sx - 0.5));
        const fy = Math.min(H - 1, Math.max(0, y0 + (y + 0.5) * sy - 0.5));
        const xa = Math.floor(fx); const ya = Math.floor(fy);
        const xb = Math.min(W - 1, xa + 1); const yb = Math.min(H - 1, ya + 1);
        const ax = fx - xa; const ay = fy - ya;
        for (let c = 0; c < 4; c++) {
          const top = src[(ya * W + xa) * 4 + c] * (1 - ax) + src[(ya * W + xb) * 4 + c] * ax;
          const bot = src[(yb * W + xa) * 4 + c] * (1 - ax) + src[(yb * W + xb) * 4 + c] * ax;
          out[o + c] = Math.round(top * (1 - ay) + bot * ay);
        }
      }
    }
  }
  return out;
}

/** Decodes a photo and resamples it to width×height RGBA. */
export function loadPhotoRgba(path, width, height) {
  return resizeCover(decodePhoto(path), width, height);
}

/**
 * RGBA → normalised float tensor; same maths as rgbaToTensor in src/tasks/shared/tensor-spec.ts:
 * normalised = ((invert ? 255 - v : v) / 255 - mean) / std; gray uses BT.601 luma.
 */
export function rgbaToTensor(rgba, width, height, spec) {
  const channels = spec.color === 'gray' ? 1 : 3;
  const n = width * height;
  const tensor = new Float32Array(n * channels);
  const mean = spec.mean ?? [0];
  const std = spec.std ?? [1];
  const scale = new Float32Array(channels);
  const offset = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = mean[c] ?? mean[0] ?? 0;
    const s = std[c] ?? std[0] ?? 1;
    scale[c] = 1 / (255 * s);
    offset[c] = m / s;
  }
  const planar = spec.layout !== 'NHWC';
  for (let i = 0; i < n; i++) {
    const p = i * 4;
    if (channels === 1) {
      let v = 0.299 * rgba[p] + 0.587 * rgba[p + 1] + 0.114 * rgba[p + 2];
      if (spec.invert) v = 255 - v;
      tensor[i] = v * scale[0] - offset[0];
    } else {
      for (let c = 0; c < 3; c++) {
        let v = rgba[p + c];
        if (spec.invert) v = 255 - v;
        tensor[planar ? c * n + i : i * 3 + c] = v * scale[c] - offset[c];
      }
    }
  }
  return tensor;
}

/** Width, height, channels and full dims of an image input spec. */
export function specGeometry(spec) {
  const s = spec.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
  const nhwc = spec.layout === 'NHWC';
  const [c, h, w] = nhwc ? [s[3], s[1], s[2]] : [s[1], s[2], s[3]];
  const channels = spec.color === 'gray' ? 1 : c || 3;
  return { width: w, height: h, channels, dims: nhwc ? [1, h, w, channels] : [1, channels, h, w] };
}

/** Photo → input tensor data and dims for the given image input spec. */
export function photoTensor(path, spec) {
  const { width, height, dims } = specGeometry(spec);
  const rgba = loadPhotoRgba(path, width, height);
  return { data: rgbaToTensor(rgba, width, height, spec), dims };
}

export { normalSamples } from './random.mjs';
