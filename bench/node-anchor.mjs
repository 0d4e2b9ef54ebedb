// Anchor (a): the same ONNX files on onnxruntime-node (native CPU), fed the bench photo preprocessed to
// each model's input spec, timed around session.run only.
import { createRequire } from 'node:module';
import { loadImage, resizeRGBA, toNHWC } from '../tools/lib/images.mjs';
import { summarize } from './stats.mjs';
import { normalSamples } from '../tools/lib/random.mjs';

const require = createRequire(import.meta.url);

/** The camera frame the fake video shows (photo cover-scaled to 704×528, centre 640×480), as RGBA. */
export function cameraFrame(photo, width = 640, height = 480, margin = 1.1) {
  const img = loadImage(photo);
  const W = Math.round(width * margin), H = Math.round(height * margin);
  const s = Math.max(W / img.width, H / img.height);
  const big = { width: Math.round(img.width * s), height: Math.round(img.height * s) };
  big.data = resizeRGBA(img, big.width, big.height);
  const x0 = Math.floor((big.width - width) / 2), y0 = Math.floor((big.height - height) / 2);
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) data.set(big.data.subarray(((y + y0) * big.width + x0) * 4, ((y + y0) * big.width + x0 + width) * 4), y * width * 4);
  return { width, height, data };
}


/** Feeds for one session: image inputs from the frame per the catalog spec, anything else seeded noise. */
function feedsFor(ort, session, spec, frame) {
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    let data;
    if (spec && spec.name === meta.name && dims.length === 4) {
      const [h, w] = spec.layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
      const rgba = resizeRGBA(frame, w, h);
      const nhwc = toNHWC(rgba, w, h, { color: spec.color, mean: spec.mean, std: spec.std, invert: spec.invert });
      if (spec.layout === 'NCHW') {
        const c = nhwc.length / (w * h);
        data = new Float32Array(nhwc.length);
        for (let i = 0; i < w * h; i++) for (let k = 0; k < c; k++) data[k * w * h + i] = nhwc[i * c + k];
      } else data = nhwc;
    } else {
      data = normalSamples(n, 1);
    }
    if (data.length !== n) throw new Error(`input ${meta.name}: made ${data.length} values for shape [${dims}]`);
    feeds[meta.name] = new ort.Tensor('float32', data, dims);
  }
  return feeds;
}

/**
 * Times session.run for one ONNX file.
 * @param {{file:string, spec:object|null, frame:{width:number,height:number,data:Uint8Array}, threads:number, iterations:number, warmup?:number}} o
 */
export async function anchorModel({ file, spec, frame, threads, iterations, warmup = 5 }) {
  const ort = require('onnxruntime-node');
  const session = await ort.InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = feedsFor(ort, session, spec, frame);
  const times = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) times.push(ms);
    for (const t of Object.values(out)) t.dispose?.();
  }
  await session.release();
  return { runtime: `onnxruntime-node ${require('onnxruntime-node/package.json').version} (cpu)`, threads, ...summarize(times) };
}
