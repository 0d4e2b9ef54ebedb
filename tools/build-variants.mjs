#!/usr/bin/env node
// Second half of `npm run models`: for every catalog model with an fp32 file, makes the int8 (WASM) and
// fp16 (WebGPU) variants with the quantizer, verifies each against fp32 on real photos (or seeded latents),
// and records file, sha256, size, figures and whether the variant is a default in models/catalog.json.
// Deterministic: the same fp32 files and photos give the same bytes and the same catalog.
// Usage: node tools/build-variants.mjs [--only name,name] [--latency N] [--reverify] [--search [--target T]]
// Mixed precision: the nodes listed for a model in tools/int8-keep-float.json stay float in its int8 file.
// --search (re)makes that list for the --only models whose int8 misses its target on the *selection* photos
// (tools/lib/mixed.mjs: per-layer sensitivity, greedy; --target overrides the task's default target in
// SEARCH_METRICS), writes the file, then builds as usual.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel, loadModel, sha256 } from './lib/onnx-io.mjs';
import { makeFeeds } from './lib/inputs.mjs';
import { convertFp16, quantizeInt8 } from './lib/quantize.mjs';
import { verifyNode, round } from './lib/verify.mjs';
import { searchKeepFloat, SEARCH_METRICS } from './lib/mixed.mjs';
import { DEFAULT_PHOTOS, loadPhotoRgba, rgbaToTensor, specGeometry } from './lib/photos.mjs';
import { stableStringify, OBJECT_THRESHOLD } from './build-models.mjs';
import { OBJECT_ROWS } from './lib/detections.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.join(ROOT, 'models');
const SKIMAGE = '/usr/lib/python3/dist-packages/skimage/data';
const DARKNET = '/usr/share/darknet/data';
/** Person segmentation is judged on photos of people: on a cat or a coffee cup even fp32 hovers near 0.5. */
const PEOPLE = [`${DARKNET}/person.jpg`, `${SKIMAGE}/astronaut.png`, `${SKIMAGE}/camera.png`];

/**
 * Photos the mixed-precision search judges on: Debian photos that no model is verified on (people, a face,
 * non-people scenes). Each model's search uses those of them (and of the calibration photos) that are not
 * among its own verification photos, plus their mirror images.
 */
const SELECTION_EXTRA = [
  '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg', // python3-matplotlib-data: a portrait
  `${DARKNET}/scream.jpg`, `${SKIMAGE}/rocket.jpg`, `${SKIMAGE}/motorcycle_right.png`, `${SKIMAGE}/camera.png`,
];
/** Person segmentation is searched on photos with people too (see PEOPLE). */
const SELECTION_PEOPLE = ['/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg', `${DARKNET}/kite.jpg`, `${DARKNET}/scream.jpg`, `${DARKNET}/horses.jpg`];

/** The quantizer's settings for the shipped int8 files (its WASM-tuned defaults, spelled out). */
export const INT8_OPTIONS = { method: 'percentile', percentile: 99.999, skipDepthwise: true, minDepth: 32, concatSameScale: true };

export const KEEP_FLOAT_FILE = path.join(ROOT, 'tools', 'int8-keep-float.json');
/** Per model: the nodes its int8 file keeps float, as the last --search chose them (reviewed, committed). */
export function keepFloatLists() {
  return fs.existsSync(KEEP_FLOAT_FILE) ? JSON.parse(fs.readFileSync(KEEP_FLOAT_FILE, 'utf8')) : {};
}
/** The quantizer options for one model's shipped int8 file. */
export function int8OptionsFor(name, lists = keepFloatLists()) {
  const keep = lists[name]?.keepFloat ?? [];
  return keep.length ? { ...INT8_OPTIONS, exclude: keep } : { ...INT8_OPTIONS };
}

/** The verify task for a catalog entry, or null when it has no comparable output. */
function verifyTask(name, entry) {
  if (entry.task === 'segment') return 'segment';
  if (entry.task === 'detect') return entry.outputs?.[0]?.format === OBJECT_ROWS ? 'objects' : 'detect';
  if (entry.task === 'classify') return 'classify';
  if (entry.task === 'features' || entry.task === 'encode') return 'features';
  if (entry.task === 'generate') return 'generate';
  throw new Error(`${name}: no verification for task ${entry.task}`);
}

