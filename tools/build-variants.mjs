#!/usr/bin/env node
// Second half of `npm run models`: for every catalog model with an fp32 file, makes the int8 (WASM) and
// fp16 (WebGPU) variants with the quantizer, verifies each against fp32 on real photos (or seeded latents),
// and records file, sha256, size, figures and whether the variant is a default in models/catalog.json.
// Deterministic: the same fp32 files and photos give the same bytes and the same catalog.
// Usage: node tools/build-variants.mjs [--only name,name] [--latency N] [--reverify]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel, loadModel, sha256 } from './lib/onnx-io.mjs';
import { makeFeeds } from './lib/inputs.mjs';
import { convertFp16, quantizeInt8 } from './lib/quantize.mjs';
import { verifyNode, round } from './lib/verify.mjs';
import { stableStringify } from './build-models.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.join(ROOT, 'models');
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const DARKNET = '/usr/share/darknet/data';
/** Person segmentation is judged on photos of people: on a cat or a coffee cup even fp32 hovers near 0.5. */
const PEOPLE = [`${DARKNET}/person.jpg`, `${SKIMAGE}/astronaut.png`, `${SKIMAGE}/camera.png`];

/** The quantizer's settings for the shipped int8 files (its WASM-tuned defaults, spelled out). */
export const INT8_OPTIONS = { method: 'percentile', percentile: 99.999, skipDepthwise: true, minDepth: 32, concatSameScale: true };

/** The verify task for a catalog entry, or null when it has no comparable output. */
function verifyTask(name, entry) {
  if (entry.task === 'segment') return 'segment';
  if (entry.task === 'detect') return 'detect';
  if (entry.task === 'classify') return 'classify';
  if (entry.task === 'features' || entry.task === 'encode') return 'features';
  if (entry.task === 'generate') return 'generate';
  throw new Error(`${name}: no verification for task ${entry.task}`);
}

/** Calibration and verification inputs: photos through the entry's input spec, or seeded latents. */
function feedsFor(model, entry, purpose) {
  const image = entry.input?.color && entry.input.shape.length === 4;
  if (!image) return makeFeeds(model, { normal: 32, seed: purpose === 'calibrate' ? 1234 : 4242 }).feeds;
  const photos = entry.task === 'segment' && purpose === 'verify' ? PEOPLE : undefined;
  return makeFeeds(model, { spec: entry.input, photos }).feeds;
}

const describe = (r) => {
  const keep = ['backend', 'samples', 'maxAbsDiff', 'top1Agreement', 'maskIoU', 'worstMaskIoU', 'boxIoU', 'detectionAgreement', 'psnr', 'worstPsnr', 'meanCosine', 'minCosine', 'pass'];
  const out = {};
  for (const k of keep) if (r[k] !== undefined) out[k] = typeof r[k] === 'number' ? round(r[k], 4) : r[k];
  if (r.latency) out.latency = { threads: r.latency.threads, fp32CpuMs: r.latency.referenceCpuMs, cpuMs: r.latency.candidateCpuMs, ratio: r.latency.cpuRatio };
  return out;
};

async function variantsFor(name, entry, { latencyRuns, reverify }) {
  const fp32File = path.join(MODELS, entry.variants.fp32.file);
  const model = loadModel(fp32File);
  const task = verifyTask(name, entry);
  const calib = feedsFor(model, entry, 'calibrate');
  const check = feedsFor(model, entry, 'verify');
  const out = {};
  const stem = entry.variants.fp32.file.replace(/\.fp32\.onnx$/, '');
  const write = (precision, bytes) => {
    const file = `${stem}.${precision}.onnx`;
    fs.writeFileSync(path.join(MODELS, file), bytes);
    return { file, sha256: sha256(bytes), bytes: bytes.length };
  };

  const int8 = await quantizeInt8(model, calib, INT8_OPTIONS);
  const int8Meta = write('int8', encodeModel(int8.model));
  const fp16Meta = write('fp16', encodeModel(convertFp16(model, {}).model));
  // Same bytes as last time: keep the recorded figures (latency is a measurement and varies from run to
  // run; keeping it makes the catalog reproduce bit for bit). --reverify measures again.
  const prev = entry.variants;
  if (!reverify && prev.int8?.sha256 === int8Meta.sha256 && prev.fp16?.sha256 === fp16Meta.sha256 && prev.int8.verify && prev.fp16.verify) {
    return { int8: prev.int8, fp16: prev.fp16 };
  }
  const v8 = describe(
    await verifyNode({ candidate: path.join(MODELS, int8Meta.file), reference: fp32File, task, feeds: check, latencyRuns, runtime: 'web', threads: 1 }),
  );
  v8.reference = 'fp32 on onnxruntime-web 1.30 WASM (in Node), same inputs; latency is CPU time, 1 thread';
  // int8 is the WASM default only where it meets the accuracy bar and is actually faster than fp32 there.
  const fast = !v8.latency || v8.latency.ratio < 1;
  out.int8 = { ...int8Meta, verify: v8, ...(v8.pass && fast ? {} : { default: false }) };
  if (!(v8.pass && fast)) out.int8.notDefaultBecause = !v8.pass ? 'misses the accuracy bar' : `slower than fp32 on WASM (×${v8.latency.ratio})`;

  const v16 = describe(await verifyNode({ candidate: path.join(MODELS, fp16Meta.file), reference: fp32File, task, feeds: check, runtime: 'node' }));
  v16.reference = 'fp32 on onnxruntime-node CPU, same inputs (WebGPU fp16 needs shader-f16, which SwiftShader lacks: not measured on a GPU here)';
  out.fp16 = { ...fp16Meta, verify: v16, ...(v16.pass ? {} : { default: false }) };
  return out;
}

async function main(argv) {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
  const latencyRuns = argv.includes('--latency') ? Number(argv[argv.indexOf('--latency') + 1]) : 20;
  const reverify = argv.includes('--reverify');
  const catalogPath = path.join(MODELS, 'catalog.json');
  const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
  for (const [name, entry] of Object.entries(catalog.models)) {
    if (entry.parts || !entry.variants?.fp32 || (only && !only.includes(name))) continue;
    const t0 = Date.now();
    const made = await variantsFor(name, entry, { latencyRuns, reverify });
    entry.variants = { ...entry.variants, ...made };
    const i8 = made.int8.verify;
    process.stdout.write(
      `${name}: int8 ${JSON.stringify({ pass: i8.pass, ratio: i8.latency?.ratio, default: made.int8.default !== false })} fp16 pass ${made.fp16.verify.pass} (${Date.now() - t0} ms)\n`,
    );
    fs.writeFileSync(catalogPath, stableStringify(catalog));
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
