// The tools on files nobody vouched for: each test reproduces one fault found in the readers (a
// model.json that reads files outside its folder, a flatbuffer read past the end of its buffer, a
// declared shape that asks for gigabytes, an ONNX file that crashes inspect) and checks the clear
// ModelFileError that replaces it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertFile } from '../lib/convert.mjs';
import { fbRoot } from '../lib/flatbuf.mjs';
import { readTflite } from '../lib/tflite.mjs';
import { convertTflite } from '../lib/convert-tflite.mjs';
import { loadModel, tensorData, encodeModel, onnx } from '../lib/onnx-io.mjs';
import { inspectFile } from '../commands/inspect.mjs';
import { ModelFileError } from '../lib/untrusted.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FACE = fs.readFileSync(path.join(ROOT, 'models/face-detection.tflite'));
const TINY_ONNX = path.join(ROOT, 'tools/tests/fixtures/models/tiny-segmenter.onnx');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-untrusted-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// ---------------- model.json weight paths ----------------

/** A graph model y = x + w, where w (2 floats) comes from `weightPath`. */
function graphModel(dir, weightPath) {
  fs.mkdirSync(dir, { recursive: true });
  const json = {
    format: 'graph-model',
    modelTopology: { node: [
      { name: 'x', op: 'Placeholder', attr: { shape: { shape: { dim: [{ size: '1' }, { size: '2' }] } } } },
      { name: 'w', op: 'Const' },
      { name: 'y', op: 'AddV2', input: ['x', 'w'] },
    ] },
    weightsManifest: [{ paths: [weightPath], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }],
  };
  const file = path.join(dir, 'model.json');
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

// 8 bytes that read as two floats: what a stolen file would contribute to the output model.
const SECRET = Buffer.from('SECRET!!');
fs.writeFileSync(path.join(tmp, 'secret.bin'), SECRET);

test('model.json: a shard next to model.json still converts', () => {
  const dir = path.join(tmp, 'ok');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.from(new Float32Array([1, 2]).buffer));
  const r = convertFile(graphModel(dir, 'w.bin'));
  assert.deepEqual(r.outputs.map((o) => o.name), ['y']);
});

for (const [label, weightPath] of [
  ['"../" path', '../secret.bin'],
  ['nested "../" path', 'sub/../../secret.bin'],
  ['absolute path', path.join(tmp, 'secret.bin')],
  ['file: URL', `file://${path.join(tmp, 'secret.bin')}`],
  ['backslash path', '..\\secret.bin'],
]) {
  test(`model.json: a ${label} to a file outside the model folder is refused, not copied into the output`, () => {
    const dir = path.join(tmp, `evil-${label.replace(/\W+/g, '-')}`);
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const file = graphModel(dir, weightPath);
    let result;
    assert.throws(() => { result = convertFile(file); }, (err) => {
      assert.ok(err instanceof ModelFileError, `${err?.name}: ${err?.message}`);
      assert.match(err.message, /weight path .* (leaves the model folder|is not a relative file path)/);
      return true;
    });
    assert.equal(result, undefined);
  });
}

test('model.json: a symlink in the model folder that points outside it is refused', () => {
  const dir = path.join(tmp, 'evil-link');
  fs.mkdirSync(dir);
  fs.symlinkSync(path.join(tmp, 'secret.bin'), path.join(dir, 'w.bin'));
  assert.throws(() => convertFile(graphModel(dir, 'w.bin')), (err) => err instanceof ModelFileError && /outside the model folder/.test(err.message));
});

// ---------------- flatbuffer bounds ----------------

/** A 36-byte flatbuffer: root table with one string field "abcd" (length field at offset 24). */
function tinyFlatbuffer() {
  const b = new Uint8Array(36);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 16, true);
  b.set(new TextEncoder().encode('TEST'), 4);
  dv.setUint16(8, 6, true); dv.setUint16(10, 8, true); dv.setUint16(12, 4, true);
  dv.setInt32(16, 8, true);
  dv.setUint32(20, 4, true);
  dv.setUint32(24, 4, true);
  b.set(new TextEncoder().encode('abcd'), 28);
  return b;
}

