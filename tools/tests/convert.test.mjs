// Converter tests: op lowering checked against hand-computed values and naive JS kernels, the unknown-op
// error, NHWC handling, and the real MediaPipe selfie segmentation model on a real photo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { Emitter } from '../lib/emitter.mjs';
import * as ops from '../lib/ops.mjs';
import { convertTflite, halfToFloat, dequantize } from '../lib/convert-tflite.mjs';
import { readTflite } from '../lib/tflite.mjs';
import { fbRoot } from '../lib/flatbuf.mjs';
import { createTfliteRunner, truncateTflite } from '../lib/reference-tflite.mjs';
import { transposeConvNHWC, maxAbsDiff } from '../lib/reference-ops.mjs';
import { loadImage, resizeRGBA, toNHWC, SKIMAGE } from '../lib/images.mjs';
import { mergeCatalog, stableStringify } from '../build-models.mjs';

const { onnx } = pkg;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SELFIE = path.join(ROOT, 'node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite');
const FACE = path.join(ROOT, 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite');

/** Builds a one-input graph with `build(e)` and runs it on x (NHWC). */
async function runGraph(shape, x, build) {
  const e = new Emitter('t');
  e.addInput('x', 'x', shape);
  const outKey = build(e);
  e.addOutput(outKey, 'y');
  const s = await ort.InferenceSession.create(e.toBytes());
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.from(x), shape) });
  return { data: r.y.data, dims: r.y.dims, model: onnx.ModelProto.decode(e.toBytes()) };
}

/** Naive NHWC conv, weights OHWI, TensorFlow SAME/VALID padding. */
function naiveConv(x, [N, H, W, C], w, [O, KH, KW], bias, s, padding) {
  const OH = padding === 'SAME' ? Math.ceil(H / s) : Math.ceil((H - KH + 1) / s);
  const OW = padding === 'SAME' ? Math.ceil(W / s) : Math.ceil((W - KW + 1) / s);
  const ph = padding === 'SAME' ? Math.floor(Math.max((OH - 1) * s + KH - H, 0) / 2) : 0;
  const pw = padding === 'SAME' ? Math.floor(Math.max((OW - 1) * s + KW - W, 0) / 2) : 0;
  const out = new Float32Array(N * OH * OW * O);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let o = 0; o < O; o++) {
    let acc = bias ? bias[o] : 0;
    for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
      const iy = oy * s - ph + ky, ix = ox * s - pw + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      for (let c = 0; c < C; c++) acc += x[(iy * W + ix) * C + c] * w[((o * KH + ky) * KW + kx) * C + c];
    }
    out[(oy * OW + ox) * O + o] = acc;
  }
  return { out, shape: [N, OH, OW, O] };
}

const seq = (n, f = (i) => Math.sin(i * 1.7) * 2) => Float32Array.from({ length: n }, (_, i) => f(i));

test('CONV_2D lowering (SAME, stride 2, odd input) matches a naive NHWC convolution, output stays NHWC', async () => {
  const shape = [1, 7, 5, 3];
  const x = seq(105);
  const wOHWI = seq(4 * 3 * 3 * 3, (i) => Math.cos(i * 0.37));
  const bias = Float32Array.from([0.5, -1, 2, 0]);
  const { transposeData } = await import('../lib/emitter.mjs');
  const wt = transposeData(wOHWI, [4, 3, 3, 3], [0, 3, 1, 2]);
  const r = await runGraph(shape, x, (e) => {
    ops.conv2d(e, { x: 'x', out: 'c', weight: wt.data, weightShape: wt.shape, bias, strides: [2, 2], padding: 'SAME' });
    return 'c';
  });
  const ref = naiveConv(x, shape, wOHWI, [4, 3, 3], bias, 2, 'SAME');
  assert.deepEqual(r.dims, ref.shape);
  assert.ok(maxAbsDiff(r.data, ref.out) < 1e-5, `diff ${maxAbsDiff(r.data, ref.out)}`);
});

test('transposed conv (SAME, stride 2) matches the plain-JS TFLite reference kernel', async () => {
  const shape = [1, 3, 4, 2];
  const x = seq(24);
  const w = seq(3 * 3 * 3 * 2, (i) => ((i * 7) % 11) / 5 - 1); // OHWI [3,3,3,2]
  const bias = Float32Array.from([0.1, 0.2, -0.3]);
  const { transposeData } = await import('../lib/emitter.mjs');
  const wt = transposeData(w, [3, 3, 3, 2], [3, 0, 1, 2]);
  const r = await runGraph(shape, x, (e) => {
    ops.convTranspose2d(e, { x: 'x', out: 'c', weight: wt.data, weightShape: wt.shape, bias, strides: [2, 2], outputHW: [6, 8] });
    return 'c';
  });
  const ref = transposeConvNHWC(x, shape, w, [3, 3, 3], bias, [2, 2], [6, 8]);
  assert.deepEqual(r.dims, [1, 6, 8, 3]);
  assert.ok(maxAbsDiff(r.data, ref) < 1e-5);
});