/** Calibration, verification and selection inputs: photos through the entry's input spec, or seeded latents. */
export function feedsFor(model, entry, purpose) {
  const image = entry.input?.color && entry.input.shape.length === 4;
  if (!image) return makeFeeds(model, { normal: 32, seed: { calibrate: 1234, verify: 4242, select: 777 }[purpose] }).feeds;
  if (purpose === 'select') return selectionFeeds(entry);
  const photos = entry.task === 'segment' && purpose === 'verify' ? PEOPLE : undefined;
  return makeFeeds(model, { spec: entry.input, photos }).feeds;
}

/** Photos a model is verified on. */
function verificationPhotos(entry) {
  return entry.task === 'segment' ? PEOPLE : DEFAULT_PHOTOS;
}

/** Selection inputs for the mixed-precision search: never a verification photo; each photo and its mirror. */
function selectionFeeds(entry) {
  const verify = new Set(verificationPhotos(entry));
  const pool = entry.task === 'segment' ? SELECTION_PEOPLE : [...DEFAULT_PHOTOS, ...SELECTION_EXTRA];
  const photos = [...new Set(pool)].filter((p) => !verify.has(p) && fs.existsSync(p));
  const spec = entry.input;
  const { width, height, dims } = specGeometry(spec);
  const feeds = [];
  for (const p of photos) {
    const rgba = loadPhotoRgba(p, width, height);
    const mirror = new Uint8Array(rgba.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) mirror.set(rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 4), (y * width + width - 1 - x) * 4);
    }
    for (const img of [rgba, mirror]) feeds.push({ [spec.name]: { data: rgbaToTensor(img, width, height, spec), dims } });
  }
  return feeds;
}

const describe = (r) => {
  const keep = ['backend', 'samples', 'maxAbsDiff', 'top1Agreement', 'maskIoU', 'worstMaskIoU', 'threshold', 'boxIoU', 'worstBoxIoU', 'detectionAgreement', 'topLabelAgreement', 'matched', 'unmatched', 'maxScoreDiff', 'psnr', 'worstPsnr', 'meanCosine', 'minCosine', 'pass'];
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

  const mixed = keepFloatLists()[name];
  const int8 = await quantizeInt8(model, calib, int8OptionsFor(name));
  const int8Meta = write('int8', encodeModel(int8.model));
  if (mixed?.keepFloat?.length) {
    // Reviewable record of the mixed precision: which nodes stay float and what the search saw on its photos.
    int8Meta.keepFloat = mixed.keepFloat;
    int8Meta.mixedPrecision = { method: mixed.method, metric: mixed.metric, target: mixed.target, selectionBefore: mixed.before, selectionAfter: mixed.after, candidates: mixed.candidates };
  }
  const fp16Meta = write('fp16', encodeModel(convertFp16(model, {}).model));
  // Same bytes as last time: keep the recorded figures (latency is a measurement and varies from run to
  // run; keeping it makes the catalog reproduce bit for bit). --reverify measures again.
  // A variant that missed its bar last time is recorded under rejectedVariants (its file is not shipped).
  const prev = { int8: entry.variants.int8 ?? entry.rejectedVariants?.int8, fp16: entry.variants.fp16 ?? entry.rejectedVariants?.fp16 };
  if (!reverify && prev.int8?.sha256 === int8Meta.sha256 && prev.fp16?.sha256 === fp16Meta.sha256 && prev.int8.verify && prev.fp16.verify) {
    const { keepFloat, mixedPrecision, reason, ...rest } = prev.int8;
    void keepFloat; void mixedPrecision; void reason;
    const { reason: r16, ...fp16Rest } = prev.fp16;
    void r16;
    return withoutRejected({ int8: { ...rest, ...int8Meta, verify: prev.int8.verify }, fp16: { ...fp16Rest, ...fp16Meta } });
  }
  const v8 = describe(
    await verifyNode({ candidate: path.join(MODELS, int8Meta.file), reference: fp32File, task, feeds: check, latencyRuns, runtime: 'web', threads: 1, ...(task === 'objects' ? { detThreshold: OBJECT_THRESHOLD } : {}) }),
  );
  v8.reference = 'fp32 on onnxruntime-web 1.30 WASM (in Node), same inputs; latency is CPU time, 1 thread';
  // int8 is the WASM default only where it meets the accuracy bar and is actually faster than fp32 there.
  const fast = !v8.latency || v8.latency.ratio < 1;
  out.int8 = { ...int8Meta, verify: v8, ...(v8.pass && fast ? {} : { default: false }) };
  if (!(v8.pass && fast)) out.int8.notDefaultBecause = !v8.pass ? 'misses the accuracy bar' : `slower than fp32 on WASM (×${v8.latency.ratio})`;

  const v16 = describe(await verifyNode({ candidate: path.join(MODELS, fp16Meta.file), reference: fp32File, task, feeds: check, runtime: 'node', ...(task === 'objects' ? { detThreshold: OBJECT_THRESHOLD } : {}) }));
  v16.reference = 'fp32 on onnxruntime-node CPU, same inputs (WebGPU fp16 needs shader-f16, which SwiftShader lacks: not measured on a GPU here)';
  out.fp16 = { ...fp16Meta, verify: v16, ...(v16.pass ? {} : { default: false }) };
  return withoutRejected(out);
}

