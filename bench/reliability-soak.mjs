#!/usr/bin/env node
// The reliability soak: real elements on the fake camera and a canvas for a long time (60 min by
// default), with churn every `--period` seconds (src flips, moves, StrictMode remove-and-append,
// pauses past the camera's grace period). Passes when memory stays flat, no long task, no cv-error, and
// the library's resource counts stay bounded. Writes bench/results/<date>-reliability-soak.{json,md}.
//
//   node bench/reliability-soak.mjs [--minutes 60] [--period 10] [--sample 30] [--out dir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from '../scripts/chromium.mjs';
import { startServer } from '../scripts/serve.mjs';
import { rendererRssMB } from './process-memory.mjs';
import { growthPct } from './stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: argv } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    period: { type: 'string', default: '10' },
    sample: { type: 'string', default: '30' },
    out: { type: 'string', default: join(ROOT, 'bench/results') },
  },
});
const minutes = Number(argv.minutes);
const periodS = Number(argv.period);
const sampleS = Number(argv.sample);
if (!(minutes > 0 && periodS >= 2 && sampleS >= 5)) throw new Error('--minutes > 0, --period ≥ 2, --sample ≥ 5');

/** Memory may grow this much from just after warm-up to the end (medians); more fails the soak. */
const MAX_GROWTH_PCT = 10;
const MAX_JS_GROWTH_MB = 4;

mkdirSync('tests/.fixtures', { recursive: true });
const camera = fakeCameraVideo('/usr/lib/python3/dist-packages/skimage/data/astronaut.png', 'tests/.fixtures/astronaut.y4m');
const server = await startServer({ port: 0, quiet: true });
const browser = await chromium.launch({
  executablePath: findChromium(),
  args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${camera}`, '--enable-precise-memory-info', '--enable-blink-features=ForceEagerMeasureMemory', '--autoplay-policy=no-user-gesture-required'],
});
const consoleErrors = [];
const started = new Date();
const samples = [];
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  page.on('pageerror', (e) => consoleErrors.push(String(e).slice(0, 300)));
  // Failed loads are caught by URL (the console line has none), so the browser's own favicon probe is left out.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && consoleErrors.push(m.text().slice(0, 300)));
  page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && consoleErrors.push(`HTTP ${r.status()} ${r.url()}`));
  await page.goto(`${server.url}bench/reliability-soak.html?period=${periodS}`);
  const end = Date.now() + minutes * 60000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(sampleS * 1000, Math.max(0, end - Date.now()))));
    const s = await page.evaluate(() => window.__soakProbe());
    s.rssMB = rendererRssMB();
    samples.push(s);
    console.log(`${s.t}s results ${s.results} errors ${s.errors} longTasks ${s.longTasks} steps ${s.steps} rss ${s.rssMB} MB js ${s.uaMB ?? s.heapMB} MB resources ${JSON.stringify(s.resources)}`);
  }
  var errors = await page.evaluate(() => window.__soak.errors);
  var longTasks = await page.evaluate(() => window.__soak.longTasks);
} finally {
  await browser.close();
  server.server.close();
}

// Growth compares the median of the samples just after warm-up (20-40 % of the run, when models,
// runtimes and caches are in place) with the median of the last fifth: single readings swing with
// garbage collection (the JS reading moves between ~5 and ~30 MB from one sample to the next).
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : null;
};
const windowOf = (from, to) => samples.slice(Math.floor(samples.length * from), Math.max(Math.floor(samples.length * from) + 1, Math.ceil(samples.length * to)));
const early = windowOf(0.2, 0.4);
const late = windowOf(0.8, 1);
const jsOf = (s) => s.uaMB ?? s.heapMB;
const warm = { rssMB: median(early.map((s) => s.rssMB)), js: median(early.map(jsOf)) };
const end = { rssMB: median(late.map((s) => s.rssMB)), js: median(late.map(jsOf)) };
const last = samples.at(-1);
const rss = growthPct(warm.rssMB, end.rssMB);
const js = growthPct(warm.js, end.js);
const maxRes = {};
for (const s of samples) for (const [k, v] of Object.entries(s.resources ?? {})) maxRes[k] = Math.max(maxRes[k] ?? 0, v);
const perElement = Object.fromEntries(Object.entries(last?.resultsBy ?? {}));
const checks = [
  { check: `renderer RSS growth (medians) after warm-up ≤ ${MAX_GROWTH_PCT} %`, value: rss, pass: rss !== null && rss <= MAX_GROWTH_PCT },
  // A heap of a few MB swings by more than 10 % with each collection: there an absolute bound applies.
  { check: `page + worker JS memory growth (medians) after warm-up ≤ ${MAX_GROWTH_PCT} % or ≤ ${MAX_JS_GROWTH_MB} MB`, value: js, pass: js !== null && (js <= MAX_GROWTH_PCT || end.js - warm.js <= MAX_JS_GROWTH_MB) },
  { check: 'no cv-error', value: errors.length, pass: errors.length === 0 },
  { check: 'no long task (> 50 ms) on the main thread', value: longTasks.length, pass: longTasks.length === 0 },
  { check: 'no page error', value: consoleErrors.length, pass: consoleErrors.length === 0 },
  { check: 'every element kept giving results', value: Object.keys(perElement).length, pass: Object.keys(perElement).length >= 3 && Object.values(perElement).every((n) => n > 0) },
  { check: 'camera leases ≤ 2, frames in hand ≤ 3, timers ≤ 4 at every sample', value: JSON.stringify({ cameraLease: maxRes.cameraLease, videoFrame: maxRes.videoFrame, timer: maxRes.timer }), pass: maxRes.cameraLease <= 2 && maxRes.videoFrame <= 3 && maxRes.timer <= 4 },
];
const pass = checks.every((c) => c.pass);
const date = started.toISOString().slice(0, 10);
const base = join(argv.out, `${date}-reliability-soak${minutes < 60 ? `-${minutes}min` : ''}`);
mkdirSync(argv.out, { recursive: true });
writeFileSync(`${base}.json`, JSON.stringify({ started: started.toISOString(), minutes, periodS, sampleS, pass, checks, samples, errors, longTasks, consoleErrors }, null, 2));
const md =
  `# Reliability soak, ${date}\n\n${minutes} min, churn every ${periodS} s (src flip, move, StrictMode remove-and-append, pause past the camera grace, canvas redraw), sampled every ${sampleS} s. ` +
  `Elements: <cv-segment selfie-segmentation blur> and <cv-classify fashion-cnn> on the fake camera, <cv-classify fashion-cnn> on a canvas; WASM.\n\n` +
  `| check | value | pass |\n|---|---|---|\n${checks.map((c) => `| ${c.check} | ${c.value} | ${c.pass ? 'yes' : 'NO'} |`).join('\n')}\n\n` +
  `Results: ${last?.results} (${Object.entries(perElement).map(([k, v]) => `${k}: ${v}`).join('; ')}); churn steps: ${last?.steps}. ` +
  `Medians, after warm-up → last fifth: renderer RSS ${warm.rssMB} → ${end.rssMB} MB; page + worker JS ${warm.js} → ${end.js} MB.\n`;
writeFileSync(`${base}.md`, md);
console.log(md);
process.exit(pass ? 0 : 1);
