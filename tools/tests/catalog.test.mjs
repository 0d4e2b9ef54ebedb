// The shipped catalog matches the files it names: every variant's sha256 and size, every input spec
// complete, every source recorded with package, version and licence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

const catalogUrl = new URL('../../models/catalog.json', import.meta.url);
const catalog = JSON.parse(readFileSync(catalogUrl, 'utf8'));

test('every model file matches its catalog sha256 and size', () => {
  let files = 0;
  for (const [name, entry] of Object.entries(catalog.models)) {
    const listed = [...Object.entries(entry.variants ?? {}), ...(entry.mediapipe ? [['mediapipe', entry.mediapipe]] : [])];
    for (const [variant, v] of listed) {
      const file = new URL(v.file, catalogUrl);
      assert.ok(existsSync(file), `${name} ${variant}: ${v.file} is missing`);
      const bytes = readFileSync(file);
      assert.equal(bytes.length, v.bytes, `${name} ${variant}: size`);
      assert.equal(createHash('sha256').update(bytes).digest('hex'), v.sha256, `${name} ${variant}: sha256`);
      files++;
    }
  }
  assert.ok(files >= 5, `only ${files} model files listed`);
});

test('every entry records its source, licence and a usable input spec', () => {
  for (const [name, entry] of Object.entries(catalog.models)) {
    if (entry.parts) {
      for (const part of Object.values(entry.parts)) assert.ok(catalog.models[part], `${name}: part ${part} is not in the catalog`);
      continue;
    }
    assert.ok(entry.source?.license, `${name}: no licence`);
    assert.ok(entry.source?.package || entry.source?.script, `${name}: no source package or training script`);
    const { input } = entry;
    assert.ok(input?.name && Array.isArray(input.shape) && ['NCHW', 'NHWC'].includes(input.layout), `${name}: input spec`);
    if (input.color) assert.equal(input.mean.length, input.std.length, `${name}: mean/std lengths`);
    assert.ok(entry.variants?.fp32, `${name}: every model has its fp32 reference variant`);
  }
});

test('the shipped files reproduce from the pinned packages: conversion and int8 quantization give the catalog sha256', async () => {
  const { convertTflite } = await import('../lib/convert-tflite.mjs');
  const { loadModel, encodeModel } = await import('../lib/onnx-io.mjs');
  const { makeFeeds } = await import('../lib/inputs.mjs');
  const { quantizeInt8 } = await import('../lib/quantize.mjs');
  const { int8OptionsFor } = await import('../build-variants.mjs');
  const entry = catalog.models['face-detection'];
  const tflite = readFileSync(new URL(`../../node_modules/${entry.source.package}/${entry.source.file}`, import.meta.url));
  const fp32 = convertTflite(tflite).bytes;
  assert.equal(createHash('sha256').update(fp32).digest('hex'), entry.variants.fp32.sha256, 'fp32 conversion');
  // The int8 variant, as tools/build-variants.mjs makes it (calibrated on the Debian photos).
  const model = loadModel(fp32);
  const { feeds } = makeFeeds(model, { spec: entry.input });
  const options = int8OptionsFor('face-detection');
  // Mixed precision: the catalog records the nodes kept float, and they are the ones the build used.
  assert.deepEqual(options.exclude ?? [], entry.variants.int8.keepFloat ?? []);
  const int8 = await quantizeInt8(model, feeds, options);
  assert.equal(createHash('sha256').update(encodeModel(int8.model)).digest('hex'), entry.variants.int8.sha256, 'int8 quantization');
});

test('every int8 variant with mixed precision names nodes of its fp32 model, and the list is the committed one', async () => {
  const { loadModel } = await import('../lib/onnx-io.mjs');
  const { keepFloatLists } = await import('../build-variants.mjs');
  const lists = keepFloatLists();
  for (const [name, entry] of Object.entries(catalog.models)) {
    const int8 = entry.variants?.int8;
    if (!int8) continue;
    assert.deepEqual(int8.keepFloat ?? [], lists[name]?.keepFloat ?? [], `${name}: catalog keepFloat = tools/int8-keep-float.json`);
    if (!int8.keepFloat) continue;
    const nodes = new Set(loadModel(readFileSync(new URL(entry.variants.fp32.file, catalogUrl))).graph.node.map((n) => n.name));
    for (const n of int8.keepFloat) assert.ok(nodes.has(n), `${name}: ${n} is not a node of ${entry.variants.fp32.file}`);
    assert.ok(int8.mixedPrecision.selectionAfter >= int8.mixedPrecision.target, `${name}: search met its target`);
  }
  for (const name of Object.keys(lists)) assert.ok(catalog.models[name]?.variants?.int8?.keepFloat, `${name}: listed but not built`);
});
