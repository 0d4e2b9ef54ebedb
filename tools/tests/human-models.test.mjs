// The models converted from @vladmandic/human (issue 14): CenterNet object detection and FaceRes face embedding.
// Real photos with known answers; every shipped variant is held to the bars against fp32, and a rejected
// variant must not be shipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import ort from 'onnxruntime-node';
import { loadImage, resizeRGBA, toNHWC, DARKNET, SKIMAGE } from '../lib/images.mjs';
import { detectionRows, nms, compareDetections } from '../lib/detections.mjs';
import { COCO80 } from '../lib/labels.mjs';
import { OBJECT_THRESHOLD } from '../build-models.mjs';

const MODELS = new URL('../../models/', import.meta.url);
const catalog = JSON.parse(fs.readFileSync(new URL('catalog.json', MODELS), 'utf8'));
const session = (file) => ort.InferenceSession.create(fs.readFileSync(new URL(file, MODELS)), { intraOpNumThreads: 1 });

// The answers for Debian's darknet photos (any one of a list's labels counts).
const EXPECTED = {
  'dog.jpg': [['dog'], ['bicycle'], ['car', 'truck']],
  'person.jpg': [['person'], ['horse'], ['dog']],
  'horses.jpg': [['horse']],
  'eagle.jpg': [['bird']],
};

test('object-detection: COCO-80 labels and provenance ship with the model; a variant that missed its bar is not shipped', () => {
  const e = catalog.models['object-detection'];
  assert.deepEqual(e.labels, COCO80);
  assert.equal(e.labels.length, 80);
  assert.equal(e.source.package, '@vladmandic/human');
  assert.equal(e.source.license, 'MIT');
  assert.ok(e.source.version && e.source.originLicense && e.source.url);
  for (const [p, v] of Object.entries(e.rejectedVariants ?? {})) {
    assert.equal(v.verify.pass, false, `${p} is recorded as rejected only when it failed`);
    assert.ok(!e.variants[p], `${p} is not listed as a variant`);
    assert.ok(!fs.existsSync(new URL(`object-detection.${p}.onnx`, MODELS)), `${p} file is not shipped`);
  }
});

test('object-detection finds the expected objects in the darknet photos with every shipped variant, and fp16/int8 meet the bars against fp32', async () => {
  const e = catalog.models['object-detection'];
  const [, H, W] = e.input.shape;
  const outputs = {};
  for (const [p, v] of Object.entries(e.variants)) {
    const s = await session(v.file);
    outputs[p] = {};
    for (const photo of Object.keys(EXPECTED)) {
      const x = toNHWC(resizeRGBA(loadImage(`${DARKNET}/${photo}`), W, H), W, H, e.input);
      outputs[p][photo] = (await s.run({ [e.input.name]: new ort.Tensor('float32', x, e.input.shape) }))[e.outputs[0].name].data;
      const labels = new Set(nms(detectionRows(outputs[p][photo], OBJECT_THRESHOLD)).map((d) => e.labels[d.cls]));
      for (const anyOf of EXPECTED[photo]) assert.ok(anyOf.some((l) => labels.has(l)), `${p} ${photo}: one of ${anyOf} in ${[...labels]}`);
    }
  }
  for (const p of Object.keys(e.variants).filter((k) => k !== 'fp32')) {
    const r = compareDetections(Object.keys(EXPECTED).map((ph) => ({ ref: outputs.fp32[ph], cand: outputs[p][ph] })), { threshold: OBJECT_THRESHOLD });
    assert.ok(r.boxIoU >= 0.9 && r.detectionAgreement >= 0.9 && r.topLabelAgreement === 1, `${p}: ${JSON.stringify(r)}`);
  }
});

