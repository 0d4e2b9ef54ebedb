// The learn-mode backbone: extracting a pooled feature extractor from a shipped model. Checked against
// the full model's own inner tensors (read as extra outputs) pooled in plain JS, on real photos; the
// shipped models/features.fp32.onnx must be exactly what the tool makes from the catalog's source model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { extractFeatures, listTensors, meanPoolNCHW } from '../lib/subgraph.mjs';
import { verifyFeatures } from '../commands/extract-features.mjs';
import { DARKNET } from '../lib/images.mjs';
import { nearestCentroidAccuracy, softmaxRegressionAccuracy } from '../measure-backbones.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/catalog.json'), 'utf8'));

test('meanPoolNCHW averages each channel', () => {
  const data = Float32Array.from([1, 2, 3, 4, 10, 20, 30, 40]);
  assert.deepEqual(Array.from(meanPoolNCHW(data, [1, 2, 2, 2])), [2.5, 25]);
});

test('extractFeatures refuses unknown tensors and graph inputs', () => {
  const bytes = fs.readFileSync(path.join(ROOT, 'models/expression.fp32.onnx'));
  assert.throws(() => extractFeatures(bytes, { tensor: 'no-such-tensor' }), /No node makes a tensor named "no-such-tensor"/);
  assert.throws(() => extractFeatures(bytes, { tensor: 'input_1' }), /graph input/);
});

test('the catalog "features" entry is the selfie encoder, pooled, byte for byte reproducible', async () => {
  const entry = catalog.models.features;
  assert.equal(entry.task, 'features');
  assert.equal(entry.source.derivedFrom, 'selfie-segmentation');
  const src = catalog.models[entry.source.derivedFrom];
  assert.equal(entry.source.derivedFromSha256, src.variants.fp32.sha256);
  const full = fs.readFileSync(path.join(ROOT, 'models', src.variants.fp32.file));
  const tensors = entry.source.tensors.split(',');
  const a = extractFeatures(full, { tensor: tensors }).bytes;
  const b = extractFeatures(full, { tensor: tensors }).bytes;
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), 'same input, same bytes');
  const shipped = fs.readFileSync(path.join(ROOT, 'models', entry.variants.fp32.file));
  assert.equal(crypto.createHash('sha256').update(shipped).digest('hex'), entry.variants.fp32.sha256);
  assert.ok(Buffer.from(a).equals(shipped), 'models/features.fp32.onnx is what the tool makes');
  assert.equal(entry.variants.fp32.bytes, shipped.length);
  // Its decoder is gone: no upsampling or transposed convolution is left.
  const ops = new Set(listTensors(shipped).map((t) => t.op));
  assert.ok(!ops.has('Resize') && !ops.has('ConvTranspose'), [...ops].join(','));
});

test('features equal the full model\'s inner tensors pooled in JS, on real photos', async () => {
  const entry = catalog.models.features;
  const src = catalog.models[entry.source.derivedFrom];
  const full = fs.readFileSync(path.join(ROOT, 'models', src.variants.fp32.file));
  const shipped = fs.readFileSync(path.join(ROOT, 'models', entry.variants.fp32.file));
  const photos = ['dog.jpg', 'eagle.jpg'].map((f) => path.join(DARKNET, f));
  const r = await verifyFeatures(full, shipped, entry.source.tensors.split(','), src.input, photos);
  assert.equal(r.dim, entry.outputs[0].shape[1]);
  assert.ok(r.maxAbsReference > 0.1, 'features are not all zero');
  assert.ok(r.maxAbsDiff < 1e-4, `max |Δ| ${r.maxAbsDiff}`);
});

test('features tell crops of different photos apart far better than a raw-pixel thumbnail does', async () => {
  // A cheap version of tools/measure-backbones.mjs: the cut must carry information, not just run.
  const { measure } = await import('../measure-backbones.mjs');
  const res = await measure({ classes: 5, nTrain: 4, nTest: 8, only: /^(pixels:|selfie-segmentation:t113,t135,t157$)/ });
  const [pixels, feats] = res.rows;
  assert.equal(feats.model, 'selfie-segmentation');
  assert.ok(feats.softmaxRegression >= 0.85, `features: ${feats.softmaxRegression}`);
  assert.ok(feats.softmaxRegression > pixels.softmaxRegression, `features ${feats.softmaxRegression} vs pixels ${pixels.softmaxRegression}`);
});

test('the measuring classifiers get separable toy data right and chance data near chance', () => {
  const pts = (label, cx, n, rand) => Array.from({ length: n }, () => ({ label, x: Float64Array.from([cx + rand() - 0.5, rand() - 0.5, 1]) }));
  let s = 1;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const train = [...pts('a', -2, 20, rand), ...pts('b', 2, 20, rand)];
  const test = [...pts('a', -2, 20, rand), ...pts('b', 2, 20, rand)];
  assert.equal(softmaxRegressionAccuracy(train, test), 1);
  assert.equal(nearestCentroidAccuracy(train, test), 1);
  const flipped = test.map((e) => ({ ...e, label: e.label === 'a' ? 'b' : 'a' }));
  assert.equal(softmaxRegressionAccuracy(train, flipped), 0);
});
