#!/usr/bin/env node
// Which shipped model makes the best general-purpose feature extractor for <cv-classify learn>?
// For each candidate (a model cut at an inner tensor, global-average-pooled) it embeds crops of real
// photos (one class per photo), fits on some crops and scores held-out crops at other positions and
// scales, with brightness changes, by nearest centroid (cosine) and by softmax regression.
// A raw-pixel thumbnail is the baseline every candidate must beat.
// Usage: node tools/measure-backbones.mjs [--classes 8] [--train 10] [--test 20] [--only REGEX] [--seed 1] [--json out.json]
// (--only picks candidates by "model:tensor"; the pixel baseline is "pixels:…".)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { extractFeatures, listTensors } from './lib/subgraph.mjs';
import { loadImage, PHOTOS } from './lib/images.mjs';
import { mulberry32 } from './lib/random.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Cut points worth trying, by model; `fashion-cnn` is measured when its file is there. */
export const CANDIDATES = [
  { model: 'selfie-segmentation', tensor: 't157', note: 'encoder output (last inverted-residual block, 1/32 scale)' },
  { model: 'selfie-segmentation', tensor: 't143', note: 'last block expansion (h-swish), 1/32 scale' },
  { model: 'selfie-segmentation', tensor: 't135', note: 'second-last encoder block output' },
  { model: 'selfie-segmentation', tensor: 't121', note: 'block expansion (h-swish) at 1/16 scale' },
  { model: 'selfie-segmentation', tensor: 't167', note: 'LR-ASPP head (relu(conv) × sigmoid gate)' },
  { model: 'selfie-segmentation', tensor: ['t99', 't121', 't143'], note: 'three last block expansions, pooled and concatenated' },
  { model: 'selfie-segmentation', tensor: ['t113', 't135', 't157'], note: 'three last block outputs, pooled and concatenated' },
  { model: 'face-detection', tensor: ['t114', 't133', 't157'], note: 'BlazeFace backbone at 1/8 and 1/16, concatenated' },
  { model: 'face-detection', tensor: 't157', note: 'BlazeFace backbone output (1/16)' },
  { model: 'face-detection', tensor: 't133', note: 'BlazeFace backbone, first 1/16 block' },
  { model: 'face-detection', tensor: 't114', note: 'BlazeFace backbone at 1/8' },
  { model: 'expression', tensor: 'StatefulPartitionedCall/model_1/add_2/add', note: 'penultimate block (before the 7-class conv)' },
];

export { mulberry32 };

/** RGBA pixels of a crop, area-averaged (box filter) then bilinear, to w×h; optional flip and gain. */
export function cropResize(img, crop, w, h, { flip = false, gain = 1 } = {}) {
  const out = new Uint8Array(w * h * 4);
  const sx = crop.width / w, sy = crop.height / h;
  const kx = Math.max(1, Math.round(sx)), ky = Math.max(1, Math.round(sy));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const xx = flip ? w - 1 - x : x;
      const cx = crop.x + (xx + 0.5) * sx, cy = crop.y + (y + 0.5) * sy;
      const acc = [0, 0, 0];
      let n = 0;
      for (let j = 0; j < ky; j++) for (let i = 0; i < kx; i++) {
        const px = Math.min(img.width - 1, Math.max(0, Math.floor(cx + (i - (kx - 1) / 2) * (sx / kx))));
        const py = Math.min(img.height - 1, Math.max(0, Math.floor(cy + (j - (ky - 1) / 2) * (sy / ky))));
        const p = (py * img.width + px) * 4;
        acc[0] += img.data[p]; acc[1] += img.data[p + 1]; acc[2] += img.data[p + 2];
        n++;
      }
      const o = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = Math.min(255, Math.round((acc[c] / n) * gain));
      out[o + 3] = 255;
    }
  }
  return out;
}

/** Random square crops of an image: side a fraction in [lo, hi] of the shorter side. */
export function randomCrops(img, n, rand, [lo, hi]) {
  const crops = [];
  const short = Math.min(img.width, img.height);
  for (let i = 0; i < n; i++) {
    const side = short * (lo + (hi - lo) * rand());
    crops.push({ x: rand() * (img.width - side), y: rand() * (img.height - side), width: side, height: side });
  }
  return crops;
}

