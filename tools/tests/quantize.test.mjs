// Tests for `cv-models quantize` / `verify` on the small conv nets in tools/tests/fixtures/models
// (made by tools/tests/fixtures/make_models.py) and real photos shipped by Debian packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DT, attr, cloneModel, encodeModel, initializerMap, loadModel, realInputs, sha256, tensorData, tensorDims, valueElemType,
} from '../lib/onnx-io.mjs';
import { makeFeeds } from '../lib/inputs.mjs';
import { DEFAULT_PHOTOS } from '../lib/photos.mjs';
import { convertFp16, fromHalf, quantizeInt8, toHalf } from '../lib/quantize.mjs';
import { optimizedOps, verifyNode } from '../lib/verify.mjs';

const FIX = fileURLToPath(new URL('./fixtures/models/', import.meta.url));
const CLASSIFIER = join(FIX, 'tiny-classifier.onnx');
const SEGMENTER = join(FIX, 'tiny-segmenter.onnx');
const GENERATOR = join(FIX, 'tiny-generator.onnx');
const PHOTOS = DEFAULT_PHOTOS.filter((p) => existsSync(p));
// Calibrate on half the photos, verify on all of them (so most verification photos are unseen).
const CALIB = PHOTOS.filter((_, i) => i % 2 === 0);

