#!/usr/bin/env node
// `npm run bench`: every element × model × backend on the same fake-camera video in headless Debian
// Chromium, with onnxruntime-node and MediaPipe tasks-vision as anchors. Writes
// bench/results/<date>.json and .md and prints the table. See bench/README.md.
//
//   node bench/run.mjs [--frames 300] [--warmup 20] [--quick] [--soak] [--only text] [--photo file]
//                      [--webgpu-frames 5] [--max-minutes 18] [--no-anchors] [--effect mask|blur|replace|none] [--out dir]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, findChromium } from '../scripts/chromium.mjs';
import { startServer } from '../scripts/serve.mjs';
import { anchorModel, cameraFrame } from './node-anchor.mjs';
import { rendererRssMB } from './process-memory.mjs';
import { fps, growthPct, markdownTable, ratio, round, summarize, verdict } from './stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 1024 * 1024;

const { values: argv } = parseArgs({
  options: {
    frames: { type: 'string' },
    warmup: { type: 'string' },
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    only: { type: 'string' },
    photo: { type: 'string', default: '/usr/lib/python3/dist-packages/skimage/data/astronaut.png' },
    'webgpu-frames': { type: 'string' },
    'no-anchors': { type: 'boolean', default: false },
    // <cv-segment>'s effect in the segment rows: mask (default), blur, replace or none.
    effect: { type: 'string', default: 'mask' },
    'max-minutes': { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});

const quick = argv.quick;
const opts = {
  frames: Number(argv.frames ?? (argv.soak ? 10000 : quick ? 40 : 300)),
  warmup: Number(argv.warmup ?? (quick ? 5 : 20)),
  webgpuFrames: Number(argv['webgpu-frames'] ?? 5),
  webgpuWarmup: 1,
  maxMinutes: Number(argv['max-minutes'] ?? 18),
  anchorIterations: quick ? 10 : 100,
  memAt: null,
  videoFps: 30,
  videoFrames: 60,
};
if (!(opts.frames > 0 && opts.warmup >= 0)) throw new Error('--frames must be > 0 and --warmup ≥ 0');
// Memory is read at frame 100 (1,000 and 10,000 for the soak) and at the last frame; short runs read it halfway.
// The soak reads it at a tenth of its frames and at the end: 1,000 and 10,000 by default.
opts.memAt = argv.soak ? [Math.round(opts.frames / 10), opts.frames] : [opts.warmup + opts.frames > 100 ? 100 : opts.warmup + Math.floor(opts.frames / 2)];

// ---- the fake camera: a real photo, panning slowly in a 2 s loop --------------------------------
function cameraVideo(photo) {
  const dir = join(ROOT, 'bench/results/tmp');
  mkdirSync(dir, { recursive: true });
  const name = photo.split('/').pop().replace(/\.\w+$/, '');
  const out = join(dir, `${name}-640x480-${opts.videoFps}fps-${opts.videoFrames}f.y4m`);
  if (existsSync(out) && statSync(out).mtimeMs > statSync(photo).mtimeMs) return out;
  // Cover-scale to 704×528, then a 640×480 window circles over it: every frame differs, the loop is seamless.
  const n = opts.videoFrames;
  const vf = `scale=704:528:force_original_aspect_ratio=increase,crop=704:528,crop=640:480:x='32+31*sin(2*PI*n/${n})':y='24+23*cos(2*PI*n/${n})'`;
  execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-loop', '1', '-i', photo, '-vf', vf, '-r', String(opts.videoFps), '-frames:v', String(n), '-pix_fmt', 'yuv420p', out], { stdio: 'inherit' });
  return out;
}

// ---- which cells ------------------------------------------------------------------------------------
const catalog = JSON.parse(readFileSync(join(ROOT, 'models/catalog.json'), 'utf8'));
// MediaPipe tasks-vision needs TFLite Metadata in the model: the catalog's `mediapipe` file is the
// source .tflite with it added (`cv-models add-metadata`, run by `npm run models`).
const mediapipeFile = (name) => (catalog.models[name]?.mediapipe?.file ? `/models/${catalog.models[name].mediapipe.file}` : null);
const ROWS = [
  { id: 'segment/selfie-segmentation', tag: 'cv-segment', src: 'selfie-segmentation', attrs: { effect: argv.effect }, models: ['selfie-segmentation'],
    mediapipe: { task: 'segment', model: mediapipeFile('selfie-segmentation'), of: 'selfie-segmentation' } },
  { id: 'segment/selfie-segmentation-landscape', tag: 'cv-segment', src: 'selfie-segmentation-landscape', attrs: { effect: argv.effect }, models: ['selfie-segmentation-landscape'],
    mediapipe: { task: 'segment', model: mediapipeFile('selfie-segmentation-landscape'), of: 'selfie-segmentation-landscape' } },
  { id: 'classify/roi=face', tag: 'cv-classify', src: 'expression', attrs: { roi: 'face' }, models: ['face-detection', 'expression'], pipeline: 'face',
    mediapipe: { task: 'face', model: mediapipeFile('face-detection'), of: 'face-detection', note: 'face detection only (no expression step)' } },
  // <cv-detect>: no MediaPipe cells. Its ObjectDetector needs a COCO .tflite (EfficientDet-Lite or SSD MobileNet
  // with TFLite Metadata) that no npm package we depend on ships, and models may not be downloaded here.
  { id: 'detect/object-detection', tag: 'cv-detect', src: 'object-detection', attrs: {}, models: ['object-detection'],
    mediapipe: { task: 'detect', model: null, of: 'object-detection',
      skip: 'MediaPipe Tasks ObjectDetector needs a COCO .tflite with TFLite Metadata (EfficientDet-Lite / SSD MobileNet); none is in any npm package we depend on (@mediapipe/tasks-vision ships no models), so there is no anchor rather than an invented one' } },
  { id: 'classify/fashion-cnn', tag: 'cv-classify', src: 'fashion-cnn', attrs: {}, models: ['fashion-cnn'] },
  ...['vae', 'dcgan', 'esrgan'].map((m) => ({ id: `generate/${m}`, tag: 'cv-generate', src: m, attrs: { variants: 1 }, models: [m] })),
];
// Anything else the catalog gains for classify or generate gets a row too.
const known = new Set(ROWS.flatMap((r) => r.models));
for (const [name, e] of Object.entries(catalog.models)) {
  if (known.has(name) || e.parts) continue;
  if (e.task === 'generate') ROWS.push({ id: `generate/${name}`, tag: 'cv-generate', src: name, attrs: { variants: 1 }, models: [name] });
  if (e.task === 'classify' && name !== 'expression') ROWS.push({ id: `classify/${name}`, tag: 'cv-classify', src: name, attrs: {}, models: [name] });
}
const BACKENDS = [
  { id: 'wasm-int8', label: 'WASM int8', backend: 'wasm', precision: 'int8' },
  { id: 'wasm-fp32', label: 'WASM fp32', backend: 'wasm', precision: 'fp32' },
  { id: 'webgpu', label: 'WebGPU fp16', backend: 'webgpu', precision: 'fp16', correctnessOnly: true },
  // Our element with backend="mediapipe": tasks-vision in our worker (the expression step stays on ONNX WASM).
  { id: 'element-mediapipe', label: 'ours, backend=mediapipe', backend: 'mediapipe', precision: '' },
  // Anchor (b): MediaPipe tasks-vision used directly, as an app would, on the page's main thread.
  { id: 'mediapipe-cpu', label: 'MediaPipe CPU (tasks-vision direct)', mediapipe: true },
];

/** The graphs a row runs (parts expanded) and, for each, its catalog entry. */
function graphsOf(row) {
  const out = [];
  for (const m of row.models) {
    const e = catalog.models[m];
    if (!e) return { missing: m };
    if (e.parts) for (const p of Object.values(e.parts)) out.push(p);
    else out.push(m);
  }
  return { graphs: out };
}

function planCells() {
  const cells = [];
  for (const row of ROWS) {
    for (const b of BACKENDS) {
      const cell = { id: `${row.id} ${b.id}`, element: row.tag, attrs: row.attrs, model: row.src, backend: b.label, row, b };
      if (argv.only && !cell.id.includes(argv.only)) continue;
      if (b.mediapipe) {
        if (!row.mediapipe) continue; // MediaPipe has no such task: no cell at all
        if (row.mediapipe.skip) cell.skipped = row.mediapipe.skip;
        else if (!row.mediapipe.model) cell.skipped = `the catalog has no MediaPipe (.tflite with metadata) file for ${row.mediapipe.of} yet`;
        else if (!existsSync(join(ROOT, row.mediapipe.model))) cell.skipped = `${row.mediapipe.model} is missing`;
        cells.push(cell);
        continue;
      }
      if (b.backend === 'mediapipe') {
        if (!row.mediapipe) continue;
        if (row.mediapipe.skip) cell.skipped = row.mediapipe.skip;
        else if (!row.mediapipe.model) cell.skipped = `the catalog has no MediaPipe (.tflite with metadata) file for ${row.mediapipe.of} yet`;
        cell.graphs = [];
        cells.push(cell);
        continue;
      }
      const { graphs, missing } = graphsOf(row);
      if (missing) cell.skipped = `"${missing}" is not in models/catalog.json yet`;
      else {
        const lacking = graphs.filter((g) => !catalog.models[g]?.variants?.[b.precision]);
        if (lacking.length) cell.skipped = `no ${b.precision} variant of ${lacking.join(', ')} in the catalog yet`;
        else cell.graphs = graphs;
      }
      cells.push(cell);
    }
  }
  return cells;
}

// ---- running a cell in the browser -------------------------------------------------------------
let browser;
let baseUrl;
const external = [];

async function openCell(context, cfg) {
  const page = await context.newPage();
  await page.exposeFunction('__benchRendererRssMB', () => rendererRssMB());
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('INFO:') && consoleErrors.push(m.text().slice(0, 300)));
  page.on('pageerror', (e) => consoleErrors.push(String(e).slice(0, 300)));
  page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`HTTP ${r.status()} ${r.url()}`));
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['localhost', '127.0.0.1'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) external.push(req.url());
  });
  await page.goto(`${baseUrl}bench/page.html?c=${encodeURIComponent(JSON.stringify(cfg))}`);
  let timer;
  const guard = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('page did not answer')), cfg.timeoutMs + 30000)));
  try {
    const r = await Promise.race([page.evaluate(() => window.__benchResult), guard]);
    r.consoleErrors = consoleErrors;
    return r;
  } finally {
    clearTimeout(timer);
    await page.close();
  }
}

