#!/usr/bin/env node
// Converts the default models from the pinned npm packages into models/<name>.fp32.onnx (and, for the TFLite
// sources, models/<name>.tflite with TFLite Metadata attached for the MediaPipe backend), verifies each
// against its source runtime on real photos, and merges the entries into models/catalog.json.
// Deterministic: no timestamps; the same package bytes give the same ONNX bytes and catalog.
// Usage: node tools/build-models.mjs [--only name,name] [--no-verify] [--out models]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { convertTflite } from './lib/convert-tflite.mjs';
import { convertTfjs } from './lib/convert-tfjs.mjs';
import { readTflite } from './lib/tflite.mjs';
import { createTfliteRunner, truncateTflite } from './lib/reference-tflite.mjs';
import { createTfjsRunner } from './lib/reference-tfjs.mjs';
import { loadImage, resizeRGBA, toNHWC, PHOTOS } from './lib/images.mjs';
import { transposeConvNHWC, sigmoid, maxAbsDiff, maxAbs, maskIoU, argmax, psnr } from './lib/reference-ops.mjs';
import { decodeTensor } from './lib/convert-tflite.mjs';
import { addImageMetadata } from './lib/tflite-metadata.mjs';
import { OBJECT_ROWS, compareDetections, detectionRows, nms } from './lib/detections.mjs';
import { COCO80 } from './lib/labels.mjs';

/** Score threshold at which decoded detections are compared (Human's default minConfidence for this model). */
export const OBJECT_THRESHOLD = 0.2;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function pkgInfo(name) {
  const dir = path.join(ROOT, 'node_modules', name);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return { dir, version: pj.version, license: pj.license ?? 'see package' };
}

const round = (v, digits = 3) => (Number.isFinite(v) ? Number(v.toPrecision(digits)) : v);

/** Normalised NHWC input for a photo, following the catalog's input spec. */
function photoInput(file, spec, grayWeights) {
  const [, H, W] = spec.shape;
  return toNHWC(resizeRGBA(loadImage(file), W, H), W, H, { color: spec.color, mean: spec.mean, std: spec.std, invert: spec.invert, grayWeights });
}

async function ortSession(bytes) {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
}

/**
 * The source .tflite with TFLite Metadata attached (what MediaPipe Tasks need to preprocess images): the catalog's
 * input normalization, which works on 0…1 pixels, scaled to MediaPipe's 0…255 convention.
 */
export function mediapipeModel(def, srcBytes) {
  const [, H, W] = def.input.shape;
  const m = readTflite(srcBytes);
  return addImageMetadata(srcBytes, {
    mean: def.input.mean.map((v) => v * 255), std: def.input.std.map((v) => v * 255),
    colorSpace: def.input.color === 'gray' ? 'gray' : 'rgb', width: W, height: H,
    inputName: def.input.name, outputNames: m.outputs.map((i) => m.tensors[i].name),
    name: def.name, license: def.source.originLicense,
  });
}

// ---------------- model definitions ----------------

function selfieDef(name, file, size) {
  return {
    name,
    task: 'segment',
    source: { package: '@mediapipe/selfie_segmentation', file, originLicense: 'Apache-2.0 (MediaPipe Selfie Segmentation model card)', url: 'https://github.com/google/mediapipe' },
    input: { name: 'input_1', shape: [1, size[0], size[1], 3], layout: 'NHWC', color: 'rgb', mean: [0, 0, 0], std: [1, 1, 1] },
    outputs: (o) => [{ name: o[0].name, shape: o[0].shape, meaning: 'person probability per pixel', range: [0, 1] }],
    labels: null,
    convert: (p) => convertTflite(fs.readFileSync(p)),
    verify: verifySelfie,
    mediapipe: true,
  };
}