test('transposed conv kernel itself: hand-computed 1×1 input, 2×2 kernel, stride 2', () => {
  // One pixel of value 2 spreads into the 2×2 output weighted by the kernel, plus bias 1.
  const out = transposeConvNHWC([2], [1, 1, 1, 1], [1, 2, 3, 4], [1, 2, 2], [1], [2, 2], [2, 2]);
  assert.deepEqual(Array.from(out), [3, 5, 7, 9]);
});

test('RESIZE_BILINEAR honours align_corners and half_pixel_centers (hand-computed)', async () => {
  const x = [0, 3, 6, 9]; // 2×2 image, one channel: [[0,3],[6,9]]
  const run = (o) => runGraph([1, 2, 2, 1], x, (e) => { ops.resize(e, { x: 'x', out: 'r', size: [1, 3], method: 'bilinear', ...o }); return 'r'; });
  // align_corners: y maps 0→0, x maps 0,1,2 → 0, 0.5, 1 → [0, 1.5, 3]
  assert.deepEqual(Array.from((await run({ alignCorners: true })).data), [0, 1.5, 3]);
  // asymmetric (TF default): y = 0, x = 0, 2/3, 4/3 (clamped to 1) → [0, 2, 3]
  const asym = Array.from((await run({})).data);
  assert.ok(maxAbsDiff(asym, [0, 2, 3]) < 1e-6, JSON.stringify(asym));
  // half-pixel: y = (0.5)*2 - 0.5 = 0.5 → row mix 0.5; x = (i+0.5)*2/3 - 0.5 = -1/6, 0.5, 7/6 → clamp
  const hp = Array.from((await run({ halfPixelCenters: true })).data);
  assert.ok(maxAbsDiff(hp, [3, 4.5, 6]) < 1e-6, JSON.stringify(hp));
});

test('AVERAGE_POOL_2D with SAME padding divides by the real element count (TensorFlow semantics)', async () => {
  const r = await runGraph([1, 2, 2, 1], [1, 2, 3, 4], (e) => { ops.pool2d(e, { x: 'x', out: 'p', type: 'avg', filter: [3, 3], strides: [1, 1], padding: 'SAME' }); return 'p'; });
  assert.deepEqual(Array.from(r.data), [2.5, 2.5, 2.5, 2.5]);
});

test('CONCATENATION on the channel axis and MEAN over H,W keep NHWC semantics', async () => {
  const x = seq(2 * 3 * 2);
  const r = await runGraph([1, 2, 3, 2], x, (e) => {
    ops.conv2d(e, { x: 'x', out: 'c', weight: Float32Array.from([1, 0, 0, 1]), weightShape: [2, 2, 1, 1], strides: [1, 1], padding: 'VALID' }); // identity 1×1 conv → NCHW inside
    ops.concat(e, { inputs: ['c', 'x'], out: 'cat', axis: 3 });
    ops.reduce(e, { x: 'cat', out: 'm', op: 'ReduceMean', axes: [1, 2], keepDims: false });
    return 'm';
  });
  const mean = (c) => { let s = 0; for (let i = 0; i < 6; i++) s += x[i * 2 + c]; return s / 6; };
  assert.deepEqual(r.dims, [1, 4]);
  assert.ok(maxAbsDiff(r.data, [mean(0), mean(1), mean(0), mean(1)]) < 1e-6);
});

test('fp16 and per-axis quantized weights decode to the right floats', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  const d = dequantize(Int32Array.from([10, 12, 0, 4]), [2, 2], { scale: [0.5, 2], zeroPoint: [10, 2], axis: 0 });
  assert.deepEqual(Array.from(d), [0, 1, -4, 4]); // (10-10)·.5, (12-10)·.5, (0-2)·2, (4-2)·2
});

test('an unsupported op fails with the op name, node index and output tensor name', () => {
  // Rewrite face detection's PAD opcode (builtin code, both fields) to SPACE_TO_DEPTH in place.
  const bytes = new Uint8Array(fs.readFileSync(FACE));
  const model = fbRoot(bytes);
  const dv = new DataView(bytes.buffer);
  for (const oc of model.tables(1)) {
    if (oc.i32(3) === 34 || oc.i8(0) === 34) {
      if (oc.off(3)) dv.setInt32(oc.off(3), 26, true);
      if (oc.off(0)) dv.setInt8(oc.off(0), 26);
    }
  }
  const m = readTflite(bytes);
  const first = m.operators.find((o) => o.op === 'SPACE_TO_DEPTH');
  assert.ok(first, 'patch applied');
  assert.throws(() => convertTflite(bytes), (err) => {
    assert.match(err.message, /Unsupported TFLite op SPACE_TO_DEPTH/);
    assert.match(err.message, new RegExp(`operator #${first.index}\\b`));
    assert.ok(err.message.includes(`"${m.tensors[first.outputs[0]].name}"`), err.message);
    return true;
  });
});