function pageConfig(cell, mode) {
  const webgpu = cell.b.backend === 'webgpu';
  const frames = webgpu ? Math.min(opts.frames, opts.webgpuFrames) : opts.frames;
  const warmup = webgpu ? Math.min(opts.warmup, opts.webgpuWarmup) : opts.warmup;
  const perFrame = webgpu ? 5000 : 1000;
  // A run's time budget keeps a full default run well under 20 minutes even with slow cells.
  const budgetMs = argv.soak ? 0 : webgpu ? 30000 : 150000;
  // The cold page stops at cv-ready on WebGPU: a SwiftShader first frame takes seconds and tells nothing new.
  const timeoutMs = webgpu ? 90000 : 90000 + (mode === 'load' ? perFrame : (frames + warmup) * perFrame);
  const base = { mode, frames, warmup, memAt: opts.memAt, budgetMs, endAtReady: webgpu && mode === 'load', timeoutMs };
  if (cell.b.mediapipe) return { ...base, kind: 'mediapipe', task: cell.row.mediapipe.task, model: cell.row.mediapipe.model };
  const ortRun =
    mode === 'run' && cell.b.backend === 'wasm' && !argv.soak
      ? { models: cell.graphs.map((g) => ({ name: g, url: `/models/${catalog.models[g].variants[cell.b.precision].file}` })), runs: opts.anchorIterations, warmup: 5 }
      : null;
  const attrs = { ...cell.attrs, src: cell.model, backend: cell.b.backend };
  if (cell.b.precision) attrs.precision = cell.b.precision;
  return { ...base, ortRun, kind: 'element', tag: cell.element, attrs };
}