const dir = mkdtempSync(join(tmpdir(), 'cv-quant-test-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function save(model, name) {
  const p = join(dir, name);
  writeFileSync(p, encodeModel(model));
  return p;
}

test('photos are available', () => {
  assert.ok(PHOTOS.length >= 6, `need Debian's darknet/skimage photos, found ${PHOTOS.length}`);
});

test('fp16 bit conversion matches IEEE 754 binary16', () => {
  // Bit patterns from the IEEE 754 half-precision definition.
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(1e6), 0x7bff); // saturates instead of inf
  assert.equal(toHalf(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(toHalf(0.1), 0x2e66);
  assert.equal(toHalf(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(toHalf(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  for (const v of [0.333, -7.25, 1234.5, 3e-5]) assert.ok(Math.abs(fromHalf(toHalf(v)) - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25);
});

test('int8 (--all-int8 --quantize-last): conv net gets per-channel int8 weights, ORT fuses QLinearConv, top-1 agrees with fp32 on photos', async () => {
  const fp32 = loadModel(CLASSIFIER);
  const { feeds } = makeFeeds(fp32, { photos: CALIB });
  const { model, report } = await quantizeInt8(fp32, feeds, { skipDepthwise: false, minDepth: 0, quantizeLast: true });
  const inits = initializerMap(model.graph);
  const dqOf = new Map(model.graph.node.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.output[0], n]));
  const convs = model.graph.node.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm');
  assert.equal(convs.length, 33);
  for (const n of convs) {
    const dq = dqOf.get(n.input[1]);
    assert.ok(dq, `${n.name}: weight not read through DequantizeLinear`);
    const w = inits.get(dq.input[0]);
    assert.equal(w.dataType, DT.INT8, `${n.name}: weight is not int8`);
    const scale = inits.get(dq.input[1]);
    const axis = attr(dq, 'axis', 1);
    assert.deepEqual(tensorDims(scale), [tensorDims(w)[axis]], `${n.name}: scale is not per output channel`);
    const q = tensorData(w);
    assert.ok(q.some((v) => v === 127 || v === -127), `${n.name}: symmetric range not used`);
    assert.ok(!q.some((v) => v === -128), 'symmetric int8 never uses -128');
  }
  assert.equal(model.graph.initializer.filter((t) => t.dataType === DT.FLOAT && tensorDims(t).length > 1).length, 0, 'no float weight tensors left');
  assert.ok(report.foldedActivations > 0);
  const path = save(model, 'cls.int8.onnx');
  const ops = await optimizedOps(path);
  assert.ok(ops.QLinearConv >= 30, `QLinearConv not fused: ${JSON.stringify(ops)}`);
  assert.ok(!ops.Conv && !ops.FusedConv, 'float Conv left after optimisation');
  const all = makeFeeds(fp32, { photos: PHOTOS }).feeds;
  const r = await verifyNode({ candidate: path, reference: CLASSIFIER, task: 'classify', feeds: all });
  assert.ok(r.top1Agreement >= 0.97, `top-1 agreement ${r.top1Agreement}`);
  assert.ok(r.maxAbsDiff < 0.02, `max abs diff of probabilities ${r.maxAbsDiff}`);
});

test('int8 default (WASM-tuned) keeps depthwise and the first RGB conv float, the rest int8', async () => {
  const fp32 = loadModel(CLASSIFIER);
  const { model, report } = await quantizeInt8(fp32, makeFeeds(fp32, { photos: CALIB.slice(0, 3) }).feeds);
  const inits = initializerMap(model.graph);
  const dqOf = new Map(model.graph.node.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.output[0], n]));
  let depthwise = 0; let int8 = 0;
  for (const n of model.graph.node.filter((x) => x.opType === 'Conv')) {
    const dq = dqOf.get(n.input[1]);
    const w = dq ? inits.get(dq.input[0]) : inits.get(n.input[1]);
    const dims = tensorDims(w);
    const floatExpected = attr(n, 'group', 1) > 1 || dims.slice(1).reduce((a, b) => a * b, 1) < 32;
    assert.equal(w.dataType, floatExpected ? DT.FLOAT : DT.INT8, n.name);
    if (attr(n, 'group', 1) > 1) depthwise++;
    if (!floatExpected) int8++;
  }
  assert.equal(depthwise, 10);
  assert.equal(int8, 14);
  assert.equal(report.floatWeightedNodes.length, 19, 'float: 18 shallow/depthwise convs + the last layer (Gemm)');
  const path = save(model, 'cls.default.int8.onnx');
  const ops = await optimizedOps(path);
  // ORT's WeightBiasQuantization also turns DQ→Conv(float W)→Q groups into QLinearConv, so a few of the
  // float depthwise convs sitting between int8 tensors come back quantised: at least our 14.
  assert.ok(ops.QLinearConv >= 14 && ops.QLinearConv < 32, JSON.stringify(ops));
  const r = await verifyNode({ candidate: path, reference: CLASSIFIER, task: 'classify', feeds: makeFeeds(fp32, { photos: PHOTOS }).feeds });
  assert.ok(r.top1Agreement >= 0.97, `top-1 agreement ${r.top1Agreement}`);
});

test('int8 segmenter: mask IoU ≥ 0.95 vs fp32 on photos in Node (7-bit weights: x86 AVX2 U8S8 saturates)', async () => {
  const fp32 = loadModel(SEGMENTER);
  const { feeds } = makeFeeds(fp32, { photos: CALIB });
  const { model } = await quantizeInt8(fp32, feeds, { reduceRange: true });
  const path = save(model, 'seg.int8.onnx');
  const ops = await optimizedOps(path);
  assert.ok(ops.QLinearConv >= 5, JSON.stringify(ops));
  const r = await verifyNode({ candidate: path, reference: SEGMENTER, task: 'segment', feeds: makeFeeds(fp32, { photos: PHOTOS }).feeds });
  assert.ok(r.maskIoU >= 0.95, `mask IoU ${r.maskIoU}`);
});

test('int8 generator (Gemm + ConvTranspose) calibrated on normal latents: PSNR ≥ 35 dB', async () => {
  const fp32 = loadModel(GENERATOR);
  const { feeds, source } = makeFeeds(fp32, { normal: 16, seed: 1 });
  assert.equal(source, 'normal:16');
  const { model } = await quantizeInt8(fp32, feeds);
  const int8 = model.graph.initializer.filter((t) => t.dataType === DT.INT8 && tensorDims(t).length > 1);
  assert.equal(int8.length, 2, 'Gemm and the first ConvTranspose in int8; the last layer (→ Tanh → output) stays float');
  const path = save(model, 'gen.int8.onnx');
  const test = makeFeeds(fp32, { normal: 16, seed: 99 }).feeds;
  const r = await verifyNode({ candidate: path, reference: GENERATOR, task: 'generate', feeds: test });
  assert.equal(r.peak, 2, 'tanh output range');
  assert.ok(r.psnr >= 35, `PSNR ${r.psnr}`);
});

test('quantize is deterministic: same model and photos give identical bytes', async () => {
  const fp32 = loadModel(SEGMENTER);
  const a = await quantizeInt8(fp32, makeFeeds(fp32, { photos: CALIB.slice(0, 3) }).feeds);
  const b = await quantizeInt8(loadModel(SEGMENTER), makeFeeds(loadModel(SEGMENTER), { photos: CALIB.slice(0, 3) }).feeds);
  assert.equal(sha256(encodeModel(a.model)), sha256(encodeModel(b.model)));
  const f1 = convertFp16(fp32).model;
  const f2 = convertFp16(loadModel(SEGMENTER)).model;
  assert.equal(sha256(encodeModel(f1)), sha256(encodeModel(f2)));
});

test('--keep-float: a kept conv keeps float weights, runs with no Q/DQ of its own, and takes its folded Relu with it', async () => {
  const fp32 = loadModel(SEGMENTER);
  const feeds = makeFeeds(fp32, { photos: CALIB.slice(0, 3) }).feeds;
  const full = await quantizeInt8(fp32, feeds);
  const convs = full.report.quantizedNodes.filter((s) => s.startsWith('Conv:')).map((s) => s.slice(5));
  // A conv whose sole consumer is a Relu (folded into the uint8 range when the conv is int8).
  const cm = new Map();
  for (const n of fp32.graph.node) for (const i of n.input) cm.set(i, [...(cm.get(i) ?? []), n]);
  const kept = convs.find((c) => {
    const n = fp32.graph.node.find((x) => x.name === c);
    const cs = cm.get(n.output[0]) ?? [];
    return cs.length === 1 && cs[0].opType === 'Relu';
  });
  assert.ok(kept, 'fixture has a conv followed by a Relu');
  const relu = cm.get(fp32.graph.node.find((x) => x.name === kept).output[0])[0];
  const { model, report } = await quantizeInt8(fp32, feeds, { exclude: [kept] });
  assert.ok(!report.quantizedNodes.includes(`Conv:${kept}`));
  assert.ok(report.floatWeightedNodes.includes(`Conv:${kept}`));
  const g = model.graph;
  const conv = g.node.find((n) => n.name === kept);
  const inits = initializerMap(g);
  assert.equal(inits.get(conv.input[1])?.dataType, DT.FLOAT, 'float weight read directly');
  const r = g.node.find((n) => n.name === relu.name);
  assert.ok(r && r.input[0] === conv.output[0], 'Relu not folded: it reads the float conv output');
  const producers = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n])));
  assert.notEqual(producers.get(r.input[0]).opType, 'DequantizeLinear');
  // Same list, same bytes.
  const again = await quantizeInt8(loadModel(SEGMENTER), feeds, { exclude: [kept] });
  assert.equal(sha256(encodeModel(again.model)), sha256(encodeModel(model)));
});

