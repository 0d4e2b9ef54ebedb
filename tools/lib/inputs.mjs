// Builds the model inputs ("feeds") used for calibration and verification: real photos preprocessed
// as the elements do (image inputs), standard-normal latents with a fixed seed, or a raw Float32 file.
import { readFileSync } from 'node:fs';
import { DT, num, realInputs, valueDims, valueElemType } from './onnx-io.mjs';
import { DEFAULT_PHOTOS, listPhotos, normalSamples, photoTensor } from './photos.mjs';

/**
 * @typedef {{ name: string, shape: Array<number|string>, layout: 'NCHW'|'NHWC', color: 'rgb'|'gray',
 *   mean: number[], std: number[], invert?: boolean }} InputSpec
 * @typedef {Record<string, {data: Float32Array, dims: number[]}>} Feed
 */

/** Parses `--input-spec` (JSON text or a path to a JSON file). Accepts a catalog entry with an `input` field. */
export function parseInputSpec(text) {
  if (!text) return undefined;
  if (text.trim().startsWith('{')) return unwrap(JSON.parse(text));
  // FILE.json or catalog.json#model-id
  const [file, id] = text.split('#');
  const obj = JSON.parse(readFileSync(file, 'utf8'));
  if (id) {
    const entry = obj.models?.[id] ?? obj[id];
    if (!entry) throw new Error(`${file} has no model "${id}"`);
    return unwrap(entry);
  }
  return unwrap(obj);
}

function unwrap(obj) {
  return obj.input && !obj.layout ? obj.input : obj;
}

/** Guesses an image spec for a 4-D float input with 1 or 3 channels (values in [0, 1]), else undefined. */
export function guessImageSpec(model) {
  const input = realInputs(model.graph)[0];
  if (!input || valueElemType(input) !== DT.FLOAT) return undefined;
  const dims = valueDims(input);
  if (dims.length !== 4) return undefined;
  let layout;
  if (dims[1] === 3 || dims[1] === 1) layout = 'NCHW';
  else if (dims[3] === 3 || dims[3] === 1) layout = 'NHWC';
  else return undefined;
  const c = layout === 'NCHW' ? dims[1] : dims[3];
  const [h, w] = layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  if (!(h > 0 && w > 0)) return undefined;
  return { name: input.name, shape: [1, ...dims.slice(1)], layout, color: c === 1 ? 'gray' : 'rgb', mean: [0], std: [1] };
}

/**
 * Makes the list of feeds.
 * @param {any} model ModelProto
 * @param {{ spec?: InputSpec, photos?: string|string[], dir?: string, normal?: number, seed?: number,
 *   rawFile?: string, rawShape?: number[] }} opts
 * @returns {{ feeds: Feed[], source: string }}
 */
export function makeFeeds(model, opts = {}) {
  const inputs = realInputs(model.graph);
  if (opts.rawFile) {
    const buf = readFileSync(opts.rawFile);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    const shape = opts.rawShape ?? [all.length / fixedSize(inputs[0]), ...valueDims(inputs[0]).slice(1)];
    const n = shape[0];
    const per = all.length / n;
    const feeds = [];
    for (let k = 0; k < n; k++) {
      feeds.push({ [inputs[0].name]: { data: all.slice(k * per, (k + 1) * per), dims: [1, ...shape.slice(1)] } });
    }
    return { feeds, source: `raw:${opts.rawFile}` };
  }
  const spec = opts.spec ?? guessImageSpec(model);
  const wantsNormal = opts.normal || !spec;
  if (wantsNormal) {
    const count = opts.normal || 16;
    const feeds = [];
    for (let k = 0; k < count; k++) {
      const feed = {};
      inputs.forEach((inp, j) => {
        const dims = valueDims(inp).map((d, i) => (d > 0 ? d : i === 0 ? 1 : NaN));
        if (dims.some((d) => Number.isNaN(d))) throw new Error(`Input ${inp.name} has free dims ${JSON.stringify(valueDims(inp))}; give --calibrate-raw with a shape`);
        const size = dims.reduce((a, b) => a * b, 1);
        feed[inp.name] = { data: normalSamples(size, (opts.seed ?? 1234) + k * 7919 + j * 104729), dims };
      });
      feeds.push(feed);
    }
    return { feeds, source: `normal:${count}` };
  }
  let photos = listPhotos({ photos: opts.photos, dir: opts.dir });
  if (!photos.length) photos = DEFAULT_PHOTOS;
  const name = spec.name ?? inputs[0].name;
  const feeds = photos.map((p) => ({ [name]: photoTensor(p, spec) }));
  return { feeds, source: `photos:${photos.length}`, photos };
}

function fixedSize(input) {
  return valueDims(input).slice(1).reduce((a, b) => a * (b > 0 ? b : 1), 1);
}

/** Turns a feed into onnxruntime Tensors. */
export function toOrtFeed(ort, feed) {
  const out = {};
  for (const [k, v] of Object.entries(feed)) out[k] = new ort.Tensor('float32', v.data, v.dims);
  return out;
}

export { num };