/** The WebGPU adapter Chromium offers here: its description and whether it has shader-f16. */
async function webgpuAdapter() {
  const page = await browser.newPage();
  try {
    await page.goto(`${baseUrl}bench/page.html`);
    return await page.evaluate(async () => {
      const a = await navigator.gpu?.requestAdapter();
      if (!a) return null;
      const i = a.info ?? {};
      return { f16: a.features.has('shader-f16'), vendor: i.vendor, architecture: i.architecture, description: i.description };
    });
  } catch {
    return null;
  } finally {
    await page.close();
  }
}

/** Raw page output → the cell's figures. */
function analyse(cell, cold, run) {
  const cfg = run.cfg;
  const steadyFrames = run.frames.filter((f) => f[0] > cfg.warmup);
  const start = run.steady?.at ?? (run.frames[0]?.[3] ?? 0);
  const end = run.end?.at ?? (run.frames.at(-1)?.[3] ?? 0);
  const probeWindows = (run.probes ?? []).map((p) => [p.at, p.at + (p.probeMs ?? 0)]);
  const inProbe = (t) => probeWindows.some(([a, b]) => t >= a - 1 && t <= b + 1);
  const steadyLong = (run.longTasks ?? []).filter((t) => t.start >= start && t.start <= end);
  const counted = steadyLong.filter((t) => !inProbe(t.start));
  const steadyLoaf = (run.loafs ?? []).filter((t) => t.start >= start && t.start <= end);
  const mem = (p) =>
    p && {
      frame: p.frame,
      heapUsedMB: p.heap ? round(p.heap.used / MB) : null,
      uaTotalMB: p.ua ? round(p.ua.bytes / MB) : null,
      uaWorkerMB: p.ua ? round((p.ua.byScope.DedicatedWorkerGlobalScope ?? 0) / MB) : null,
      uaWindowMB: p.ua ? round((p.ua.byScope.Window ?? 0) / MB) : null,
      rendererRssMB: p.rssMB ?? null,
      probeMs: round(p.probeMs),
      uaError: p.uaError ?? undefined,
    };
  const probes = run.probes ?? [];
  const lastProbe = probes.at(-1);
  const extras = steadyFrames.map((f) => f[4]).filter((x) => x !== null && x !== undefined);
  const measured = steadyFrames.length;
  const errors = [...(cold?.errors ?? []).map((e) => ({ phase: 'cold', ...e })), ...run.errors.map((e) => ({ phase: 'cached', ...e }))];
  return {
    threads: run.ready?.threads ?? null,
    precisionLoaded: run.ready?.precision ?? null,
    load: {
      coldMs: round(cold?.ready?.loadMs),
      coldFromCache: cold?.ready?.fromCache ?? null,
      cachedMs: round(run.ready?.loadMs),
      cachedFromCache: run.ready?.fromCache ?? null,
    },
    // The cached page's start, since navigation: element created (page script ran), ready, first result;
    // and where the element's load went (cv-ready's timings).
    startup: {
      createdAtMs: round(run.createdAt),
      readyAtMs: round(run.readyAt),
      firstResultAtMs: round(run.firstResultAt),
      ready: run.ready?.timings ? Object.fromEntries(Object.entries(run.ready.timings).map(([k, v]) => [k, round(v)])) : undefined,
    },
    firstResult: {
      coldSinceCreateMs: round(cold?.firstResultAt - cold?.createdAt),
      cachedSinceCreateMs: round(run.firstResultAt - run.createdAt),
      cachedSinceNavigationMs: round(run.firstResultAt),
    },
    framesMeasured: measured,
    truncated: run.truncated ?? undefined,
    warmup: cfg.warmup,
    inference: summarize(steadyFrames.map((f) => f[2])),
    // Medians of where each frame's latency went (element cells): page grab, trip to the worker, waiting there,
    // runtime, pre/post-processing, compositing, trip back, paint.
    phasesMedianMs: steadyFrames[0]?.[5]
      ? Object.fromEntries(Object.keys(steadyFrames[0][5]).map((k) => [k, summarize(steadyFrames.map((f) => f[5]?.[k]).filter((v) => typeof v === 'number')).median]))
      : undefined,
    latency: summarize(steadyFrames.map((f) => f[1])),
    fps: fps(steadyFrames.map((f) => f[3])),
    dropped: run.stats?.dropped ?? null,
    longTasks: {
      count: counted.length,
      totalMs: round(counted.reduce((a, t) => a + t.duration, 0)),
      maxMs: round(Math.max(0, ...counted.map((t) => t.duration))),
      duringMemoryProbe: steadyLong.length - counted.length,
    },
    longAnimationFrames: run.loafSupported
      ? { count: steadyLoaf.length, totalMs: round(steadyLoaf.reduce((a, t) => a + t.duration, 0)), blockingMs: round(steadyLoaf.reduce((a, t) => a + (t.blocking ?? 0), 0)) }
      : 'not supported',
    mainThreadMsPerFrame: run.steady && run.end && measured ? round((run.end.busy - run.steady.busy) / measured, 3) : null,
    mainThreadMsPerFrameBy: Object.fromEntries(Object.entries(run.mainThreadByLabel ?? {}).map(([k, v]) => [k, measured ? round(v / measured, 3) : null])),
    mainThreadMethod: `performance.now() wrappers around: ${[...new Set(run.wrapped ?? [])].join(', ')}`,
    memory: {
      at: probes.map(mem),
      atFirst: mem(probes[0]),
      atLast: mem(lastProbe),
    },
    output: summariseExtras(cell, extras),
    ortWebSessionRun: run.ortWeb
      ? run.ortWeb.ok
        ? Object.fromEntries(Object.entries(run.ortWeb.times).map(([k, v]) => [k, summarize(v)]))
        : { error: run.ortWeb.error }
      : undefined,
    errors: errors.length ? errors : undefined,
    consoleErrors: [...(cold?.consoleErrors ?? []), ...(run.consoleErrors ?? [])].slice(0, 10),
  };
}