/**
 * A variant that misses its accuracy bar is not shipped: its file is deleted and its figures are kept under
 * `rejected` (the catalog's rejectedVariants), so the catalog says why the precision is missing.
 */
function withoutRejected(made) {
  const variants = {}, rejected = {};
  for (const [p, v] of Object.entries(made)) {
    if (v.verify?.pass !== false) { variants[p] = v; continue; }
    fs.rmSync(path.join(MODELS, v.file), { force: true });
    const { file, default: d, notDefaultBecause, ...kept } = v;
    void file; void d; void notDefaultBecause;
    rejected[p] = { ...kept, reason: 'misses the accuracy bar; not shipped' };
  }
  return { variants, rejected };
}

/** Task metric the search drives for a catalog entry. */
const searchTask = (name, entry) => verifyTask(name, entry);

/** Re-runs the mixed-precision search for a model and stores its keep-float list in KEEP_FLOAT_FILE. */
async function search(name, entry, target) {
  const model = loadModel(path.join(MODELS, entry.variants.fp32.file));
  const task = searchTask(name, entry);
  const t0 = Date.now();
  const r = await searchKeepFloat(model, feedsFor(model, entry, 'calibrate'), feedsFor(model, entry, 'select'), {
    task, target, opts: INT8_OPTIONS, log: (s) => process.stdout.write(`  ${name} [${Math.round((Date.now() - t0) / 1000)}s] ${s}\n`),
  });
  const lists = keepFloatLists();
  const rounded = (x) => round(x, 4);
  if (r.keepFloat.length) {
    lists[name] = {
      method: 'per-node sensitivity (output SQNR with only that node int8), greedy most-sensitive-first, then pruned',
      metric: r.metric, target: r.target, before: rounded(r.before), after: rounded(r.after), candidates: r.candidates,
      keepFloat: r.keepFloat,
    };
  } else delete lists[name];
  fs.writeFileSync(KEEP_FLOAT_FILE, stableStringify(lists));
}

async function main(argv) {
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
  const latencyRuns = argv.includes('--latency') ? Number(argv[argv.indexOf('--latency') + 1]) : 20;
  const reverify = argv.includes('--reverify');
  const catalogPath = path.join(MODELS, 'catalog.json');
  const catalog = JSON.parse(fs.readFileSync(catalogPath, 'utf8'));
  if (argv.includes('--search')) {
    if (!only) throw new Error('--search needs --only name,name (it takes about a minute per model)');
    const target = argv.includes('--target') ? Number(argv[argv.indexOf('--target') + 1]) : undefined;
    for (const name of only) await search(name, catalog.models[name], target);
  }
  for (const [name, entry] of Object.entries(catalog.models)) {
    if (entry.parts || !entry.variants?.fp32 || (only && !only.includes(name))) continue;
    const t0 = Date.now();
    const { variants: made, rejected } = await variantsFor(name, entry, { latencyRuns, reverify });
    entry.variants = { ...entry.variants, ...made };
    for (const p of Object.keys(rejected)) delete entry.variants[p];
    if (Object.keys(rejected).length) entry.rejectedVariants = rejected;
    else delete entry.rejectedVariants;
    const i8 = (made.int8 ?? rejected.int8).verify;
    process.stdout.write(
      `${name}: int8 ${JSON.stringify({ pass: i8.pass, ratio: i8.latency?.ratio, shipped: !!made.int8, default: !!made.int8 && made.int8.default !== false })} fp16 pass ${(made.fp16 ?? rejected.fp16).verify.pass} (${Date.now() - t0} ms)\n`,
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