test('mixed-precision search: ranks nodes by sensitivity, meets its target on the selection inputs, same list twice', async () => {
  const { searchKeepFloat } = await import('../lib/mixed.mjs');
  const fp32 = loadModel(SEGMENTER);
  const calib = makeFeeds(fp32, { photos: CALIB.slice(0, 3) }).feeds;
  const select = makeFeeds(fp32, { photos: PHOTOS.filter((_, i) => i % 2 === 1).slice(0, 3) }).feeds;
  const opts = { skipDepthwise: false, minDepth: 0, quantizeLast: true };
  // An unreachable-by-int8 target makes the search keep nodes float; a loose one keeps none.
  const loose = await searchKeepFloat(fp32, calib, select, { task: 'segment', target: 0.5, opts });
  assert.deepEqual(loose.keepFloat, []);
  const strict = await searchKeepFloat(fp32, calib, select, { task: 'segment', target: 0.9995, opts });
  assert.ok(strict.sensitivity.length === strict.candidates && strict.candidates > 3);
  for (let i = 1; i < strict.sensitivity.length; i++) assert.ok(strict.sensitivity[i - 1].sqnr <= strict.sensitivity[i].sqnr, 'most sensitive first');
  assert.ok(strict.keepFloat.length > 0 && strict.keepFloat.every((n) => strict.sensitivity.some((x) => x.node === n)));
  assert.ok(strict.after > strict.before, `keeping ${strict.keepFloat.length} nodes float: ${strict.before} → ${strict.after}`);
  const again = await searchKeepFloat(loadModel(SEGMENTER), calib, select, { task: 'segment', target: 0.9995, opts });
  assert.deepEqual(again.keepFloat, strict.keepFloat);
});