/** What the frames said, to compare backends for correctness (foreground share, top labels, faces). */
function summariseExtras(cell, extras) {
  if (!extras.length) return null;
  if (typeof extras[0] === 'number') return { facesMedian: summarize(extras).median };
  if (typeof extras[0] === 'number') return { facesMedian: summarize(extras).median };
  if ('objects' in extras[0]) {
    const count = {};
    for (const e of extras) count[e.top] = (count[e.top] ?? 0) + 1;
    const top = Object.entries(count).sort((a, b) => b[1] - a[1])[0];
    return { topObject: top?.[0] ?? null, topObjectShare: top ? round(top[1] / extras.length) : null, objectsMedian: summarize(extras.map((e) => e.objects)).median };
  }
  if ('fg' in extras[0]) return { foregroundMedian: summarize(extras.map((e) => e.fg)).median };
  if ('top' in extras[0]) {
    const count = {};
    for (const e of extras) count[e.top] = (count[e.top] ?? 0) + 1;
    const top = Object.entries(count).sort((a, b) => b[1] - a[1])[0];
    return { topLabel: top?.[0] ?? null, topLabelShare: top ? round(top[1] / extras.length) : null, facesMedian: summarize(extras.map((e) => e.faces ?? 0)).median };
  }
  return null;
}

