// Ops for common mobile vision models (issue 14): each checked against its source runtime's reference.
// TF.js: Equal, Cast, TopKV2, FloorDiv/FloorMod, GatherV2, StridedSlice, ExpandDims on Human's CenterNet and on a
// tiny graph with negative numbers; fused Prelu on Human's facemesh. TFLite: ARG_MAX and free input dimensions on a
// tiny generated model (no package we depend on ships a DeepLab-style segmenter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { convertTfjs } from '../lib/convert-tfjs.mjs';
import { convertTflite } from '../lib/convert-tflite.mjs';
import { convertFile } from '../lib/convert.mjs';
import { createTfjsRunner } from '../lib/reference-tfjs.mjs';
import { createTfliteRunner } from '../lib/reference-tflite.mjs';
import { loadImage, resizeRGBA, toNHWC, DARKNET, SKIMAGE } from '../lib/images.mjs';
import { maxAbsDiff, maxAbs } from '../lib/reference-ops.mjs';
import { detectionRows, nms, compareDetections } from '../lib/detections.mjs';
import { COCO80 } from '../lib/labels.mjs';
import { argmaxSegmenter, argmaxSegmenterReference } from './tiny-tflite.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HUMAN = path.join(ROOT, 'node_modules/@vladmandic/human/models');

async function runOnnx(bytes, feeds) {
  const s = await ort.InferenceSession.create(bytes);
  const f = {};
  for (const [k, { data, dims }] of Object.entries(feeds)) f[k] = new ort.Tensor(data instanceof Float32Array ? 'float32' : 'int32', data, dims);
  const o = await s.run(f);
  return s.outputNames.map((n) => o[n]);
}

const photo = (file, size, scale) => toNHWC(resizeRGBA(loadImage(file), size, size), size, size, { color: 'rgb', mean: [0, 0, 0], std: [scale, scale, scale] });

test('TF.js Equal, Cast, TopKV2, FloorDiv, FloorMod, GatherV2, StridedSlice, ExpandDims: CenterNet detections match TF.js on dog.jpg', async () => {
  const src = path.join(HUMAN, 'centernet.json');
  const r = convertTfjs(src, { outputs: ['tower_0/detections'] });
  assert.deepEqual(r.outputs.map((o) => [o.name, o.shape]), [['tower_0/detections', [1, 100, 6]]]);
  for (const op of ['Equal', 'Cast', 'TopKV2', 'FloorDiv', 'FloorMod', 'GatherV2', 'StridedSlice', 'ExpandDims']) assert.ok(r.opCounts[op] > 0, `the model uses ${op}`);
  const x = photo(`${DARKNET}/dog.jpg`, 512, 1 / 255);
  const [got] = await runOnnx(r.bytes, { 'tower_0/images': { data: x, dims: [1, 512, 512, 3] } });
  const ref = await createTfjsRunner(src);
  const want = ref.run(x, [1, 512, 512, 3]).find((t) => t.length === 600);
  ref.dispose();
  // Rows hold pixel coordinates (0…512), scores and class indices: the same rows, in the same order.
  assert.ok(maxAbsDiff(got.data, want) < 0.01, `max difference ${maxAbsDiff(got.data, want)}`);
  const cmp = compareDetections([{ ref: want, cand: got.data }], { threshold: 0.3 });
  assert.equal(cmp.detectionAgreement, 1);
  const labels = new Set(nms(detectionRows(got.data, 0.3)).map((d) => COCO80[d.cls]));
  for (const l of ['dog', 'bicycle']) assert.ok(labels.has(l), `${l} in ${[...labels]}`);
  assert.ok(labels.has('car') || labels.has('truck'), `car or truck in ${[...labels]}`);
});

/** Writes a TF.js graph model (model.json + one float32/int32 shard) into a temp folder; returns its model.json. */
function tinyGraph(nodes, consts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-tfjs-'));
  const weights = [], bufs = [], constNodes = [];
  for (const [name, { data, shape, dtype }] of Object.entries(consts)) {
    weights.push({ name, shape, dtype });
    bufs.push(Buffer.from((dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data)).buffer));
    constNodes.push({ name, op: 'Const', attr: { dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } });
  }
  nodes.unshift(...constNodes);
  fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.concat(bufs));
  const json = { format: 'graph-model', modelTopology: { node: nodes, versions: { producer: 1 } }, weightsManifest: [{ paths: ['w.bin'], weights }] };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
  return path.join(dir, 'model.json');
}
const T = (type) => ({ type });
const placeholder = (name, dims) => ({ name, op: 'Placeholder', attr: { dtype: T('DT_FLOAT'), shape: { shape: { dim: dims.map((d) => ({ size: String(d) })) } } } });

