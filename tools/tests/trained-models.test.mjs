// Checks the trained Fashion-MNIST models in models/ on real test images with onnxruntime-node.
// The images come from Debian's dataset-fashion-mnist package (idx files, gzip).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { normalSamples } from '../lib/random.mjs';
import { argmaxRows } from '../lib/verify.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FASHION = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const MODELS = process.env.TRAINED_MODELS_DIR ?? join(root, 'models');
const MEAN = 0.286;
const STD = 0.353;
const N = 500;

/** Parse an unsigned-byte idx file: returns { dims, data: Uint8Array }. */
function readIdx(path) {
  const buf = gunzipSync(readFileSync(path));
  assert.equal(buf[0], 0);
  assert.equal(buf[1], 0);
  assert.equal(buf[2], 0x08, 'unsigned byte idx');
  const ndim = buf[3];
  const dims = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * ndim;
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, dims.reduce((a, b) => a * b, 1)) };
}

const haveData = existsSync(join(FASHION, 't10k-images-idx3-ubyte.gz'));
const images = haveData ? readIdx(join(FASHION, 't10k-images-idx3-ubyte.gz')) : null;
const labels = haveData ? readIdx(join(FASHION, 't10k-labels-idx1-ubyte.gz')) : null;

/** First n test images as [n,1,28,28] floats in [0,1]. */
function unitImages(n) {
  const out = new Float32Array(n * 784);
  for (let i = 0; i < out.length; i++) out[i] = images.data[i] / 255;
  return out;
}

const haveModel = (...names) => names.every((n) => existsSync(join(MODELS, n)));
/** Skip reason when the data set or a model file is missing (false = run). */
const skipUnless = (...names) =>
  (!haveData && 'dataset-fashion-mnist not installed') ||
  (!haveModel(...names) && `not trained yet: ${names.join(', ')} (npm run train -- ...)`);
const model = (name) => ort.InferenceSession.create(join(MODELS, name), { executionProviders: ['cpu'] });


const gaussian = (n, seed) => normalSamples(n, seed);

test('idx reader sees the 10,000-image Fashion-MNIST test set', { skip: !haveData && 'dataset-fashion-mnist not installed' }, () => {
  assert.deepEqual(images.dims, [10000, 28, 28]);
  assert.deepEqual(labels.dims, [10000]);
  assert.ok(labels.data.every((l) => l < 10));
});

test('fashion-cnn classifies the first 500 test images at >= 90 %', { skip: skipUnless('fashion-cnn.fp32.onnx') }, async () => {
  const session = await model('fashion-cnn.fp32.onnx');
  assert.deepEqual(session.inputNames, ['image']);
  assert.deepEqual(session.outputNames, ['logits']);
  const x = unitImages(N).map((v) => (v - MEAN) / STD);
  const { logits } = await session.run({ image: new ort.Tensor('float32', x, [N, 1, 28, 28]) });
  assert.deepEqual(logits.dims, [N, 10]);
  const pred = argmaxRows(logits.data, 10);
  let correct = 0;
  for (let i = 0; i < N; i++) if (pred[i] === labels.data[i]) correct++;
  const acc = correct / N;
  assert.ok(acc >= 0.9, `accuracy ${acc}`);
  // A broken normalisation should hurt: feeding raw [0,1] pixels must do worse than the right input.
  const raw = await session.run({ image: new ort.Tensor('float32', unitImages(N), [N, 1, 28, 28]) });
  const rawPred = argmaxRows(raw.logits.data, 10);
  let rawCorrect = 0;
  for (let i = 0; i < N; i++) if (rawPred[i] === labels.data[i]) rawCorrect++;
  assert.ok(rawCorrect < correct, `raw ${rawCorrect} vs normalised ${correct}`);
});

test('fashion-vae encoder -> decoder reconstructs test images within 1.5x the reported MSE', {
  skip: skipUnless('fashion-vae-encoder.fp32.onnx', 'fashion-vae-decoder.fp32.onnx'),
}, async () => {
  const metrics = JSON.parse(readFileSync(join(root, 'training', 'metrics', 'fashion-vae.json'), 'utf8'));
  const reported = metrics.test_reconstruction_mse_per_pixel;
  assert.ok(reported > 0 && reported < 0.1, `reported MSE ${reported}`);
  const enc = await model('fashion-vae-encoder.fp32.onnx');
  const dec = await model('fashion-vae-decoder.fp32.onnx');
  assert.deepEqual(enc.outputNames.slice().sort(), ['logvar', 'mu']);
  const x = unitImages(N);
  const { mu, logvar } = await enc.run({ image: new ort.Tensor('float32', x, [N, 1, 28, 28]) });
  assert.deepEqual(mu.dims, [N, 16]);
  assert.deepEqual(logvar.dims, [N, 16]);
  const { image } = await dec.run({ z: mu });
  assert.deepEqual(image.dims, [N, 1, 28, 28]);
  let se = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const d = image.data[i] - x[i];
    se += d * d;
    min = Math.min(min, image.data[i]);
    max = Math.max(max, image.data[i]);
  }
  const mse = se / x.length;
  assert.ok(min >= 0 && max <= 1, `decoder range [${min}, ${max}]`);
  assert.ok(mse < reported * 1.5, `MSE ${mse} vs reported ${reported}`);
  // Reconstructions must depend on the input: pairing image i with reconstruction i+1 is much worse.
  let seShift = 0;
  for (let i = 0; i < x.length - 784; i++) {
    const d = image.data[i + 784] - x[i];
    seShift += d * d;
  }
  assert.ok(seShift / (x.length - 784) > 2 * mse, 'reconstructions are input-specific');
});

test('fashion-dcgan generates [-1,1] images that the CNN spreads over >= 5 classes', {
  skip: !haveModel('fashion-dcgan.fp32.onnx', 'fashion-cnn.fp32.onnx') && 'not trained yet (npm run train -- fashion-dcgan)',
}, async () => {
  const G = await model('fashion-dcgan.fp32.onnx');
  const cnn = await model('fashion-cnn.fp32.onnx');
  const n = 200;
  const { image } = await G.run({ z: new ort.Tensor('float32', gaussian(n * 100, 1234), [n, 100]) });
  assert.deepEqual(image.dims, [n, 1, 28, 28]);
  let min = Infinity;
  let max = -Infinity;
  for (const v of image.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  // tanh output; allow float32 rounding (ORT gives -1.0000001 for saturated pixels)
  assert.ok(min >= -1 - 1e-5 && max <= 1 + 1e-5, `range [${min}, ${max}]`);
  assert.ok(max - min > 1, 'images use the dynamic range');
  const x = Float32Array.from(image.data, (v) => ((v + 1) / 2 - MEAN) / STD);
  const { logits } = await cnn.run({ image: new ort.Tensor('float32', x, [n, 1, 28, 28]) });
  const counts = new Array(10).fill(0);
  for (const c of argmaxRows(logits.data, 10)) counts[c]++;
  const classes = counts.filter((c) => c > 0).length;
  assert.ok(classes >= 5, `classes hit: ${counts.join(',')}`);
});
