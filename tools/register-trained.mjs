#!/usr/bin/env node
// Puts the networks trained by training/ (fp32 ONNX committed in models/, metrics in training/metrics/)
// into models/catalog.json: input spec as trained, labels, source script, licence, sha256 and the
// training figures. `npm run train -- NAME` makes the files; `npm run models` runs this, then the
// quantizer (tools/build-variants.mjs). Deterministic; a network not trained yet is left out.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { stableStringify } from './build-models.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.join(ROOT, 'models');

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DATA = 'Fashion-MNIST (Zalando Research, MIT), from Debian dataset-fashion-mnist';
const source = (script, metrics) => ({ script: `training/${script}`, license: 'Apache-2.0', data: DATA, metrics: `training/metrics/${metrics}.json` });

/** catalog name → how it was trained. Images are white-on-black in the data set, so photos are inverted. */
const TRAINED = {
  'fashion-cnn': {
    file: 'fashion-cnn.fp32.onnx', metrics: 'fashion-cnn', script: 'fashion_cnn.py', task: 'classify', labels: FASHION,
    input: { name: 'image', shape: [1, 1, 28, 28], layout: 'NCHW', color: 'gray', mean: [0.286], std: [0.353], invert: true },
    outputs: [{ name: 'logits', shape: [1, 10], meaning: 'class logits (softmax for scores)' }],
  },
  dcgan: {
    file: 'fashion-dcgan.fp32.onnx', metrics: 'fashion-dcgan', script: 'fashion_dcgan.py', task: 'generate', labels: null,
    input: { name: 'z', shape: [1, 100], layout: 'NCHW', mean: [0], std: [1] },
    outputs: [{ name: 'image', shape: [1, 1, 28, 28], meaning: 'generated garment, white on black', range: [-1, 1] }],
  },
  'vae-encoder': {
    file: 'fashion-vae-encoder.fp32.onnx', metrics: 'fashion-vae', script: 'fashion_vae.py', task: 'encode', labels: null,
    input: { name: 'image', shape: [1, 1, 28, 28], layout: 'NCHW', color: 'gray', mean: [0], std: [1], invert: true },
    outputs: [{ name: 'mu', shape: [1, 16] }, { name: 'logvar', shape: [1, 16] }],
  },
  'vae-decoder': {
    file: 'fashion-vae-decoder.fp32.onnx', metrics: 'fashion-vae', script: 'fashion_vae.py', task: 'generate', labels: null,
    input: { name: 'z', shape: [1, 16], layout: 'NCHW', mean: [0], std: [1] },
    outputs: [{ name: 'image', shape: [1, 1, 28, 28], meaning: 'decoded garment, white on black', range: [0, 1] }],
  },
};

const catalogPath = path.join(MODELS, 'catalog.json');
const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
for (const [name, t] of Object.entries(TRAINED)) {
  const file = path.join(MODELS, t.file);
  if (!fs.existsSync(file)) {
    console.log(`${name}: ${t.file} not trained yet, skipped (npm run train -- ${t.metrics})`);
    continue;
  }
  const bytes = fs.readFileSync(file);
  const metricsFile = path.join(ROOT, 'training/metrics', `${t.metrics}.json`);
  const metrics = fs.existsSync(metricsFile) ? JSON.parse(fs.readFileSync(metricsFile, 'utf8')) : null;
  const prev = catalog.models[name];
  catalog.models[name] = {
    task: t.task, source: source(t.script, t.metrics), input: t.input, outputs: t.outputs, labels: t.labels,
    ...(metrics ? { training: metrics } : {}),
    variants: { ...(prev?.variants ?? {}), fp32: { file: t.file, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length } },
  };
  console.log(`${name}: ${t.file} ${bytes.length} bytes`);
}
if (catalog.models['vae-encoder'] && catalog.models['vae-decoder']) {
  catalog.models.vae = { task: 'generate', parts: { encoder: 'vae-encoder', decoder: 'vae-decoder' }, notes: 'Convolutional VAE trained on Fashion-MNIST: encoder → μ, log σ²; decoder.' };
}
fs.writeFileSync(catalogPath, stableStringify(catalog));