test('flatbuffer: a string longer than a small pooled Buffer is an error, not a read of the neighbouring pool memory', () => {
  const bytes = tinyFlatbuffer();
  assert.equal(fbRoot(Buffer.from(bytes)).str(0), 'abcd');
  new DataView(bytes.buffer).setUint32(24, 40, true); // inflate the length: 40 bytes from offset 28 run past the end
  // Buffer.from of a small array takes a slice of Node's shared pool; the next allocation lands right after it.
  const pooled = Buffer.from(bytes);
  const neighbour = Buffer.from('NEIGHBOUR-SECRET-NEIGHBOUR-SECRET');
  assert.ok(pooled.buffer === neighbour.buffer && pooled.byteOffset + pooled.length <= neighbour.byteOffset, 'both come from the pool');
  let s;
  assert.throws(() => { s = fbRoot(pooled).str(0); }, (err) => err instanceof ModelFileError && /string of 40 × 1 bytes .* outside the 36-byte buffer/.test(err.message));
  assert.equal(s, undefined);
});

test('flatbuffer: bad root, vtable and vector offsets name what was out of range', () => {
  const cases = [
    [(dv) => dv.setUint32(0, 1000, true), /table \(offset 1000/],
    [(dv) => dv.setInt32(16, -5000, true), /vtable of the table at 16/],
    [(dv) => dv.setUint16(8, 200, true), /vtable of the table at 16/],
    [(dv) => dv.setUint32(20, 0xfffffff0, true), /object referenced by field 0/],
  ];
  for (const [mutate, message] of cases) {
    const b = Buffer.from(tinyFlatbuffer());
    mutate(new DataView(b.buffer, b.byteOffset, b.byteLength));
    assert.throws(() => fbRoot(b).str(0), (err) => err instanceof ModelFileError && message.test(err.message), String(message));
  }
  assert.throws(() => fbRoot(Buffer.from([1, 2, 3])), ModelFileError);
});

test('tflite: every truncation of a real model is a ModelFileError, never a RangeError or a silently short buffer', () => {
  const kinds = new Set();
  for (let len = 0; len < FACE.length; len += 1 + Math.floor(len / 7)) {
    const cut = Buffer.from(FACE.subarray(0, len)); // pooled when small
    try {
      convertTflite(cut);
      assert.fail(`a ${len}-byte prefix converted`);
    } catch (err) {
      assert.ok(err instanceof ModelFileError, `${len} bytes: ${err.name}: ${err.message}`);
      kinds.add(err.message.replace(/\d+/g, 'N').slice(0, 60));
    }
  }
  assert.ok(kinds.size >= 3, [...kinds].join('\n'));
});

/** Finds the position of a constant tensor's shape vector in the .tflite bytes. */
function constShapeVector(bytes) {
  const sg = fbRoot(bytes).tables(2)[0];
  const model = readTflite(bytes);
  for (const [i, t] of sg.tables(0).entries()) {
    if (model.tensors[i].data && model.tensors[i].shape.length === 4) return { v: t.vec(0, 4), tensor: model.tensors[i] };
  }
  throw new Error('no constant rank-4 tensor');
}

test('tflite: a constant whose shape declares more elements than its buffer holds is refused before any allocation', () => {
  const bytes = Buffer.from(FACE);
  const { v, tensor } = constShapeVector(bytes);
  // 4096 × 4096 × 4 × 1 float16/float32 = 64M elements (256 MB as float32) for a weight of a few KB.
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  [4096, 4096, 4, 1].forEach((d, i) => dv.setInt32(v.start + 4 * i, d, true));
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(() => convertTflite(bytes), (err) => err instanceof ModelFileError
    && err.message.includes(tensor.name) && /declares 67108864 elements .* holds only \d+ bytes/.test(err.message));
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation');
  // A dimension too large for int32 sizes, or negative, is refused by the shape check.
  dv.setInt32(v.start, -7, true);
  assert.throws(() => readTflite(bytes), (err) => err instanceof ModelFileError && /dimension -7/.test(err.message));
});

test('tflite: a weight buffer whose length runs past the end of the file is refused', () => {
  const bytes = Buffer.from(FACE);
  const data = fbRoot(bytes).tables(4)[1].vec(0, 1);
  assert.ok(data && data.len > 0);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(data.start - 4, bytes.length, true);
  assert.throws(() => readTflite(bytes), (err) => err instanceof ModelFileError && /vector of \d+ × 1 bytes/.test(err.message));
});

// ---------------- model.json sizes and structure ----------------

test('model.json: a weight shape larger than its shard is refused with the weight named', () => {
  const dir = path.join(tmp, 'big');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.from(new Float32Array([1, 2]).buffer));
  const file = graphModel(dir, 'w.bin');
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  j.weightsManifest[0].weights[0].shape = [100000, 100000];
  fs.writeFileSync(file, JSON.stringify(j));
  assert.throws(() => convertFile(file), (err) => err instanceof ModelFileError && /Weight "w".*declares 10000000000 elements|shape \[100000,100000\] has 10000000000 elements/.test(err.message));
  j.weightsManifest[0].weights[0].shape = [2, 1e300];
  fs.writeFileSync(file, JSON.stringify(j));
  assert.throws(() => convertFile(file), (err) => err instanceof ModelFileError && /dimension 1e\+300/.test(err.message));
});