function tensorFor(rgba, w, h, spec) {
  const C = spec.color === 'gray' ? 1 : 3;
  const data = new Float32Array(w * h * C);
  for (let i = 0; i < w * h; i++) {
    const r = rgba[i * 4], g = rgba[i * 4 + 1], b = rgba[i * 4 + 2];
    if (C === 1) data[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / 255 - spec.mean[0]) / spec.std[0];
    else for (let c = 0; c < 3; c++) data[i * 3 + c] = ([r, g, b][c] / 255 - spec.mean[c]) / spec.std[c];
  }
  const dims = spec.layout === 'NCHW' ? [1, C, h, w] : [1, h, w, C];
  if (spec.layout === 'NCHW') {
    const planar = new Float32Array(data.length);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < C; c++) planar[c * w * h + i] = data[i * C + c];
    return new ort.Tensor('float32', planar, dims);
  }
  return new ort.Tensor('float32', data, dims);
}

// ---------------- classifiers ----------------

const l2norm = (v) => {
  let s = 0;
  for (const x of v) s += x * x;
  const k = 1 / Math.sqrt(s || 1);
  return v.map((x) => x * k);
};

export function nearestCentroidAccuracy(train, test) {
  const classes = [...new Set(train.map((e) => e.label))];
  const dim = train[0].x.length;
  const cents = classes.map((c) => {
    const m = new Float64Array(dim);
    const xs = train.filter((e) => e.label === c);
    for (const e of xs) { const v = l2norm(e.x); for (let i = 0; i < dim; i++) m[i] += v[i] / xs.length; }
    return l2norm(m);
  });
  let ok = 0;
  for (const e of test) {
    const v = l2norm(e.x);
    let best = -Infinity, arg = -1;
    cents.forEach((m, k) => { let d = 0; for (let i = 0; i < dim; i++) d += m[i] * v[i]; if (d > best) { best = d; arg = k; } });
    ok += classes[arg] === e.label ? 1 : 0;
  }
  return ok / test.length;
}

/** Full-batch softmax regression on standardised features with L2; the worker's head does the same. */
export function softmaxRegressionAccuracy(train, test, { epochs = 300, lr = 0.5, l2 = 1e-3 } = {}) {
  const classes = [...new Set(train.map((e) => e.label))];
  const K = classes.length, D = train[0].x.length, N = train.length;
  const mean = new Float64Array(D), sd = new Float64Array(D);
  for (const e of train) for (let i = 0; i < D; i++) mean[i] += e.x[i] / N;
  for (const e of train) for (let i = 0; i < D; i++) sd[i] += (e.x[i] - mean[i]) ** 2 / N;
  for (let i = 0; i < D; i++) sd[i] = Math.sqrt(sd[i]) + 1e-3;
  const z = (x) => Float64Array.from(x, (v, i) => (v - mean[i]) / sd[i]);
  const X = train.map((e) => z(e.x));
  const Y = train.map((e) => classes.indexOf(e.label));
  const W = new Float64Array(K * D), b = new Float64Array(K);
  const p = new Float64Array(K);
  for (let ep = 0; ep < epochs; ep++) {
    const gW = new Float64Array(K * D), gb = new Float64Array(K);
    for (let n = 0; n < N; n++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) { let s = b[k]; for (let i = 0; i < D; i++) s += W[k * D + i] * X[n][i]; p[k] = s; mx = Math.max(mx, s); }
      let sum = 0;
      for (let k = 0; k < K; k++) { p[k] = Math.exp(p[k] - mx); sum += p[k]; }
      for (let k = 0; k < K; k++) {
        const g = p[k] / sum - (Y[n] === k ? 1 : 0);
        gb[k] += g / N;
        for (let i = 0; i < D; i++) gW[k * D + i] += (g * X[n][i]) / N;
      }
    }
    for (let j = 0; j < K * D; j++) W[j] -= lr * (gW[j] + l2 * W[j]);
    for (let k = 0; k < K; k++) b[k] -= lr * gb[k];
  }
  let ok = 0;
  for (const e of test) {
    const x = z(e.x);
    let best = -Infinity, arg = -1;
    for (let k = 0; k < K; k++) { let s = b[k]; for (let i = 0; i < D; i++) s += W[k * D + i] * x[i]; if (s > best) { best = s; arg = k; } }
    ok += classes[arg] === e.label ? 1 : 0;
  }
  return ok / test.length;
}

// ---------------- main ----------------

function catalogEntry(name) {
  const cat = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/catalog.json'), 'utf8'));
  return cat.models[name];
}

function modelFile(name) {
  if (name === 'fashion-cnn') {
    for (const f of [path.join(ROOT, 'models/fashion-cnn.fp32.onnx'), '/work/wt-train/models/fashion-cnn.fp32.onnx']) if (fs.existsSync(f)) return f;
    return null;
  }
  return path.join(ROOT, 'models', catalogEntry(name).variants.fp32.file);
}