async function runCell(cell) {
  const context = await browser.newContext({ viewport: { width: 700, height: 540 } });
  try {
    const t0 = Date.now();
    const cold = await openCell(context, pageConfig(cell, 'load')); // Cache API empty: a fresh context
    const t1 = Date.now();
    const run = await openCell(context, pageConfig(cell, 'run')); // fresh page, Cache API filled
    process.stdout.write(`[cold page ${((t1 - t0) / 1000).toFixed(1)} s, cached page ${((Date.now() - t1) / 1000).toFixed(1)} s] `);
    if (!run.ready || run.frames.length === 0) {
      return { error: [...cold.errors, ...run.errors].map((e) => `${e.code}: ${e.message}`).join('; ') || 'no results', consoleErrors: [...cold.consoleErrors, ...run.consoleErrors].slice(0, 10) };
    }
    return analyse(cell, cold, run);
  } finally {
    await context.close();
  }
}

// ---- anchors, ratios, targets ---------------------------------------------------------------------
async function nodeAnchors(cells, threads, frame) {
  const wanted = new Map();
  for (const c of cells) {
    if (c.skipped || c.error || c.b.backend !== 'wasm') continue;
    for (const g of c.graphs) wanted.set(`${g}.${c.b.precision}`, { name: g, precision: c.b.precision });
  }
  const out = {};
  for (const [key, { name, precision }] of wanted) {
    const e = catalog.models[name];
    process.stdout.write(`  onnxruntime-node ${key} … `);
    try {
      out[key] = await anchorModel({ file: join(ROOT, 'models', e.variants[precision].file), spec: e.input ?? null, frame, threads, iterations: opts.anchorIterations });
      console.log(`median ${out[key].median} ms, p95 ${out[key].p95} ms`);
    } catch (err) {
      out[key] = { error: String(err.message ?? err) };
      console.log(`failed: ${out[key].error}`);
    }
  }
  return out;
}

/** onnxruntime-node time for the runs one of the element's frames makes (face pipeline: detector + one classifier run per face). */
function nodePerFrame(cell, anchors) {
  const get = (g) => anchors[`${g}.${cell.b.precision}`]?.median;
  if (cell.row.pipeline === 'face') {
    const faces = cell.result.output?.facesMedian ?? 1;
    const det = get('face-detection'), cls = get(cell.model);
    return det === undefined || cls === undefined ? null : round(det + faces * cls);
  }
  const parts = cell.graphs.map(get);
  return parts.some((p) => p === undefined || p === null) ? null : round(parts.reduce((a, b) => a + b, 0));
}

/** onnxruntime-web session.run time for the runs one frame makes, composed like nodePerFrame. */
function ortWebPerFrame(cell) {
  const runs = cell.result.ortWebSessionRun;
  if (!runs || runs.error) return null;
  const get = (g) => runs[g]?.median;
  if (cell.row.pipeline === 'face') {
    const faces = cell.result.output?.facesMedian ?? 1;
    const det = get('face-detection'), cls = get(cell.model);
    return det == null || cls == null ? null : round(det + faces * cls);
  }
  const parts = cell.graphs.map(get);
  return parts.some((p) => p == null) ? null : round(parts.reduce((a, b) => a + b, 0));
}