/** A face crop resized to size×size (bilinear), optionally mirrored; box [x, y, w, h] in image pixels. */
function faceCrop(img, [bx, by, bw, bh], size, mirror = false) {
  const out = new Uint8Array(size * size * 4);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const u = mirror ? size - 1 - i : i;
      const sx = Math.min(Math.max(bx + ((u + 0.5) / size) * bw - 0.5, 0), img.width - 1);
      const sy = Math.min(Math.max(by + ((j + 0.5) / size) * bh - 0.5, 0), img.height - 1);
      const x0 = Math.floor(sx), y0 = Math.floor(sy), x1 = Math.min(x0 + 1, img.width - 1), y1 = Math.min(y0 + 1, img.height - 1);
      const fx = sx - x0, fy = sy - y0;
      for (let c = 0; c < 4; c++) {
        const at = (x, y) => img.data[(y * img.width + x) * 4 + c];
        out[(j * size + i) * 4 + c] = Math.round((at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy);
      }
    }
  }
  return out;
}

const cosDist = (a, b) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return 1 - ab / Math.sqrt(aa * bb);
};

// Three different people, face boxes from the repo's face detector (models/face-detection.fp32.onnx, best anchor).
// No Debian or npm package here ships two different photos of one person, so "the same face" is a second crop of
// the same photo: shifted, 15 % larger and mirrored. That checks invariance to framing, not to a new photo.
const FACES = {
  astronaut: [`${SKIMAGE}/astronaut.png`, [179, 82, 93, 93]],
  hopper: ['/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg', [174, 136, 184, 216]],
  cameraman: [`${SKIMAGE}/camera.png`, [176, 120, 91, 91]],
};

test('face-embedding: a second framing of the same face is closer than any other person, with every shipped variant', async () => {
  const e = catalog.models['face-embedding'];
  assert.equal(e.outputs[0].shape[1], 1024);
  const [, H, W] = e.input.shape;
  for (const [p, v] of Object.entries(e.variants)) {
    const s = await session(v.file);
    const embed = async (file, box, mirror) => {
      const x = toNHWC(faceCrop(loadImage(file), box, W, mirror), W, H, e.input);
      return (await s.run({ [e.input.name]: new ort.Tensor('float32', x, e.input.shape) }))[e.outputs[0].name].data;
    };
    const first = {}, second = {};
    for (const [who, [file, [x, y, w, h]]] of Object.entries(FACES)) {
      first[who] = await embed(file, [x, y, w, h], false);
      second[who] = await embed(file, [x - 0.1 * w, y - 0.05 * h, 1.15 * w, 1.15 * h], true);
    }
    for (const who of Object.keys(FACES)) {
      const same = cosDist(first[who], second[who]);
      for (const other of Object.keys(FACES).filter((o) => o !== who)) {
        const diff = Math.min(cosDist(first[who], first[other]), cosDist(second[who], first[other]));
        assert.ok(same < diff, `${p}: ${who} vs itself ${same.toFixed(4)} must be below ${who} vs ${other} ${diff.toFixed(4)}`);
      }
    }
  }
});

test('face-embedding: provenance recorded and the sha256 of every shipped file matches', () => {
  const e = catalog.models['face-embedding'];
  assert.equal(e.source.file, 'models/faceres.json');
  assert.ok(e.source.originLicense && e.source.license === 'MIT');
  for (const v of Object.values(e.variants)) {
    assert.equal(createHash('sha256').update(fs.readFileSync(new URL(v.file, MODELS))).digest('hex'), v.sha256);
  }
});

test('both fp32 files reproduce from the pinned @vladmandic/human package (the conversion build-models runs)', async () => {
  const { convertTfjs } = await import('../lib/convert-tfjs.mjs');
  const human = new URL('../../node_modules/@vladmandic/human/', import.meta.url);
  const cases = { 'object-detection': ['tower_0/detections'], 'face-embedding': ['global_pooling/Mean', 'age_pred/Softmax', 'gender_pred/Sigmoid'] };
  for (const [name, outputs] of Object.entries(cases)) {
    const e = catalog.models[name];
    assert.equal(JSON.parse(fs.readFileSync(new URL('package.json', human), 'utf8')).version, e.source.version);
    const bytes = convertTfjs(new URL(e.source.file, human).pathname, { outputs }).bytes;
    assert.equal(createHash('sha256').update(bytes).digest('hex'), e.variants.fp32.sha256, name);
  }
});