const MODELS = [
  selfieDef('selfie-segmentation', 'selfie_segmentation.tflite', [256, 256]),
  selfieDef('selfie-segmentation-landscape', 'selfie_segmentation_landscape.tflite', [144, 256]),
  {
    name: 'face-detection',
    task: 'detect',
    source: { package: '@mediapipe/face_detection', file: 'face_detection_short_range.tflite', originLicense: 'Apache-2.0 (MediaPipe BlazeFace short-range model card)', url: 'https://github.com/google/mediapipe' },
    input: { name: 'input', shape: [1, 128, 128, 3], layout: 'NHWC', color: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    outputs: (o) => [
      { name: o[0].name, shape: o[0].shape, meaning: 'per anchor (896 SSD anchors, strides 8 and 16): box centre offset x,y, width, height, then 6 keypoints x,y, in input pixels relative to the anchor' },
      { name: o[1].name, shape: o[1].shape, meaning: 'per anchor face score logit (apply sigmoid)' },
    ],
    labels: ['face'],
    convert: (p) => convertTflite(fs.readFileSync(p)),
    verify: verifyTfliteTensors,
    mediapipe: true,
  },
  {
    name: 'expression',
    task: 'classify',
    source: {
      package: '@vladmandic/human', file: 'models/emotion.json',
      originLicense: 'MIT (oarriaga/face_classification, the model Human names "Oarriaga Emotion")', url: 'https://github.com/oarriaga/face_classification',
    },
    // Human: resize face crop to 64×64, gray = 0.2989 R + 0.587 G + 0.114 B on [0,1], then (gray - 0.5) * 2.
    input: { name: 'input_1', shape: [1, 64, 64, 1], layout: 'NHWC', color: 'gray', mean: [0.5], std: [0.5] },
    grayWeights: [0.2989, 0.587, 0.114],
    outputs: (o) => [{ name: o[0].name, shape: o[0].shape, meaning: 'class probabilities (softmax)', range: [0, 1] }],
    // Human's order for its 1-channel (grayscale) emotion model (dist/human.esm.js, emotion module).
    labels: ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'],
    notes: 'Expects a face crop. Human weights gray as 0.2989/0.587/0.114; the element uses BT.601 0.299/0.587/0.114 (difference < 0.0005 of a level).',
    convert: (p) => convertTfjs(p),
    verify: verifyTfjs,
  },
  {
    name: 'esrgan',
    task: 'generate',
    source: { package: '@upscalerjs/esrgan-slim', file: 'models/x2/model.json', originLicense: 'MIT (UpscalerJS esrgan-slim, RDN architecture)', url: 'https://github.com/thekevinscott/UpscalerJS' },
    // UpscalerJS esrgan-slim (rdn): inputRange [0, 255], outputRange [0, 255]. x2 chosen: same weights size as x4,
    // a quarter of the output pixels, so it keeps up with camera frames on WASM.
    input: { name: 'LR', shape: [1, 128, 128, 3], layout: 'NHWC', color: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] },
    outputs: (o) => [{ name: o[0].name, shape: o[0].shape, meaning: '2× upscaled RGB image', range: [0, 255] }],
    labels: null,
    notes: 'Layers model with free H×W in the source; converted at a fixed 128×128 input (256×256 output).',
    convert: (p) => convertTfjs(p, { inputShape: [1, 128, 128, 3] }),
    verify: verifyTfjs,
    photos: 5,
  },
  {
    name: 'object-detection',
    task: 'detect',
    source: {
      package: '@vladmandic/human', file: 'models/centernet.json',
      originLicense: 'not stated upstream: 610265158/mobilenetv3_centernet (MobileNetV3 + CenterNet, the model Human names "CenterNet with MobileNet v3") has no licence file; trained on MS COCO 2017 (annotations CC BY 4.0). Human redistributes the weights, fp16-quantized, under MIT',
      url: 'https://github.com/610265158/mobilenetv3_centernet',
    },
    // Human feeds the frame resized to 512×512 as float 0…255 RGB, no normalization (src/object/centernet.ts).
    input: { name: 'tower_0/images', shape: [1, 512, 512, 3], layout: 'NHWC', color: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] },
    outputs: (o) => [{
      name: o[0].name, shape: o[0].shape, format: OBJECT_ROWS,
      meaning: '100 detections, best first: x1, y1, x2, y2 in input pixels (0…512), score 0…1, COCO-80 class index (see labels). Decoded in the graph (heatmap peaks = 3×3 max-pool, top 100); rows overlap across classes, so apply class-aware NMS',
    }],
    labels: COCO80,
    notes: 'Only the decoded "tower_0/detections" output is kept; the raw heads (tower_0/keypoints 128×128×80, tower_0/wh) are pruned.',
    convert: (p) => convertTfjs(p, { outputs: ['tower_0/detections'] }),
    verify: verifyObjects,
    photos: 4,
  },
  {
    name: 'face-embedding',
    task: 'features',
    source: {
      package: '@vladmandic/human', file: 'models/faceres.json',
      originLicense: 'not stated upstream: av-savchenko/HSE_FaceRec_tf (HSE FaceRes age/gender/identity, MobileNet pre-trained for identification on VGGFace2) has no licence file; Human redistributes the weights, fp16-quantized, under MIT',
      url: 'https://github.com/av-savchenko/HSE_FaceRec_tf',
    },
    // Human: face crop resized to 224×224, 0…1 RGB times 255 (src/face/faceres.ts).
    input: { name: 'input_1', shape: [1, 224, 224, 3], layout: 'NHWC', color: 'rgb', mean: [0, 0, 0], std: [1 / 255, 1 / 255, 1 / 255] },
    outputs: (o) => [
      { name: o[0].name, shape: o[0].shape, meaning: 'identity descriptor (global average pool of the MobileNet trunk); compare faces by cosine or Euclidean distance' },
      { name: o[1].name, shape: o[1].shape, meaning: 'age distribution over 0…99 years (softmax)', range: [0, 1] },
      { name: o[2].name, shape: o[2].shape, meaning: 'gender score: ≤ 0.5 female, > 0.5 male (sigmoid)', range: [0, 1] },
    ],
    labels: null,
    notes: 'Expects a face crop. Outputs reordered so the descriptor comes first.',
    convert: (p) => convertTfjs(p, { outputs: ['global_pooling/Mean', 'age_pred/Softmax', 'gender_pred/Sigmoid'] }),
    verify: verifyTfjsOutputs,
    photos: 4,
  },
];