function targets(cells, soak) {
  const t = [];
  const ok = (c) => c && !c.skipped && !c.error && c.result;
  const find = (row, b) => cells.find((c) => c.row.id === row && c.b.id === b);
  const seg = 'segment/selfie-segmentation';
  const ours = find(seg, 'wasm-int8');
  const mp = find(seg, 'mediapipe-cpu');
  const v = ok(ours) && ok(mp) ? ratio(ours.result.latency.median, mp.result.latency.median) : null;
  t.push({ target: 'selfie segmentation: ours WASM int8 / MediaPipe CPU, median latency', op: '<=', goal: 0.8, value: v, verdict: verdict(v, '<=', 0.8),
    note: ok(ours) ? undefined : `WASM int8 cell: ${ours?.skipped ?? ours?.error ?? 'not run'}`,
    informational: ok(find(seg, 'wasm-fp32')) && ok(mp) ? { fp32OverMediaPipe: ratio(find(seg, 'wasm-fp32').result.latency.median, mp.result.latency.median) } : undefined });
  for (const c of cells) {
    if (!ok(c) || c.b.backend !== 'wasm') continue;
    const r = c.ratios?.oursOverNode ?? null;
    t.push({ target: `${c.id}: ours WASM / onnxruntime-node, median inference`, op: '<=', goal: 1.5, value: r, verdict: verdict(r, '<=', 1.5) });
  }
  for (const row of ROWS) {
    const i8 = find(row.id, 'wasm-int8'), f32 = find(row.id, 'wasm-fp32');
    if (!i8 && !f32) continue;
    const r = ok(i8) && ok(f32) ? ratio(i8.result.inference.median, f32.result.inference.median) : null;
    t.push({ target: `${row.id}: int8 / fp32 on WASM, median inference`, op: '<=', goal: 0.6, value: r, verdict: verdict(r, '<=', 0.6),
      note: r === null ? (i8?.skipped ?? f32?.skipped ?? i8?.error ?? f32?.error) : undefined });
  }
  for (const c of cells) {
    if (!ok(c) || c.b.mediapipe) continue;
    const lt = c.result.longTasks.count;
    t.push({ target: `${c.id}: main-thread long tasks (> 50 ms) in steady state`, op: '==', goal: 0, value: lt, verdict: verdict(lt, '==', 0), correctnessOnly: c.b.correctnessOnly || undefined });
    const mt = c.result.mainThreadMsPerFrame;
    t.push({ target: `${c.id}: main-thread ms per frame`, op: '<=', goal: 2, value: mt, verdict: verdict(mt, '<=', 2), correctnessOnly: c.b.correctnessOnly || undefined });
    const fr = c.result.firstResult.cachedSinceNavigationMs;
    t.push({ target: `${c.id}: cold start (navigation) to first result, models cached`, op: '<=', goal: 1500, value: fr, verdict: verdict(fr, '<=', 1500), correctnessOnly: c.b.correctnessOnly || undefined });
  }
  if (soak) t.push({ target: `soak: memory growth frame ${soak.frames[0]} → ${soak.frames[1]} (worst of renderer RSS and page + worker JS memory)`, op: '<=', goal: 5, value: soak.growthPct, verdict: verdict(soak.growthPct, '<=', 5) });
  return t;
}

// ---- the report --------------------------------------------------------------------------------------
const HEADERS = ['element', 'model', 'backend', 'load cold ms', 'load cached ms', 'first result ms', 'inference med ms', 'inference p95 ms',
  'latency med ms', 'latency p95 ms', 'fps', 'long tasks (n / ms)', 'main ms/frame', 'heap MB @100 → last', 'UA mem MB @100 → last', 'renderer RSS MB @100 → last', 'ort-web run med ms', 'node med ms', 'ours / node', 'ort-web / node'];

function tableRows(cells) {
  return cells.map((c) => {
    const tag = c.element + (c.attrs?.roi ? ` roi=${c.attrs.roi}` : '');
    const backend = c.backend + (c.b.correctnessOnly ? ' (SwiftShader: correctness only)' : '') + (c.b.mediapipe && c.row.mediapipe?.note ? ` (${c.row.mediapipe.note})` : '');
    const model = c.b.mediapipe ? (c.row.mediapipe.model ?? c.row.mediapipe.of).split('/').pop() : c.model;
    if (c.skipped || c.error) return [tag, model, backend, c.skipped ? `skipped: ${c.skipped}` : `error: ${c.error.slice(0, 120)}`, ...HEADERS.slice(4).map(() => null)];
    const r = c.result;
    const memPair = (k) => (r.memory.atFirst && r.memory.atLast ? `${r.memory.atFirst[k] ?? '–'} → ${r.memory.atLast[k] ?? '–'}` : null);
    return [tag, model, backend, r.load.coldMs, r.load.cachedMs, r.firstResult.cachedSinceNavigationMs, r.inference.median, r.inference.p95,
      r.latency.median, r.latency.p95, r.fps, `${r.longTasks.count} / ${r.longTasks.totalMs}`, r.mainThreadMsPerFrame, memPair('heapUsedMB'), memPair('uaTotalMB'), memPair('rendererRssMB'),
      c.ortWebPerFrameMs ?? null, c.nodePerFrameMs ?? null, c.ratios?.oursOverNode ?? null, c.ratios?.ortWebOverNode ?? null];
  });
}

const PHASES = ['grabMs', 'toWorkerMs', 'waitMs', 'runMs', 'pipelineMs', 'resizeMs', 'compositeMs', 'backMs', 'paintMs'];
function phaseRows(cells) {
  return cells
    .filter((c) => c.result?.phasesMedianMs)
    .map((c) => [c.element + (c.attrs?.roi ? ` roi=${c.attrs.roi}` : ''), c.model, c.backend, ...PHASES.map((k) => c.result.phasesMedianMs[k] ?? null), c.result.latency.median]);
}