test('TF.js FloorDiv/FloorMod round toward −∞ (negative floats and ints), Cast truncates, Equal/NotEqual give 0/1', async () => {
  const nodes = [
    placeholder('x', [1, 2, 3, 4]),
    { name: 'fdiv', op: 'FloorDiv', input: ['x', 'three'], attr: { T: T('DT_FLOAT') } },
    { name: 'fmod', op: 'FloorMod', input: ['x', 'three'], attr: { T: T('DT_FLOAT') } },
    { name: 'xi', op: 'Cast', input: ['x'], attr: { SrcT: T('DT_FLOAT'), DstT: T('DT_INT32') } },
    { name: 'idiv', op: 'FloorDiv', input: ['xi', 'ithree'], attr: { T: T('DT_INT32') } },
    { name: 'imod', op: 'FloorMod', input: ['xi', 'ithree'], attr: { T: T('DT_INT32') } },
    { name: 'isum', op: 'Add', input: ['idiv', 'imod'], attr: { T: T('DT_INT32') } },
    { name: 'isumf', op: 'Cast', input: ['isum'], attr: { SrcT: T('DT_INT32'), DstT: T('DT_FLOAT') } },
    { name: 'eq', op: 'Equal', input: ['fmod', 'zero'], attr: { T: T('DT_FLOAT') } },
    { name: 'eqf', op: 'Cast', input: ['eq'], attr: { SrcT: T('DT_BOOL'), DstT: T('DT_FLOAT') } },
    { name: 'ne', op: 'NotEqual', input: ['fmod', 'zero'], attr: { T: T('DT_FLOAT') } },
    { name: 'nef', op: 'Cast', input: ['ne'], attr: { SrcT: T('DT_BOOL'), DstT: T('DT_FLOAT') } },
    { name: 'sl', op: 'StridedSlice', input: ['fdiv', 'b', 'e', 's'], attr: { begin_mask: { i: '1' }, end_mask: { i: '9' }, shrink_axis_mask: { i: '2' }, ellipsis_mask: { i: '0' }, new_axis_mask: { i: '0' } } },
    { name: 'ex', op: 'ExpandDims', input: ['sl', 'dim'], attr: {} },
  ];
  const file = tinyGraph(nodes, {
    three: { data: [3], shape: [], dtype: 'float32' }, ithree: { data: [3], shape: [], dtype: 'int32' }, zero: { data: [0], shape: [], dtype: 'float32' },
    b: { data: [0, 1, 1, 0], shape: [4], dtype: 'int32' }, e: { data: [0, 2, 3, 0], shape: [4], dtype: 'int32' }, s: { data: [1, 1, 1, 1], shape: [4], dtype: 'int32' },
    dim: { data: [-1], shape: [], dtype: 'int32' },
  });
  const outs = ['fdiv', 'fmod', 'isumf', 'eqf', 'nef', 'ex'];
  const x = Float32Array.from({ length: 24 }, (_, i) => (i - 11) * 0.75 - (i % 5 === 0 ? 0.25 : 0));
  const got = await runOnnx(convertTfjs(file, { outputs: outs }).bytes, { x: { data: x, dims: [1, 2, 3, 4] } });
  const ref = await createTfjsRunner(file);
  // The reference: TF.js executes the same named outputs.
  const tf = await import('@tensorflow/tfjs');
  const model = await tf.loadGraphModel((await import('../lib/reference-tfjs.mjs')).fileHandler(file));
  const want = model.execute(tf.tensor(x, [1, 2, 3, 4]), outs).map((t) => t.dataSync());
  ref.dispose();
  got.forEach((g, i) => assert.deepEqual(Array.from(g.data, Number), Array.from(want[i], Number), outs[i]));
  assert.deepEqual(got[5].dims, [1, 2, 4, 1], 'shrink axis 2 dropped, new axis at the end');
  assert.ok(Array.from(got[0].data).some((v) => v < 0) && Array.from(got[3].data).some((v) => v === 1), 'the input covers negative quotients and exact multiples');
});

test('TF.js fused Prelu (_FusedConv2D with BiasAdd, Prelu): Human facemesh matches TF.js on a face', async () => {
  const src = path.join(HUMAN, 'facemesh.json');
  const r = convertTfjs(src);
  const x = photo(`${SKIMAGE}/astronaut.png`, 192, 1);
  const got = await runOnnx(r.bytes, { input_1: { data: x, dims: [1, 192, 192, 3] } });
  const ref = await createTfjsRunner(src);
  const want = ref.run(x, [1, 192, 192, 3]);
  ref.dispose();
  for (const g of got) {
    const w = want.find((t) => t.length === g.data.length);
    assert.ok(maxAbsDiff(g.data, w) <= 1e-5 * Math.max(1, maxAbs(w)) + 1e-4, `${g.dims}: ${maxAbsDiff(g.data, w)} of ${maxAbs(w)}`);
  }
});