test('real selfie segmentation: NHWC I/O, two Transposes only, mask matches TFLite and finds the astronaut', async () => {
  const src = fs.readFileSync(SELFIE);
  const conv = convertTflite(src);
  const model = onnx.ModelProto.decode(conv.bytes);
  assert.equal(Number(model.irVersion), 8);
  assert.equal(Number(model.opsetImport[0].version), 17);
  assert.deepEqual(conv.inputs[0].shape, [1, 256, 256, 3]);
  assert.deepEqual(conv.outputs[0].shape, [1, 256, 256, 1]);
  assert.equal(model.graph.node.filter((n) => n.opType === 'Transpose').length, 2, 'one Transpose in, one out');

  const x = toNHWC(resizeRGBA(loadImage(path.join(SKIMAGE, 'astronaut.png')), 256, 256), 256, 256, {});
  const sess = await ort.InferenceSession.create(conv.bytes);
  const mask = (await sess.run({ input_1: new ort.Tensor('float32', x, [1, 256, 256, 3]) }))[conv.outputs[0].name].data;
  const regionMean = (x0, x1, y0, y1) => { let s = 0; for (let y = y0; y < y1; y++) for (let xx = x0; xx < x1; xx++) s += mask[y * 256 + xx]; return s / ((x1 - x0) * (y1 - y0)); };
  assert.ok(regionMean(64, 128, 128, 256) > 0.9, 'astronaut torso is foreground');
  assert.ok(regionMean(192, 256, 0, 96) < 0.05, 'top-right background is background');

  // Tensor-level check against the TFLite reference up to the custom op, then the JS custom-op kernel.
  const m = readTflite(src);
  const k = m.operators.findIndex((o) => o.custom === 'Convolution2DTransposeBias');
  const cut = truncateTflite(src, k, [m.operators[k].inputs[0]]);
  const ref = await createTfliteRunner(cut);
  const refFeat = ref.run([x])[0];
  ref.dispose();
  const cutConv = convertTflite(cut);
  const s2 = await ort.InferenceSession.create(cutConv.bytes);
  const feat = (await s2.run({ input_1: new ort.Tensor('float32', x, [1, 256, 256, 3]) }))[cutConv.outputs[0].name].data;
  assert.ok(maxAbsDiff(feat, refFeat) < 1e-3, `features differ by ${maxAbsDiff(feat, refFeat)}`);
});

test('catalog merge keeps unknown entries and other variants; output has sorted keys', () => {
  const existing = { version: 1, models: { 'fashion-cnn': { task: 'classify', variants: {} }, esrgan: { task: 'generate', variants: { int8: { file: 'e.int8.onnx' }, fp32: { file: 'old' } } } } };
  const merged = mergeCatalog(existing, { esrgan: { task: 'generate', variants: { fp32: { file: 'esrgan.fp32.onnx' } } } });
  assert.ok(merged.models['fashion-cnn']);
  assert.equal(merged.models.esrgan.variants.int8.file, 'e.int8.onnx');
  assert.equal(merged.models.esrgan.variants.fp32.file, 'esrgan.fp32.onnx');
  const text = stableStringify({ b: 1, a: { d: 1, c: 2 } });
  assert.equal(text, '{\n  "a": {\n    "c": 2,\n    "d": 1\n  },\n  "b": 1\n}\n');
});

// A model the converter was never built or tuned on: BlazeFace full range (192×192, a different backbone,
// 2304 anchors). Converted here and compared with TFLite itself (tfjs-tflite's WASM) on real photos.
test('an unseen tflite model (BlazeFace full range) converts and matches TFLite on real photos', async () => {
  const { createTfliteRunner } = await import('../lib/reference-tflite.mjs');
  const { loadImage, resizeRGBA, toNHWC } = await import('../lib/images.mjs');
  const bytes = fs.readFileSync(new URL('../../node_modules/@mediapipe/face_detection/face_detection_full_range.tflite', import.meta.url));
  const onnxBytes = convertTflite(bytes).bytes;
  const session = await ort.InferenceSession.create(onnxBytes);
  const ref = await createTfliteRunner(bytes);
  const [h, w] = [192, 192];
  let maxDiff = 0, maxRef = 0;
  for (const photo of ['/usr/share/darknet/data/person.jpg', '/usr/lib/python3/dist-packages/skimage/data/astronaut.png']) {
    const x = toNHWC(resizeRGBA(loadImage(photo), w, h), w, h, { mean: [0.5], std: [0.5] });
    const expected = ref.run([x]);
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, h, w, 3]) });
    session.outputNames.forEach((name, i) => {
      const a = out[name].data, b = expected[i];
      assert.equal(a.length, b.length, `${name} size`);
      for (let k = 0; k < a.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(a[k] - b[k]));
        maxRef = Math.max(maxRef, Math.abs(b[k]));
      }
    });
  }
  ref.dispose();
  assert.ok(maxRef > 1, 'the reference produced real outputs');
  assert.ok(maxDiff / maxRef < 1e-5, `relative max diff ${maxDiff / maxRef}`);
});
