// Decoding and resizing real photos in Node (jpeg-js, pngjs), deterministic and dependency-light.
import fs from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** @returns {{width:number,height:number,data:Uint8Array}} RGBA */
export function loadImage(file) {
  const buf = fs.readFileSync(file);
  if (buf[0] === 0x89 && buf[1] === 0x50) {
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  }
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, data: img.data };
}

/** Bilinear resize (half-pixel centres) of RGBA pixels to w×h; returns RGBA Uint8Array. */
export function resizeRGBA(img, w, h) {
  const out = new Uint8Array(w * h * 4);
  const sx = img.width / w, sy = img.height / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, img.height - 1), wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, img.width - 1), wx = fx - x0;
      for (let c = 0; c < 4; c++) {
        const a = img.data[(y0 * img.width + x0) * 4 + c], b = img.data[(y0 * img.width + x1) * 4 + c];
        const d = img.data[(y1 * img.width + x0) * 4 + c], e = img.data[(y1 * img.width + x1) * 4 + c];
        out[(y * w + x) * 4 + c] = Math.round((a * (1 - wx) + b * wx) * (1 - wy) + (d * (1 - wx) + e * wx) * wy);
      }
    }
  }
  return out;
}

/**
 * RGBA → NHWC float tensor with normalised = ((invert ? 255 - v : v) / 255 - mean) / std.
 * color 'gray' uses the given weights (default BT.601).
 */
export function toNHWC(rgba, w, h, { color = 'rgb', mean = [0], std = [1], invert = false, grayWeights = [0.299, 0.587, 0.114] } = {}) {
  const C = color === 'gray' ? 1 : 3;
  const out = new Float32Array(w * h * C);
  for (let i = 0; i < w * h; i++) {
    const px = [rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]];
    const vals = C === 1 ? [px[0] * grayWeights[0] + px[1] * grayWeights[1] + px[2] * grayWeights[2]] : px;
    for (let c = 0; c < C; c++) {
      const v = invert ? 255 - vals[c] : vals[c];
      out[i * C + c] = (v / 255 - (mean[c] ?? mean[0])) / (std[c] ?? std[0]);
    }
  }
  return out;
}

export const DARKNET = '/usr/share/darknet/data';
export const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
/** Real photos used for verification. */
export const PHOTOS = [
  `${DARKNET}/person.jpg`, `${DARKNET}/dog.jpg`, `${DARKNET}/horses.jpg`, `${DARKNET}/eagle.jpg`, `${DARKNET}/giraffe.jpg`,
  `${SKIMAGE}/astronaut.png`, `${SKIMAGE}/coffee.png`, `${SKIMAGE}/chelsea.png`,
];