test('TF.js free batch dimension takes the signature or 1; --input-shape fixes other free dimensions', () => {
  const nodes = [placeholder('x', [-1, -1, 4, 3]), { name: 'y', op: 'Relu', input: ['x'], attr: {} }];
  const file = tinyGraph(nodes, {});
  assert.throws(() => convertTfjs(file), /free dimensions \[-1,-1,4,3\].*--input-shape/);
  assert.deepEqual(convertTfjs(file, { inputShape: [1, 7, 4, 3] }).inputs[0].shape, [1, 7, 4, 3]);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  json.signature = { inputs: { x: { name: 'x:0', tensorShape: { dim: [{ size: '1' }, { size: '5' }, { size: '4' }, { size: '3' }] } } } };
  fs.writeFileSync(file, JSON.stringify(json));
  assert.deepEqual(convertTfjs(file).inputs[0].shape, [1, 5, 4, 3]);
});

test('TFLite ARG_MAX (int64 and int32 output) matches the TFLite interpreter on a photo', async () => {
  // tfjs-tflite cannot hand out int64 tensors, so both are checked against the interpreter's int32 model (same weights).
  const refModel = argmaxSegmenter({ height: 32, width: 32, classes: 5, outputType: 'int32' });
  for (const outputType of ['int64', 'int32']) {
    const m = argmaxSegmenter({ height: 32, width: 32, classes: 5, outputType });
    const r = convertTflite(m.bytes);
    assert.deepEqual(r.outputs[0], { name: 'class_map', shape: [1, 32, 32], dtype: outputType });
    const x = photo(`${DARKNET}/dog.jpg`, 32, 1);
    const [got] = await runOnnx(r.bytes, { image: { data: x, dims: [1, 32, 32, 3] } });
    const ref = await createTfliteRunner(refModel.bytes);
    const [want] = ref.run([x]);
    ref.dispose();
    assert.deepEqual(Array.from(got.data, Number), Array.from(want, Number), outputType);
    assert.ok(new Set(Array.from(want)).size >= 3, 'several classes win somewhere');
  }
});

test('TFLite free input dimensions: --input-shape resizes, the result matches the interpreter at that size', async () => {
  const small = argmaxSegmenter({ height: 6, width: 5, classes: 4, outputType: 'int32', freeHW: true });
  assert.deepEqual(convertTflite(small.bytes).inputs[0].shape, [1, 6, 5, 3], 'without --input-shape: the stored shape');
  const r = convertTflite(small.bytes, { inputShape: [1, 24, 20, 3] });
  assert.deepEqual([r.inputs[0].shape, r.outputs[0].shape], [[1, 24, 20, 3], [1, 24, 20]]);
  const x = photo(`${SKIMAGE}/astronaut.png`, 24, 1).subarray(0, 24 * 20 * 3);
  const [got] = await runOnnx(r.bytes, { image: { data: Float32Array.from(x), dims: [1, 24, 20, 3] } });
  // The same weights built at 24×20: the interpreter's answer at that size.
  const big = argmaxSegmenter({ height: 24, width: 20, classes: 4, outputType: 'int32' });
  const ref = await createTfliteRunner(big.bytes);
  const [want] = ref.run([x]);
  ref.dispose();
  assert.deepEqual(Array.from(got.data), Array.from(want));
  assert.deepEqual(Array.from(want), Array.from(argmaxSegmenterReference(x, [1, 24, 20], big.weights, big.bias)));
  assert.throws(() => convertTflite(small.bytes, { inputShape: [1, 24, 20, 4] }), /--input-shape 1,24,20,4 does not fit input "image"/);
});

test('an op the converter lacks is still refused by its exact name (TF.js and TFLite)', () => {
  const file = tinyGraph([placeholder('x', [1, 4]), { name: 'nms', op: 'NonMaxSuppressionV5', input: ['x'], attr: {} }], {});
  assert.throws(() => convertFile(file), /Unsupported TF\.js graph op NonMaxSuppressionV5 at node "nms"/);
  assert.throws(() => convertFile(file, { outputs: ['missing'] }), /Output "missing" is not a node of the graph/);
  const m = argmaxSegmenter();
  // Patch ARG_MAX's opcode (builtin code 56) to ARG_MIN (79): same options layout, an op the converter lacks.
  const bytes = new Uint8Array(m.bytes);
  let patched = 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) if (new DataView(bytes.buffer).getInt32(i, true) === 56) { new DataView(bytes.buffer).setInt32(i, 79, true); patched++; }
  assert.ok(patched >= 1);
  assert.throws(() => convertTflite(bytes), /Unsupported TFLite op ARG_MIN at operator #1/);
});