test('model.json: broken JSON and wrong types give a ModelFileError naming the field', () => {
  const dir = path.join(tmp, 'broken');
  fs.mkdirSync(dir);
  const file = path.join(dir, 'model.json');
  const cases = [
    ['{"modelTopology": ', /not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"format":"graph-model"}', /"modelTopology" is missing/],
    ['{"modelTopology":{"node":{}}}', /"modelTopology.node" is not an array/],
    ['{"modelTopology":{"node":[{"name":"a"}]}}', /graph node 0 needs a string "name" and "op"/],
    ['{"modelTopology":{"node":[]},"weightsManifest":[{"paths":"w.bin","weights":[]}]}', /weightsManifest\[0\] needs "paths" and "weights" arrays/],
    ['{"modelTopology":{"node":[]},"weightsManifest":[{"paths":[],"weights":[{"name":"w","shape":"2"}]}]}', /shape is not an array/],
    ['{"modelTopology":{"model_config":{"config":{"layers":[null]}}}}', /layer 0 needs/],
  ];
  for (const [text, message] of cases) {
    fs.writeFileSync(file, text);
    for (const run of [() => convertFile(file), () => inspectFile(file)]) {
      assert.throws(run, (err) => err instanceof ModelFileError && message.test(err.message), `${text} → ${message}`);
    }
  }
});

// ---------------- ONNX ----------------

test('onnx: truncated or garbled protobuf is a ModelFileError from inspect and loadModel', () => {
  const bytes = fs.readFileSync(TINY_ONNX);
  for (const len of [1, 10, 100, 1000, bytes.length - 7]) {
    const f = path.join(tmp, `cut-${len}.onnx`);
    fs.writeFileSync(f, bytes.subarray(0, len));
    assert.throws(() => inspectFile(f), (err) => err instanceof ModelFileError && /not a valid ONNX model|ONNX model has no graph/.test(err.message), `${len} bytes`);
  }
});

test('onnx: an initializer whose dims outgrow its data, and inputs without a type, are handled clearly', () => {
  const model = loadModel(TINY_ONNX);
  const t = model.graph.initializer.find((x) => x.rawData?.length);
  const dims = [...t.dims];
  t.dims = [1000000000];
  const f = path.join(tmp, 'big-init.onnx');
  fs.writeFileSync(f, encodeModel(model));
  assert.throws(() => inspectFile(f), (err) => err instanceof ModelFileError && err.message.includes(t.name) && /need 4000000000 bytes, raw data has/.test(err.message));
  assert.throws(() => tensorData(t), ModelFileError);
  t.dims = dims;
  // A graph input with no type is legal protobuf; inspect reports it instead of crashing.
  model.graph.input.push(onnx.ValueInfoProto.create({ name: 'untyped' }));
  fs.writeFileSync(f, encodeModel(model));
  const r = inspectFile(f);
  assert.deepEqual(r.inputs.at(-1), { name: 'untyped', dtype: 'non-tensor', shape: [] });
});
