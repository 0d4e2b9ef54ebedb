// Fuzzes the tools' model readers: seeded, deterministic mutations (bit flips, truncation, length and
// offset inflation, shape inflation, splices, JSON field swaps) of real small .tflite, .onnx and TF.js
// model.json files, run through what `cv-models inspect` and `cv-models convert` run (and the ONNX
// initializer reader quantize uses). Every case must end in a result or a ConversionError (the
// ModelFileError family) within a time bound, with bounded memory; a TypeError/RangeError that escapes,
// a hang or a crash fails the test. The cases run in a worker thread so a hang can be cut off.
// FUZZ_REPORT=1 prints the figures per format (docs/reliability-tools.md quotes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./fuzz-cases.mjs', import.meta.url));
const CASE_TIMEOUT_MS = 10000; // per case; the slowest seen is well under a second
const RSS_LIMIT = 1536 << 20;

const SOURCES = {
  tflite: ['models/face-detection.tflite', 'models/selfie-segmentation.tflite'],
  onnx: ['tools/tests/fixtures/models/tiny-segmenter.onnx', 'tools/tests/fixtures/models/tiny-classifier.onnx', 'tools/tests/fixtures/models/tiny-generator.onnx', 'models/face-detection.int8.onnx'],
  tfjs: ['node_modules/@vladmandic/human/models/emotion.json', 'node_modules/@upscalerjs/esrgan-slim/models/x2/model.json'],
};
// FUZZ_SCALE=0.2 runs a fifth of the cases (the same first seeds), for a quick look.
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const CASES_PER_SOURCE = Object.fromEntries(Object.entries({ tflite: 75, onnx: 35, tfjs: 65 }).map(([k, v]) => [k, Math.max(1, Math.round(v * SCALE))]));

// ---------------- main: drives the cases ----------------

/** Runs the cases in a worker, one at a time; a case over the time bound terminates the worker. */
async function fuzz(cases) {
  const results = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-fuzz-'));
  let i = 0;
  try {
    while (i < cases.length) {
      const worker = new Worker(WORKER, { workerData: { fuzzWorker: true, dir }, resourceLimits: { maxOldGenerationSizeMb: 768 } });
      await new Promise((resolve) => {
        let timer;
        const send = () => {
          if (i >= cases.length) { clearTimeout(timer); worker.postMessage('exit'); return; }
          timer = setTimeout(() => { results.push({ ...cases[i], fault: `hang: no answer in ${CASE_TIMEOUT_MS} ms` }); i++; worker.terminate(); }, CASE_TIMEOUT_MS);
          worker.postMessage(cases[i]);
        };
        worker.on('message', (m) => { clearTimeout(timer); results.push(m); i++; send(); });
        worker.on('error', (err) => { clearTimeout(timer); results.push({ ...cases[i], fault: `crash: ${err.message}` }); i++; });
        worker.on('exit', () => { clearTimeout(timer); resolve(); });
        send();
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** A result is acceptable when every step returned or threw a ConversionError (ModelFileError included). */
function faultOf(r) {
  if (r.fault) return r.fault;
  for (const [step, o] of Object.entries(r.outcome)) {
    if (o !== 'ok' && !['ConversionError', 'ModelFileError'].includes(o.name)) return `${step}: ${o.name}: ${o.message}`;
  }
  if (r.ms > CASE_TIMEOUT_MS / 2) return `slow: ${r.ms.toFixed(0)} ms`;
  if (r.rss > RSS_LIMIT) return `memory: RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB`;
  return null;
}

test('fuzz: mutated .tflite, .onnx and model.json files give a result or a clear error, in bounded time and memory', { timeout: 300000 }, async () => {
    const cases = [];
    let seed = 1;
    for (const [format, files] of Object.entries(SOURCES)) {
      for (const source of files) for (let k = 0; k < CASES_PER_SOURCE[format]; k++) cases.push({ format, source, seed: seed++ });
    }
    const t0 = performance.now();
    const results = await fuzz(cases);
    const wall = performance.now() - t0;
    const faults = results.map((r) => [r, faultOf(r)]).filter(([, f]) => f);
    const summary = {};
    for (const r of results) {
      const s = (summary[r.format] ??= { cases: 0, accepted: 0, modelFileErrors: 0, conversionErrors: 0, wrappedInternal: 0, maxMs: 0, maxRssMiB: 0, byMutation: {}, messages: {} });
      s.cases++;
      s.maxMs = Math.max(s.maxMs, Math.round(r.ms ?? 0));
      s.maxRssMiB = Math.max(s.maxRssMiB, Math.round((r.rss ?? 0) / 2 ** 20));
      if (r.mutation) s.byMutation[r.mutation] = (s.byMutation[r.mutation] ?? 0) + 1;
      const errs = Object.values(r.outcome ?? {}).filter((o) => o !== 'ok');
      if (!errs.length) s.accepted++;
      const e = errs[0];
      if (e) {
        if (/inconsistent model \(/.test(e.message)) s.wrappedInternal++;
        else if (e.name === 'ModelFileError') s.modelFileErrors++;
        else s.conversionErrors++;
        const key = e.message.replace(/\/[^\s"]+/g, 'PATH').replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 90);
        s.messages[key] = (s.messages[key] ?? 0) + 1;
      }
    }
    if (process.env.FUZZ_REPORT) console.log(JSON.stringify({ wallMs: Math.round(wall), summary }, null, 1));
    assert.equal(results.length, cases.length);
    assert.deepEqual(faults.map(([r, f]) => `${r.format} ${r.source} seed ${r.seed} (${r.mutation}): ${f}`), []);
    // The mutations must reach past the first check: some cases of each format are accepted, some refused.
    for (const [format, s] of Object.entries(summary)) {
      assert.ok(s.cases - s.accepted > s.cases / 4, `${format}: only ${s.cases - s.accepted} of ${s.cases} refused`);
      assert.ok(Object.keys(s.messages).length >= 5, `${format}: the errors are all alike`);
    }
  });