test('fp16: float16 initializers, float32 graph IO, agrees with fp32', async () => {
  for (const [file, task] of [[CLASSIFIER, 'classify'], [SEGMENTER, 'segment']]) {
    const fp32 = loadModel(file);
    const { model, report } = convertFp16(fp32);
    const weights = model.graph.initializer.filter((t) => tensorDims(t).length > 1);
    assert.ok(weights.length > 0 && weights.every((t) => t.dataType === DT.FLOAT16), 'all weight tensors float16');
    assert.ok(report.fp16Initializers > 0);
    for (const vi of [...realInputs(model.graph), ...model.graph.output]) assert.equal(valueElemType(vi), DT.FLOAT, `${vi.name} not float32`);
    // Resize scales must stay float32.
    const inits = initializerMap(model.graph);
    for (const n of model.graph.node.filter((x) => x.opType === 'Resize')) assert.equal(inits.get(n.input[2])?.dataType, DT.FLOAT);
    const path = save(model, `fp16-${task}.onnx`);
    assert.ok(readFileSync(path).length < readFileSync(file).length * 0.6, 'about half the size');
    const r = await verifyNode({ candidate: path, reference: file, task, feeds: makeFeeds(fp32, { photos: PHOTOS }).feeds });
    if (task === 'classify') assert.equal(r.top1Agreement, 1);
    else assert.ok(r.maskIoU >= 0.99, `fp16 mask IoU ${r.maskIoU}`);
    assert.ok(r.maxAbsDiff < 5e-3, `fp16 max abs diff ${r.maxAbsDiff}`);
  }
});

test('verify flags a deliberately wrong model', async () => {
  // Wrong segmenter: the head conv's weights and bias negated → the mask is inverted.
  const seg = cloneModel(loadModel(SEGMENTER));
  const head = seg.graph.node.find((n) => n.opType === 'Conv' && n.name.includes('head'));
  for (const t of seg.graph.initializer.filter((x) => head.input.slice(1).includes(x.name))) {
    const d = tensorData(t);
    for (let i = 0; i < d.length; i++) d[i] = -d[i];
    t.rawData = new Uint8Array(d.buffer);
    t.floatData = [];
  }
  const wrongSeg = save(seg, 'wrong-seg.onnx');
  const feeds = makeFeeds(seg, { photos: PHOTOS }).feeds;
  const r = await verifyNode({ candidate: wrongSeg, reference: SEGMENTER, task: 'segment', feeds });
  assert.ok(r.maskIoU < 0.5, `inverted mask IoU ${r.maskIoU}`);
  assert.equal(r.pass, false);
  // Wrong classifier: the last layer's rows rotated by one class → top-1 shifts.
  const cls = cloneModel(loadModel(CLASSIFIER));
  const gemm = cls.graph.node.find((n) => n.opType === 'Gemm');
  const inits = initializerMap(cls.graph);
  const w = inits.get(gemm.input[1]);
  const [rows, cols] = tensorDims(w);
  const d = tensorData(w);
  const rot = new Float32Array(d.length);
  for (let r0 = 0; r0 < rows; r0++) rot.set(d.subarray(r0 * cols, (r0 + 1) * cols), ((r0 + 1) % rows) * cols);
  w.rawData = new Uint8Array(rot.buffer);
  const b = inits.get(gemm.input[2]);
  const bd = tensorData(b);
  b.rawData = new Uint8Array(Float32Array.from(bd, (_, i) => bd[(i + rows - 1) % rows]).buffer);
  const wrongCls = save(cls, 'wrong-cls.onnx');
  const rc = await verifyNode({ candidate: wrongCls, reference: CLASSIFIER, task: 'classify', feeds: makeFeeds(cls, { photos: PHOTOS }).feeds });
  assert.ok(rc.top1Agreement < 0.5, `rotated classifier agreement ${rc.top1Agreement}`);
  assert.equal(rc.pass, false);
});

