// The reference side of the real-model element tests: runs a catalog model's fp32 ONNX with native
// onnxruntime-node on exactly the pixels the browser sent, so a test can compare what the element
// (onnxruntime-web, int8 or fp16) answered with what the verified fp32 model says.
import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { toNHWC } from '../tools/lib/images.mjs';

const catalog = JSON.parse(readFileSync(new URL('../models/catalog.json', import.meta.url), 'utf8'));
const sessions = new Map();

/** @param {{model: string, rgba: number[], width: number, height: number}} req */
export async function referenceRun({ model, rgba, width, height }) {
  const entry = catalog.models[model];
  if (!entry?.variants?.fp32) throw new Error(`no fp32 variant of ${model} in the catalog`);
  const spec = entry.input;
  let session = sessions.get(model);
  if (!session) {
    session = await ort.InferenceSession.create(new URL(`../models/${entry.variants.fp32.file}`, import.meta.url).pathname);
    sessions.set(model, session);
  }
  let data = toNHWC(Uint8Array.from(rgba), width, height, spec);
  const channels = spec.color === 'gray' ? 1 : 3;
  let dims = [1, height, width, channels];
  if (spec.layout === 'NCHW') {
    const planar = new Float32Array(data.length);
    for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) planar[c * width * height + i] = data[i * channels + c];
    data = planar;
    dims = [1, channels, height, width];
  }
  const out = await session.run({ [spec.name]: new ort.Tensor('float32', data, dims) });
  const result = {};
  for (const [name, t] of Object.entries(out)) result[name] = { dims: [...t.dims], data: Array.from(t.data) };
  return result;
}