/** The last rank-4 tensor before the first Flatten/Gemm/GlobalAveragePool/ReduceMean: a CNN's penultimate features. */
function penultimate(bytes) {
  const ts = listTensors(bytes);
  const stop = ts.findIndex((t) => ['Flatten', 'Gemm', 'MatMul', 'GlobalAveragePool', 'ReduceMean', 'Reshape'].includes(t.op));
  return ts[Math.max(0, stop - 1)]?.name;
}

export async function measure({ classes = 8, nTrain = 10, nTest = 20, only = null, seed = 1, log = () => {} } = {}) {
  const photos = PHOTOS.slice(0, classes).map((f) => ({ label: path.basename(f).replace(/\.\w+$/, ''), img: loadImage(f) }));
  const trainRand = mulberry32(seed), testRand = mulberry32(seed + 1);
  const sets = photos.map(({ label, img }) => ({
    label,
    img,
    // Training: crops at 40–70 % of the short side, each also flipped. Test: other crops at 30–85 %, brightness 0.7–1.3.
    train: randomCrops(img, nTrain, trainRand, [0.4, 0.7]).flatMap((c) => [{ crop: c }, { crop: c, flip: true }]),
    test: randomCrops(img, nTest, testRand, [0.3, 0.85]).map((c) => ({ crop: c, gain: 0.7 + 0.6 * testRand() })),
  }));

  const cands = [{ model: 'pixels', tensor: '8×8 RGB thumbnail', note: 'baseline' }, ...CANDIDATES].filter((c) => !only || only.test(`${c.model}:${c.tensor}`));
  const fashion = modelFile('fashion-cnn');
  if (fashion) cands.push({ model: 'fashion-cnn', tensor: penultimate(fs.readFileSync(fashion)), note: 'penultimate layer', file: fashion });

  const rows = [];
  for (const cand of cands) {
    const t0 = Date.now();
    let embed;
    if (cand.model === 'pixels') {
      embed = (img, item) => Float64Array.from(cropResize(img, item.crop, 8, 8, item).filter((_, i) => i % 4 !== 3), (v) => v / 255);
    } else {
      const file = cand.file ?? modelFile(cand.model);
      const entry = cand.model === 'fashion-cnn'
        ? { input: { name: 'input', shape: [1, 1, 28, 28], layout: 'NCHW', color: 'gray', mean: [0], std: [1] } }
        : catalogEntry(cand.model);
      const { bytes } = extractFeatures(fs.readFileSync(file), { tensor: cand.tensor });
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
      const spec = entry.input;
      const [h, w] = spec.layout === 'NCHW' ? [spec.shape[2], spec.shape[3]] : [spec.shape[1], spec.shape[2]];
      const inName = session.inputNames[0];
      embed = async (img, item) => {
        const out = await session.run({ [inName]: tensorFor(cropResize(img, item.crop, w, h, item), w, h, spec) });
        return Float64Array.from(out[session.outputNames[0]].data);
      };
    }
    const train = [], test = [];
    for (const s of sets) {
      for (const item of s.train) train.push({ label: s.label, x: await embed(s.img, item) });
      for (const item of s.test) test.push({ label: s.label, x: await embed(s.img, item) });
    }
    const row = {
      model: cand.model,
      tensor: cand.tensor,
      note: cand.note,
      dim: train[0].x.length,
      nearestCentroid: nearestCentroidAccuracy(train, test),
      softmaxRegression: softmaxRegressionAccuracy(train, test),
      msPerCrop: (Date.now() - t0) / (train.length + test.length),
    };
    rows.push(row);
    log(row);
  }
  return { classes: photos.map((p) => p.label), trainPerClass: nTrain * 2, testPerClass: nTest, rows };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (k, d) => (argv.includes(k) ? Number(argv[argv.indexOf(k) + 1]) : d);
  const pct = (v) => `${(v * 100).toFixed(1)} %`;
  measure({
    classes: opt('--classes', 8),
    nTrain: opt('--train', 10),
    nTest: opt('--test', 20),
    seed: opt('--seed', 1),
    only: argv.includes('--only') ? new RegExp(argv[argv.indexOf('--only') + 1]) : null,
    log: (r) => process.stdout.write(`${r.model.padEnd(20)} ${String(r.tensor).slice(0, 42).padEnd(43)} dim ${String(r.dim).padStart(4)}  centroid ${pct(r.nearestCentroid).padStart(7)}  softmax ${pct(r.softmaxRegression).padStart(7)}  ${r.msPerCrop.toFixed(1)} ms/crop\n`),
  }).then((res) => {
    if (argv.includes('--json')) fs.writeFileSync(argv[argv.indexOf('--json') + 1], `${JSON.stringify(res, null, 2)}\n`);
  }, (e) => { console.error(e); process.exitCode = 1; });
}