// ---------------- verification ----------------

/** Decoded detections of the ONNX model against TF.js's on the same photos, at <cv-detect>'s default threshold. */
async function verifyObjects(def, src, onnxBytes) {
  const ref = await createTfjsRunner(src);
  const sess = await ortSession(onnxBytes);
  const pairs = [];
  let maxDiff = 0;
  const photos = PHOTOS.slice(0, def.photos ?? PHOTOS.length);
  const found = {};
  for (const p of photos) {
    const x = photoInput(p, def.input);
    const rs = ref.run(x, def.input.shape);
    const r = rs.find((t) => t.length === 100 * 6); // the detections output among the signature outputs TF.js returns
    const a = (await sess.run({ [def.input.name]: new ort.Tensor('float32', x, def.input.shape) }))[sess.outputNames[0]].data;
    maxDiff = Math.max(maxDiff, maxAbsDiff(a, r));
    pairs.push({ ref: r, cand: a });
    found[path.basename(p)] = [...new Set(nms(detectionRows(a, OBJECT_THRESHOLD)).map((d) => def.labels[d.cls]))];
  }
  ref.dispose();
  return {
    reference: `@tensorflow/tfjs ${pkgInfo('@tensorflow/tfjs').version} CPU backend in Node, output tower_0/detections`,
    photos: photos.map((p) => path.basename(p)),
    maxAbsDiffPixels: round(maxDiff), ...roundAll(compareDetections(pairs, { threshold: OBJECT_THRESHOLD })), labelsFound: found,
  };
}