test('quantize and verify commands print JSON reports', async () => {
  const { main: quantize } = await import('../commands/quantize.mjs');
  const { main: verify } = await import('../commands/verify.mjs');
  const out = join(dir, 'cmd.int8.onnx');
  const logs = [];
  const orig = console.log;
  const origErr = console.error;
  console.log = (s) => logs.push(String(s));
  console.error = () => {};
  try {
    assert.equal(await quantize([GENERATOR, '-o', out, '--int8', '--calibrate-normal', '8']), 0);
    assert.equal(await verify([out, '--reference', GENERATOR, '--task', 'generate', '--normal', '8', '--strict']), 0);
  } finally {
    console.log = orig;
    console.error = origErr;
  }
  const q = JSON.parse(logs[0]);
  assert.equal(q.sha256, sha256(readFileSync(out)));
  assert.equal(q.calibration, 'normal:8');
  const v = JSON.parse(logs[1]);
  assert.ok(v.psnr >= 35 && v.pass === true, JSON.stringify(v));
});

test('browser mode: int8 segmenter vs fp32 on onnxruntime-web WASM in Chromium, mask IoU ≥ 0.97', { skip: !existsSync(process.env.CHROME_PATH ?? '/usr/bin/chromium') && 'no Chromium' }, async () => {
  const { verifyBrowser } = await import('../lib/browser.mjs');
  const fp32 = loadModel(SEGMENTER);
  const { model } = await quantizeInt8(fp32, makeFeeds(fp32, { photos: CALIB }).feeds);
  const path = save(model, 'seg.wasm.int8.onnx');
  const feeds = makeFeeds(fp32, { photos: PHOTOS }).feeds;
  const r = await verifyBrowser({ candidate: path, reference: SEGMENTER, task: 'segment', feeds, backend: 'wasm', latencyRuns: 3 });
  assert.equal(r.crossOriginIsolated, true, 'COOP/COEP headers make the page isolated (wasm threads possible)');
  assert.ok(r.maskIoU >= 0.97, `WASM mask IoU ${r.maskIoU}`);
  assert.ok(r.latency.referenceMs > 0 && r.latency.candidateMs > 0);
});

test('calibration from a raw Float32 file and input specs from a catalog entry', async () => {
  const fp32 = loadModel(GENERATOR);
  const { normalSamples } = await import('../lib/photos.mjs');
  const raw = join(dir, 'z.bin');
  writeFileSync(raw, Buffer.from(normalSamples(8 * 16, 7).buffer));
  const { feeds, source } = makeFeeds(fp32, { rawFile: raw, rawShape: [8, 16] });
  assert.equal(source, `raw:${raw}`);
  assert.equal(feeds.length, 8);
  assert.deepEqual(feeds[3].z.dims, [1, 16]);
  const { model } = await quantizeInt8(fp32, feeds);
  assert.ok(model.graph.initializer.some((t) => t.dataType === DT.INT8));
  const { parseInputSpec } = await import('../lib/inputs.mjs');
  const catalog = join(dir, 'catalog.json');
  const input = { name: 'image', shape: [1, 3, 96, 96], layout: 'NCHW', color: 'rgb', mean: [0.5], std: [0.25] };
  writeFileSync(catalog, JSON.stringify({ models: { tiny: { task: 'classify', input } } }));
  assert.deepEqual(parseInputSpec(`${catalog}#tiny`), input);
  // The spec's normalisation reaches the tensor: v/255 → ((v/255) - 0.5) / 0.25 ∈ [-2, 2].
  const t = makeFeeds(loadModel(CLASSIFIER), { spec: input, photos: PHOTOS.slice(0, 1) }).feeds[0].image;
  assert.deepEqual(t.dims, [1, 3, 96, 96]);
  const lo = t.data.reduce((a, b) => Math.min(a, b)); const hi = t.data.reduce((a, b) => Math.max(a, b));
  assert.ok(lo >= -2 - 1e-5 && hi <= 2 + 1e-5 && lo < -1 && hi > 1, `range ${lo}..${hi}`);
});
