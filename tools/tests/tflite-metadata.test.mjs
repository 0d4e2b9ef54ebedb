// TFLite Metadata patch: the patched model is still the same model (same tensors, operators, weights; TFLite's
// own interpreter accepts it and computes bit-identical outputs on a real photo), and the metadata, the labels
// zip and the CLI read back what was written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { readTflite } from '../lib/tflite.mjs';
import { createTfliteRunner } from '../lib/reference-tflite.mjs';
import { loadImage, resizeRGBA, toNHWC, SKIMAGE } from '../lib/images.mjs';
import { addImageMetadata, readModelMetadata, readAppendedZip, crc32, METADATA_NAME } from '../lib/tflite-metadata.mjs';
import { main as addMetadataCli } from '../commands/add-metadata.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FACE = path.join(ROOT, 'node_modules/@mediapipe/face_detection/face_detection_short_range.tflite');
const SELFIE = path.join(ROOT, 'node_modules/@mediapipe/selfie_segmentation/selfie_segmentation.tflite');
const read = (p) => new Uint8Array(fs.readFileSync(p));

function sameModel(a, b) {
  assert.equal(b.tensors.length, a.tensors.length);
  assert.equal(b.operators.length, a.operators.length);
  assert.deepEqual(b.inputs, a.inputs);
  assert.deepEqual(b.outputs, a.outputs);
  a.tensors.forEach((t, i) => {
    const u = b.tensors[i];
    assert.equal(u.name, t.name);
    assert.deepEqual(u.shape, t.shape);
    assert.equal(u.type, t.type);
    assert.equal(Buffer.compare(Buffer.from(u.data ?? []), Buffer.from(t.data ?? [])), 0, `weights of ${t.name}`);
  });
  a.operators.forEach((o, i) => {
    assert.equal(b.operators[i].op, o.op);
    assert.deepEqual(b.operators[i].inputs, o.inputs);
    assert.deepEqual(b.operators[i].outputs, o.outputs);
    assert.deepEqual(b.operators[i].options, o.options);
  });
}

test('patched face detector: same graph and weights, metadata reads back, TFLite runs it bit-identically', async () => {
  const src = read(FACE);
  const out = addImageMetadata(src, { mean: [127.5], std: [127.5], width: 128, height: 128, inputName: 'input', outputNames: ['regressors', 'classificators'], name: 'face-detection' });
  const a = readTflite(src), b = readTflite(out);
  sameModel(a, b);
  assert.deepEqual(b.metadata.map((m) => m.name), [METADATA_NAME]);
  const meta = readModelMetadata(out);
  assert.equal(meta.name, 'face-detection');
  assert.equal(meta.minParserVersion, '1.0.0');
  assert.deepEqual(meta.inputs[0], { name: 'input', description: null, image: { colorSpace: 'rgb', width: 128, height: 128 }, normalization: { mean: [127.5], std: [127.5] } });
  assert.deepEqual(meta.outputs.map((o) => o.name), ['regressors', 'classificators']);
  assert.equal(meta.bufferOffset % 16, 0, 'metadata flatbuffer is 16-byte aligned');
  assert.equal(readModelMetadata(src), null);

  // The reference interpreter verifies the flatbuffer when it loads it.
  const x = toNHWC(resizeRGBA(loadImage(path.join(SKIMAGE, 'astronaut.png')), 128, 128), 128, 128, { color: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
  const r1 = await createTfliteRunner(src), r2 = await createTfliteRunner(out);
  const y1 = r1.run([x]), y2 = r2.run([x]);
  r1.dispose(); r2.dispose();
  assert.equal(y2.length, 2);
  y1.forEach((t, i) => assert.deepEqual(Array.from(y2[i]), Array.from(t)));
});

test('patching twice replaces TFLITE_METADATA, keeps one entry, and the second patch wins', () => {
  const src = read(SELFIE);
  const once = addImageMetadata(src, { mean: [1], std: [2] });
  const twice = addImageMetadata(once, { mean: [0, 0, 0], std: [255, 255, 255], colorSpace: 'rgb' });
  const m = readTflite(twice);
  assert.deepEqual(m.metadata.map((e) => e.name), [METADATA_NAME]);
  sameModel(readTflite(src), m);
  assert.deepEqual(readModelMetadata(twice).inputs[0].normalization, { mean: [0, 0, 0], std: [255, 255, 255] });
});

test('labels are stored as labels.txt in an appended zip with a correct CRC-32 and an associated-file entry', () => {
  const labels = ['background', 'person'];
  const out = addImageMetadata(read(SELFIE), { mean: [0], std: [255], labels });
  const files = readAppendedZip(out);
  assert.deepEqual(Object.keys(files), ['labels.txt']);
  assert.equal(new TextDecoder().decode(files['labels.txt']), 'background\nperson\n');
  // CRC against Node's zlib implementation, and the stored CRC in the central directory.
  assert.equal(crc32(files['labels.txt']), zlib.crc32(Buffer.from(files['labels.txt'])));
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const eocd = out.length - 22;
  const cd = eocd - dv.getUint32(eocd + 12, true);
  assert.equal(dv.getUint32(cd + 16, true), zlib.crc32(Buffer.from('background\nperson\n')));
  assert.deepEqual(readModelMetadata(out).outputs[0].associatedFiles, [{ name: 'labels.txt', type: 'tensorAxisLabels' }]);
  sameModel(readTflite(read(SELFIE)), readTflite(out));
});

test('cv-models add-metadata writes the patched file and rejects bad options', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-meta-'));
  const out = path.join(dir, 'selfie.tflite');
  const log = process.stdout.write;
  process.stdout.write = () => true;
  let code;
  try { code = await addMetadataCli([SELFIE, '-o', out, '--mean', '0', '--std', '255', '--labels', 'person']); } finally { process.stdout.write = log; }
  assert.equal(code, 0);
  const meta = readModelMetadata(read(out));
  assert.deepEqual(meta.inputs[0].image, { colorSpace: 'rgb', width: 256, height: 256 });
  assert.deepEqual(meta.inputs[0].normalization, { mean: [0], std: [255] });
  const err = process.stderr.write;
  process.stderr.write = () => true;
  try { assert.equal(await addMetadataCli([SELFIE, '-o', out, '--mean', '0']), 2); } finally { process.stderr.write = err; }
  await assert.rejects(addMetadataCli([SELFIE, '-o', out, '--mean', '0,0', '--std', '255']), /2 values; the input has 3 channels/);
  fs.rmSync(dir, { recursive: true });
});