/** Every output of the ONNX model against TF.js's (matched by size): max difference and descriptor cosine. */
async function verifyTfjsOutputs(def, src, onnxBytes) {
  const ref = await createTfjsRunner(src);
  const sess = await ortSession(onnxBytes);
  let maxDiff = 0, minCos = 1;
  const photos = PHOTOS.slice(0, def.photos ?? PHOTOS.length);
  for (const p of photos) {
    const x = photoInput(p, def.input);
    const rs = ref.run(x, def.input.shape);
    const o = await sess.run({ [def.input.name]: new ort.Tensor('float32', x, def.input.shape) });
    sess.outputNames.forEach((n, i) => {
      const a = o[n].data;
      const r = rs.find((t) => t.length === a.length);
      maxDiff = Math.max(maxDiff, maxAbsDiff(a, r));
      if (i === 0) minCos = Math.min(minCos, cosine(a, r));
    });
  }
  ref.dispose();
  return {
    reference: `@tensorflow/tfjs ${pkgInfo('@tensorflow/tfjs').version} CPU backend in Node, all outputs`,
    photos: photos.map((p) => path.basename(p)), maxAbsDiff: round(maxDiff), descriptorMinCosine: round(minCos, 6),
  };
}

function cosine(a, b) {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb || 1);
}

const roundAll = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v]));

async function verifyTfliteTensors(def, src, onnxBytes) {
  const ref = await createTfliteRunner(fs.readFileSync(src));
  const sess = await ortSession(onnxBytes);
  let maxDiff = 0, maxRef = 0, agree = 0, total = 0, topSame = 0;
  const photos = PHOTOS.slice(0, def.photos ?? PHOTOS.length);
  for (const p of photos) {
    const x = photoInput(p, def.input);
    const r = ref.run([x]);
    const o = await sess.run({ [def.input.name]: new ort.Tensor('float32', x, def.input.shape) });
    const outs = sess.outputNames.map((n) => o[n].data);
    outs.forEach((a, i) => { maxDiff = Math.max(maxDiff, maxAbsDiff(a, r[i])); maxRef = Math.max(maxRef, maxAbs(r[i])); });
    const a = outs[1], b = r[1];
    for (let i = 0; i < a.length; i++) { total++; if ((sigmoid(a[i]) > 0.5) === (sigmoid(b[i]) > 0.5)) agree++; }
    if (argmax(a) === argmax(b)) topSame++;
  }
  ref.dispose();
  return {
    reference: '@tensorflow/tfjs-tflite 0.0.1-alpha.10 WASM (TFLite+XNNPACK) in Node, output tensors',
    photos: photos.map((p) => path.basename(p)),
    maxAbsDiff: round(maxDiff), maxAbsReference: round(maxRef), relMaxAbsDiff: round(maxDiff / maxRef),
    anchorDecisionAgreement: round(agree / total, 6), topAnchorAgreement: round(topSame / photos.length),
  };
}