function targetRows(list) {
  return list.map((t) => [t.target + (t.correctnessOnly ? ' (SwiftShader, not a performance figure)' : ''), `${t.op} ${t.goal}`, t.value, t.verdict + (t.note ? ` (${t.note})` : '')]);
}

// ---- main ------------------------------------------------------------------------------------------------
async function main() {
  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const suffix = argv.soak ? '-soak' : quick ? '-quick' : argv.only ? '-partial' : '';
  const video = cameraVideo(argv.photo);
  const server = await startServer({ port: 0, quiet: true });
  baseUrl = server.url;
  const exe = findChromium();
  browser = await chromium.launch({
    executablePath: exe,
    args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${video}`, '--enable-precise-memory-info', '--enable-blink-features=ForceEagerMeasureMemory', '--autoplay-policy=no-user-gesture-required'],
  });
  const gpu = await webgpuAdapter();
  const gpuCells = BACKENDS.find((b) => b.id === 'webgpu');
  if (gpu && !gpu.f16) {
    // SwiftShader has no shader-f16: fp16 graphs cannot run, so the WebGPU path is checked with fp32.
    Object.assign(gpuCells, { precision: 'fp32', label: 'WebGPU fp32 (adapter has no shader-f16)' });
  }
  let cells = planCells();
  if (argv.soak) {
    // --only picks another cell to soak (the first one that can run).
    const pick = argv.only
      ? cells.find((c) => !c.skipped)
      : cells.find((c) => c.row.id === 'segment/selfie-segmentation' && c.b.id === 'wasm-int8' && !c.skipped) ?? cells.find((c) => c.row.id === 'segment/selfie-segmentation' && c.b.id === 'wasm-fp32');
    cells = pick ? [pick] : [];
  }
  const load0 = os.loadavg();
  console.log(`cv-elements bench: ${cells.length} cells, ${opts.frames} frames after ${opts.warmup} warm-up (WebGPU: ${opts.webgpuFrames}), Chromium ${browser.version()}, camera ${video}`);
  try {
    // WebGPU cells (correctness only here) run last, so a run that hits --max-minutes loses those first.
    const order = [...cells.filter((c) => c.b.backend !== 'webgpu'), ...cells.filter((c) => c.b.backend === 'webgpu')];
    for (const cell of order) {
      if (!cell.skipped && Date.now() - started.getTime() > opts.maxMinutes * 60000) {
        cell.skipped = `the run passed its ${opts.maxMinutes}-minute budget (--max-minutes)`;
      }
      if (cell.skipped) {
        console.log(`- ${cell.id}: skipped (${cell.skipped})`);
        continue;
      }
      const t0 = Date.now();
      process.stdout.write(`- ${cell.id} … `);
      try {
        const r = await runCell(cell);
        if (r.error) Object.assign(cell, { error: r.error, consoleErrors: r.consoleErrors });
        else cell.result = r;
      } catch (e) {
        cell.error = String(e?.message ?? e);
      }
      const r = cell.result;
      console.log(cell.error ? `error: ${cell.error.slice(0, 300)}` : `inference ${r.inference.median} ms, latency ${r.latency.median} ms, ${r.fps} fps, main ${r.mainThreadMsPerFrame} ms/frame (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await browser.close();
    server.server.close();
  }
  const load1 = os.loadavg();

  // Anchor (a), after the browser is gone so the two do not share the CPU.
  const threads = cells.find((c) => c.result?.threads)?.result.threads ?? Math.min(4, os.availableParallelism());
  let anchors = {};
  if (!argv['no-anchors'] && !argv.soak) {
    console.log(`anchors: onnxruntime-node, ${threads} threads, ${opts.anchorIterations} runs each`);
    anchors = await nodeAnchors(cells, threads, cameraFrame(argv.photo));
  }
  for (const c of cells) {
    if (!c.result || c.b.backend !== 'wasm') continue;
    c.nodePerFrameMs = nodePerFrame(c, anchors);
    c.ortWebPerFrameMs = ortWebPerFrame(c);
    c.ratios = {
      oursOverNode: ratio(c.result.inference.median, c.nodePerFrameMs),
      // The runtime alone (wasm vs native), without our frame grab and pre/post-processing.
      ortWebOverNode: ratio(c.ortWebPerFrameMs, c.nodePerFrameMs),
    };
  }
  // WebGPU correctness: its output next to WASM fp32's on the same video.
  for (const c of cells) {
    if (!c.result || !c.b.correctnessOnly) continue;
    const ref = cells.find((x) => x.row === c.row && x.b.id === 'wasm-fp32')?.result?.output;
    c.correctness = { webgpu: c.result.output, wasmFp32: ref ?? null };
  }
  let soak = null;
  if (argv.soak && cells[0]?.result) {
    const at = cells[0].result.memory.at;
    const [fa, fb] = opts.memAt;
    const a = at.find((m) => m?.frame === fa), b = at.find((m) => m?.frame === fb);
    soak = {
      cell: cells[0].id,
      frames: [fa, fb],
      at1000: a ?? null,
      at10000: b ?? null,
      rssGrowthPct: growthPct(a?.rendererRssMB, b?.rendererRssMB),
      uaGrowthPct: growthPct(a?.uaTotalMB, b?.uaTotalMB),
      heapGrowthPct: growthPct(a?.heapUsedMB, b?.heapUsedMB),
      workerGrowthPct: growthPct(a?.uaWorkerMB, b?.uaWorkerMB),
    };
    // Judged on the worst of the renderer's resident set (wasm included) and the JS memory of page + worker.
    const g = [soak.rssGrowthPct, soak.uaGrowthPct].filter((x) => x !== null);
    soak.growthPct = g.length ? Math.max(...g) : null;
  }
  const targetList = targets(cells, soak);
  const report = {
    date,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: round(os.totalmem() / 1024 ** 3, 1),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      chromium: exe,
      loadAverage: { start: load0.map((x) => round(x)), end: load1.map((x) => round(x)) },
      webgpuAdapter: gpu,
      note: 'Headless Chromium has no GPU here: WebGPU runs on SwiftShader (CPU), so its cells are for correctness only.',
    },
    options: { ...opts, photo: argv.photo, video, quick, soak: argv.soak, only: argv.only ?? null },
    anchors: { onnxruntimeNode: anchors, mediapipe: 'cells with backend "MediaPipe CPU" (tasks-vision, delegate CPU, on the page main thread)' },
    externalRequests: external,
    cells: cells.map(({ row, b, ...c }) => ({ ...c, backendId: b.id, correctnessOnly: b.correctnessOnly ?? false })),
    soak,
    targets: targetList,
  };
  mkdirSync(argv.out, { recursive: true });
  const jsonFile = join(argv.out, `${date}${suffix}.json`);
  const mdFile = join(argv.out, `${date}${suffix}.md`);
  writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
  const md =
    `# cv-elements bench, ${date}${suffix ? ` (${suffix.slice(1)})` : ''}\n\n` +
    `${report.machine.cpus}× ${report.machine.cpuModel}, ${report.machine.memoryGB} GB, ${report.machine.os}, Node ${process.version}, Chromium ${exe}; ` +
    `load average ${load0.map((x) => x.toFixed(2)).join(' ')} → ${load1.map((x) => x.toFixed(2)).join(' ')}. ` +
    `${opts.frames} frames per cell after ${opts.warmup} warm-up frames (WebGPU ${opts.webgpuFrames}), camera: ${argv.photo.split('/').pop()} at 640×480, ${opts.videoFps} fps.\n\n` +
    markdownTable(HEADERS, tableRows(cells)) +
    `\n## Where the latency goes (medians, ms)\n\nMeasured by the element for each frame: grabbing the frame on the page, the trip to the worker, waiting there, the model runtime (session.run or the MediaPipe task), our pre/post-processing, compositing (cv-segment, in the worker), the trip back, painting on the page.\n\n` +
    markdownTable(['element', 'model', 'backend', 'grab', 'to worker', 'wait', 'runtime', 'pre/post', '(of it resize)', 'composite', 'back', 'paint', 'latency'], phaseRows(cells)) +
    `\n## Targets\n\n` +
    markdownTable(['target', 'goal', 'measured', 'verdict'], targetRows(targetList)) +
    (soak ? `\n## Soak\n\n${soak.cell}, frame ${soak.frames[0]} → ${soak.frames[1]}: renderer RSS ${soak.at1000?.rendererRssMB} → ${soak.at10000?.rendererRssMB} MB (${soak.rssGrowthPct} %); page + worker JS memory (measureUserAgentSpecificMemory) ${soak.at1000?.uaTotalMB} → ${soak.at10000?.uaTotalMB} MB (${soak.uaGrowthPct} %); worker ${soak.at1000?.uaWorkerMB} → ${soak.at10000?.uaWorkerMB} MB (${soak.workerGrowthPct} %); main-thread JS heap ${soak.at1000?.heapUsedMB} → ${soak.at10000?.heapUsedMB} MB (${soak.heapGrowthPct} %).\n` : '') +
    (external.length ? `\n**External requests seen: ${external.length}** (${external.slice(0, 3).join(', ')})\n` : '');
  writeFileSync(mdFile, md);
  console.log('\n' + md);
  console.log(`wrote ${jsonFile} and ${mdFile}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