async function verifySelfie(def, src, onnxBytes) {
  // The reference build lacks MediaPipe's Convolution2DTransposeBias, so it runs the model up to that op;
  // the last two ops (transposed conv + bias, sigmoid) are then applied by a plain-JS reference kernel.
  const bytes = fs.readFileSync(src);
  const m = readTflite(bytes);
  const k = m.operators.findIndex((o) => o.custom === 'Convolution2DTransposeBias');
  const custom = m.operators[k];
  const tail = m.operators.slice(k + 1);
  if (tail.length !== 1 || tail[0].op !== 'LOGISTIC') throw new Error('Unexpected selfie segmentation tail');
  const truncated = truncateTflite(bytes, k, [custom.inputs[0]]);
  const ref = await createTfliteRunner(truncated);
  const sessTrunc = await ortSession(convertTflite(truncated).bytes);
  const sess = await ortSession(onnxBytes);
  const deq = (i) => {
    const prod = m.operators.find((o) => o.outputs[0] === i);
    const t = prod && prod.op === 'DEQUANTIZE' ? m.tensors[prod.inputs[0]] : m.tensors[i];
    return Float32Array.from(decodeTensor(t).data);
  };
  const xT = m.tensors[custom.inputs[0]], wT = m.tensors[custom.inputs[1]], outT = m.tensors[custom.outputs[0]];
  const co = custom.customOptions;
  const dv = new DataView(co.buffer, co.byteOffset, co.byteLength);
  const stride = [dv.getInt32(8, true), dv.getInt32(4, true)];
  const w = deq(custom.inputs[1]), b = deq(custom.inputs[2]);
  let maxTrunc = 0, maxTruncRef = 0, maxMask = 0, iouSum = 0, iouMin = 1;
  const photos = PHOTOS.slice(0, def.photos ?? PHOTOS.length);
  for (const p of photos) {
    const x = photoInput(p, def.input);
    const feed = { [def.input.name]: new ort.Tensor('float32', x, def.input.shape) };
    const r = ref.run([x])[0];
    const ot = (await sessTrunc.run(feed));
    const a = ot[sessTrunc.outputNames[0]].data;
    maxTrunc = Math.max(maxTrunc, maxAbsDiff(a, r));
    maxTruncRef = Math.max(maxTruncRef, maxAbs(r));
    const logits = transposeConvNHWC(r, xT.shape, w, wT.shape, b, stride, [outT.shape[1], outT.shape[2]]);
    const refMask = logits.map(sigmoid);
    const mask = (await sess.run(feed))[sess.outputNames[0]].data;
    maxMask = Math.max(maxMask, maxAbsDiff(mask, refMask));
    const iou = maskIoU(mask, refMask, 0.5);
    iouSum += iou;
    iouMin = Math.min(iouMin, iou);
  }
  ref.dispose();
  return {
    reference: '@tensorflow/tfjs-tflite 0.0.1-alpha.10 WASM (TFLite+XNNPACK) in Node up to the Convolution2DTransposeBias input, then a plain-JS transposed conv + sigmoid',
    photos: photos.map((p) => path.basename(p)),
    maxAbsDiff: round(maxMask),
    maxAbsDiffBeforeCustomOp: round(maxTrunc), maxAbsReferenceBeforeCustomOp: round(maxTruncRef),
    maskIoU05Mean: round(iouSum / photos.length, 6), maskIoU05Min: round(iouMin, 6),
  };
}

async function verifyTfjs(def, src, onnxBytes) {
  const ref = await createTfjsRunner(src);
  const sess = await ortSession(onnxBytes);
  let maxDiff = 0, maxRef = 0, top1 = 0, psnrMin = Infinity;
  const photos = PHOTOS.slice(0, def.photos ?? PHOTOS.length);
  for (const p of photos) {
    const x = photoInput(p, def.input, def.grayWeights);
    const r = ref.run(x, def.input.shape)[0];
    const a = (await sess.run({ [def.input.name]: new ort.Tensor('float32', x, def.input.shape) }))[sess.outputNames[0]].data;
    maxDiff = Math.max(maxDiff, maxAbsDiff(a, r));
    maxRef = Math.max(maxRef, maxAbs(r));
    if (def.task === 'classify') { if (argmax(a) === argmax(r)) top1++; } else psnrMin = Math.min(psnrMin, psnr(a, r, 255));
  }
  ref.dispose();
  const v = {
    reference: `@tensorflow/tfjs ${pkgInfo('@tensorflow/tfjs').version} CPU backend in Node`,
    photos: photos.map((p) => path.basename(p)),
    maxAbsDiff: round(maxDiff), maxAbsReference: round(maxRef), relMaxAbsDiff: round(maxDiff / maxRef),
  };
  if (def.task === 'classify') v.top1Agreement = round(top1 / photos.length);
  else v.psnrMinDb = round(psnrMin, 4);
  return v;
}

// ---------------- catalog ----------------

/** JSON with object keys sorted at every level, 2-space indent, trailing newline. */
export function stableStringify(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return `${JSON.stringify(sort(value), null, 2)}\n`;
}

export function mergeCatalog(existing, entries) {
  const cat = existing && typeof existing === 'object' ? { ...existing } : {};
  cat.version = cat.version ?? 1;
  cat.models = { ...(cat.models ?? {}) };
  for (const [name, entry] of Object.entries(entries)) {
    const prev = cat.models[name];
    // Keep variants other tools added (int8, fp16); replace what this builder owns.
    // rejectedVariants (variants that missed their bar, written by build-variants) stay with the entry too.
    cat.models[name] = { ...entry, ...(prev?.rejectedVariants ? { rejectedVariants: prev.rejectedVariants } : {}), variants: { ...(prev?.variants ?? {}), ...entry.variants } };
  }
  return cat;
}

async function main(argv) {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
  const verify = !argv.includes('--no-verify');
  const outDir = path.resolve(ROOT, argv.includes('--out') ? argv[argv.indexOf('--out') + 1] : 'models');
  fs.mkdirSync(outDir, { recursive: true });
  const catalogPath = path.join(outDir, 'catalog.json');
  const existing = fs.existsSync(catalogPath) ? JSON.parse(fs.readFileSync(catalogPath, 'utf8')) : null;
  const entries = {};
  for (const def of MODELS) {
    if (only && !only.includes(def.name)) continue;
    const pk = pkgInfo(def.source.package);
    const src = path.join(pk.dir, def.source.file);
    const t0 = Date.now();
    const r = def.convert(src);
    const file = `${def.name}.fp32.onnx`;
    fs.writeFileSync(path.join(outDir, file), r.bytes);
    const sha256 = crypto.createHash('sha256').update(r.bytes).digest('hex');
    process.stdout.write(`${def.name}: ${r.bytes.length} bytes sha256 ${sha256.slice(0, 16)}… (${Date.now() - t0} ms)\n`);
    const prev = existing?.models?.[def.name]?.variants?.fp32;
    let verifyResult = prev && prev.sha256 === sha256 ? prev.verify : undefined;
    if (verify) {
      const t1 = Date.now();
      verifyResult = await def.verify(def, src, r.bytes);
      process.stdout.write(`  verify (${Date.now() - t1} ms): ${JSON.stringify(verifyResult)}\n`);
    }
    const srcMeta = { ...def.source, version: pk.version, license: pk.license };
    let mediapipe;
    if (def.mediapipe) {
      // The TFLite source itself, with metadata, for the MediaPipe Tasks backend.
      const mp = mediapipeModel(def, new Uint8Array(fs.readFileSync(src)));
      const mpFile = `${def.name}.tflite`;
      fs.writeFileSync(path.join(outDir, mpFile), mp);
      mediapipe = { file: mpFile, sha256: crypto.createHash('sha256').update(mp).digest('hex'), bytes: mp.length };
      process.stdout.write(`  ${mpFile}: ${mp.length} bytes sha256 ${mediapipe.sha256.slice(0, 16)}…\n`);
    }
    entries[def.name] = {
      task: def.task,
      source: srcMeta,
      input: def.input,
      outputs: def.outputs(r.outputs),
      labels: def.labels,
      ...(def.notes ? { notes: def.notes } : {}),
      ...(mediapipe ? { mediapipe } : {}),
      variants: { fp32: { file, sha256, bytes: r.bytes.length, ...(verifyResult ? { verify: verifyResult } : {}) } },
    };
  }
  fs.writeFileSync(catalogPath, stableStringify(mergeCatalog(existing, entries)));
  process.stdout.write(`wrote ${path.relative(ROOT, catalogPath)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => { console.error(e); process.exitCode = 1; });
}
