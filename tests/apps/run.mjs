#!/usr/bin/env node
// The app suite: packs cv-elements, installs the tarball into the fresh apps beside this file, builds each
// app with its own tool, serves it cross-origin isolated on 127.0.0.1 and drives it in Chromium with the
// fake camera until <cv-segment> gives live results. Prints PASS/FAIL per app, the time of every step,
// and ends with `N passed, N failed`.
//
//   node tests/apps/run.mjs [app…]            apps whose id starts with one of the words (all by default)
//   CV_ELEMENTS_TARBALL=/path/x.tgz node …     test that tarball instead of packing this checkout
//   node tests/apps/run.mjs --tarball /path/x.tgz
//   node tests/apps/run.mjs --no-install webpack   rebuild and drive against what tests/apps/node_modules holds
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from '../../scripts/chromium.mjs';
import { serveStatic } from './lib/serve.mjs';
import { PAGE_PROBE } from './lib/probe.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const bin = (name) => join(here, 'node_modules/.bin', name);

/**
 * The apps. `build`: the command run in the app's folder; `serve`: the folder served after it (the page at
 * `path`), or `dev` to run the Vite dev server instead; `strict`: React's StrictMode checks.
 */
const APPS = [
  { id: 'vite-dev', name: 'Vite dev server', dir: 'vite', dev: true },
  { id: 'vite-build', name: 'Vite production build', dir: 'vite', build: [bin('vite'), 'build'], serve: 'vite/dist' },
  { id: 'webpack', name: 'webpack 5', dir: 'webpack', build: [bin('webpack')], serve: 'webpack' },
  { id: 'esbuild', name: 'esbuild', dir: 'esbuild', build: ['node', 'build.mjs'], serve: 'esbuild' },
  { id: 'react-dev', name: 'React 19 StrictMode (Vite dev server)', dir: 'react', dev: true, strict: true },
  { id: 'react-build', name: 'React 19 (Vite production build)', dir: 'react', build: [bin('vite'), 'build'], serve: 'react/dist' },
  { id: 'vue', name: 'Vue 3 (Vite production build)', dir: 'vue', build: [bin('vite'), 'build'], serve: 'vue/dist' },
  { id: 'svelte', name: 'Svelte 5 (Vite production build)', dir: 'svelte', build: [bin('vite'), 'build'], serve: 'svelte/dist' },
  { id: 'angular', name: 'Angular (ng build, CUSTOM_ELEMENTS_SCHEMA)', dir: '.', build: [bin('ng'), 'build'], serve: 'angular/dist/browser' },
  { id: 'plain', name: 'plain HTML, no bundler (import map to node_modules)', serve: '.', path: '/plain/' },
];

/** Sources that docs/frameworks.md quotes as the recipes: each must appear there verbatim. */
const QUOTED = ['vite/main.js', 'vite/vite.config.js', 'webpack/webpack.config.js', 'esbuild/build.mjs', 'react/src/App.jsx', 'react/src/main.jsx', 'vue/src/App.vue', 'vue/vite.config.js', 'svelte/src/App.svelte', 'angular/src/app.ts', 'plain/index.html'];

const RESULTS_WANTED = 3;
const DRIVE_TIMEOUT_MS = Number(process.env.CV_APPS_TIMEOUT_MS) || 150_000;

/** Runs a command; resolves with {code, output, seconds}. */
function run(cmd, args, { cwd = here, env = {} } = {}) {
  const started = performance.now();
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => ok({ code: -1, output: output + String(e), seconds: (performance.now() - started) / 1000 }));
    child.on('close', (code) => ok({ code, output, seconds: (performance.now() - started) / 1000 }));
  });
}

const tail = (text, lines = 15) => text.trim().split('\n').slice(-lines).join('\n');
const fmt = (s) => `${s.toFixed(1)} s`;

/** The tarball: given, or `npm pack` of this checkout (building first when package.json has no prepack). */
async function tarball(timings) {
  const argAt = process.argv.indexOf('--tarball');
  const given = process.env.CV_ELEMENTS_TARBALL || (argAt > 0 ? process.argv[argAt + 1] : '');
  if (given) {
    if (!existsSync(given)) throw new Error(`tarball not found: ${given}`);
    return resolve(given);
  }
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  if (!pkg.scripts?.prepack) {
    const b = await run('npm', ['run', 'build'], { cwd: repo });
    timings.build = b.seconds;
    if (b.code !== 0) throw new Error(`npm run build failed:\n${tail(b.output)}`);
  }
  const out = join(repo, '.cache/apps');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const p = await run('npm', ['pack', '--pack-destination', out], { cwd: repo });
  timings.pack = p.seconds;
  const file = readdirSync(out).find((f) => f.endsWith('.tgz'));
  if (p.code !== 0 || !file) throw new Error(`npm pack failed:\n${tail(p.output)}`);
  return join(out, file);
}

/** `npm ci` of the apps' workspace when its lockfile changed since the last install, then the tarball. */
async function install(tgz, timings) {
  const lock = readFileSync(join(here, 'package-lock.json'));
  const stamp = join(here, 'node_modules/.cv-apps-lock');
  const hash = createHash('sha256').update(lock).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== hash) {
    const ci = await run('npm', ['ci', '--no-audit', '--no-fund']);
    timings.npmCi = ci.seconds;
    if (ci.code !== 0) throw new Error(`npm ci in tests/apps failed:\n${tail(ci.output)}`);
    writeFileSync(stamp, hash);
  }
  // --no-save: the lockfile stays the frameworks' alone; the package under test comes from the tarball.
  const add = await run('npm', ['install', '--no-save', '--no-audit', '--no-fund', tgz]);
  timings.installTarball = add.seconds;
  if (add.code !== 0) throw new Error(`installing ${tgz} failed:\n${tail(add.output)}`);
}

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts `vite` (dev) in an app folder; resolves once it answers, with {url, close}. */
async function viteDev(dir) {
  const port = await freePort();
  // --force: a fresh dependency pre-bundle every time, as on a new user's first `npm run dev`.
  const child = spawn(bin('vite'), ['--host', '127.0.0.1', '--port', String(port), '--strictPort', '--force'], {
    cwd: join(here, dir),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const close = () =>
    new Promise((ok) => {
      if (child.exitCode !== null) return ok();
      child.once('close', ok);
      process.kill(-child.pid, 'SIGTERM');
    });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vite exited:\n${tail(output)}`);
    try {
      if ((await fetch(url)).ok) return { url, close, output: () => output };
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  await close();
  throw new Error(`vite did not answer on ${url} within 60 s:\n${tail(output)}`);
}

/** Drives one app's page; returns a list of failures (empty: pass) and what it measured. */
async function drive(browser, url, app) {
  const context = await browser.newContext();
  const external = [];
  const bad = [];
  const assets = new Set();
  context.on('request', (req) => {
    const u = new URL(req.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.hostname !== '127.0.0.1') external.push(req.url());
    if (/\.(wasm|onnx|tflite)$/.test(u.pathname)) assets.add(u.pathname.split('/').pop());
  });
  context.on('response', (res) => res.status() >= 400 && bad.push(`${res.status()} ${res.url()}`));
  context.on('requestfailed', (req) => bad.push(`failed ${req.url()}: ${req.failure()?.errorText}`));
  await context.addInitScript(PAGE_PROBE);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e.message ?? e)));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  const failures = [];
  const measured = {};
  try {
    await page.goto(url, { waitUntil: 'load' });
    const outcome = await page
      .waitForFunction((n) => window.__cvProbe.results >= n || window.__cvProbe.errors.length > 0, RESULTS_WANTED, { timeout: DRIVE_TIMEOUT_MS, polling: 200 })
      .then(() => 'settled', () => 'timeout');
    const state = await page.evaluate(() => window.__cvProbe.inspect());
    Object.assign(measured, state);
    if (state.errors.length) failures.push(...state.errors.map((e) => `cv-error ${e.code}: ${e.message}`));
    if (outcome === 'timeout' && !state.errors.length) failures.push(`no cv-result within ${DRIVE_TIMEOUT_MS / 1000} s (${state.results} results; element ${state.element ? 'present' : 'absent'})`);
    if (state.results >= 1) {
      const r = state.result;
      const ok = (cond, what) => cond || failures.push(what);
      ok(Number.isInteger(r.width) && Number.isInteger(r.height) && r.width > 0 && r.height > 0, `mask size ${r.width}x${r.height}`);
      ok(r.maskWidth === r.width && r.maskHeight === r.height, `readMask() is ${r.maskWidth}x${r.maskHeight}, the result says ${r.width}x${r.height}`);
      // The astronaut fills much of the frame but not all of it; a blank or inverted mask falls outside.
      ok(r.foreground > 0.1 && r.foreground < 0.9, `foreground share ${r.foreground} outside (0.1, 0.9)`);
      ok(Math.abs(r.maskShare - r.foreground) < 0.02, `readMask() has ${r.maskShare} foreground, the result says ${r.foreground}`);
      ok(r.centre > r.border, `mask centre (${r.centre}) not above its border (${r.border})`);
      ok(state.liveTracks === 1, `${state.liveTracks} live camera tracks (of ${state.tracks} handed out), want 1`);
      ok(state.workers === 1, `${state.workers} inference workers, want 1`);
      ok(state.sessions === 1, `${state.sessions} model sessions open in the worker, want 1`);
    }
    if (app.strict) {
      // StrictMode's development double mount ran (setup, cleanup, setup) and still one track, one session.
      if (state.effectRuns !== 2) failures.push(`the effect ran ${state.effectRuns} times: StrictMode's double mount did not happen`);
      await page.evaluate(() => window.__unmountApp());
      const after = await page
        .waitForFunction(() => window.__cvProbe.snapshot().liveTracks === 0 && window.__cvProbe.snapshot().sessions === 0, null, { timeout: 5000 })
        .then(() => null, () => page.evaluate(() => window.__cvProbe.snapshot()));
      if (after) failures.push(`after unmount: ${after.liveTracks} live tracks, ${after.sessions} sessions (want 0 and 0)`);
      measured.unmounted = !after;
    }
  } catch (e) {
    failures.push(`driver: ${e.message.split('\n')[0]}`);
  }
  if (external.length) failures.push(`requests left 127.0.0.1: ${[...new Set(external)].slice(0, 5).join(', ')}`);
  if (failures.length && bad.length) failures.push(`failed requests: ${[...new Set(bad)].slice(0, 6).join('; ')}`);
  if (failures.length && pageErrors.length) failures.push(`page errors: ${pageErrors.slice(0, 3).join(' | ').slice(0, 600)}`);
  measured.assets = [...assets];
  await context.close();
  return { failures, measured };
}

async function main() {
  const words = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--tarball');
  const apps = words.length ? APPS.filter((a) => words.some((w) => a.id.startsWith(w))) : APPS;
  const timings = { apps: {} };
  const started = performance.now();
  let passed = 0;
  let failed = 0;

  // The README recipes are the apps' own files; a changed app with an unchanged page fails here.
  const doc = readFileSync(join(repo, 'docs/frameworks.md'), 'utf8');
  const drifted = QUOTED.filter((f) => !doc.includes(readFileSync(join(here, f), 'utf8').trimEnd()));
  if (drifted.length) {
    failed++;
    console.log(`FAIL docs/frameworks.md no longer quotes ${drifted.join(', ')} as the apps run them`);
  } else {
    passed++;
    console.log(`PASS docs/frameworks.md quotes the ${QUOTED.length} app sources verbatim`);
  }

  let browser;
  let done = 0;
  try {
    if (!process.argv.includes('--no-install')) {
      const tgz = await tarball(timings);
      console.log(`cv-elements tarball: ${tgz}${timings.pack ? ` (build ${fmt(timings.build ?? 0)}, pack ${fmt(timings.pack)})` : ''}`);
      await install(tgz, timings);
      console.log(`installed: ${timings.npmCi ? `npm ci ${fmt(timings.npmCi)}, ` : 'npm ci skipped (lockfile unchanged), '}tarball ${fmt(timings.installTarball)}`);
    }

    mkdirSync(join(repo, 'tests/.fixtures'), { recursive: true });
    const camera = fakeCameraVideo('/usr/lib/python3/dist-packages/skimage/data/astronaut.png', join(repo, 'tests/.fixtures/astronaut.y4m'));
    browser = await chromium.launch({ executablePath: findChromium(), args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${camera}`] });

    for (const app of apps) {
      done++;
      const t = (timings.apps[app.id] = {});
      let failures = [];
      let measured = {};
      let server;
      try {
        if (app.build) {
          const b = await run(app.build[0], app.build.slice(1), { cwd: join(here, app.dir), env: { NG_CLI_ANALYTICS: 'false' } });
          t.build = b.seconds;
          if (b.code !== 0) throw new Error(`build failed (${app.build.map((p) => p.replace(here + '/', '')).join(' ')}):\n${tail(b.output)}`);
        }
        const serveStarted = performance.now();
        server = app.dev ? await viteDev(app.dir) : await serveStatic(join(here, app.serve));
        t.serve = (performance.now() - serveStarted) / 1000;
        const driveStarted = performance.now();
        ({ failures, measured } = await drive(browser, server.url + (app.path ?? '/'), app));
        t.drive = (performance.now() - driveStarted) / 1000;
      } catch (e) {
        failures = [e.message];
      } finally {
        await server?.close();
      }
      const steps = ['build', 'serve', 'drive'].filter((k) => t[k] !== undefined).map((k) => `${k} ${fmt(t[k])}`).join(', ');
      if (failures.length) {
        failed++;
        console.log(`FAIL ${app.name} [${steps}]\n  ${failures.join('\n  ').replace(/\n/g, '\n    ')}`);
      } else {
        passed++;
        const r = measured.result;
        console.log(
          `PASS ${app.name} [${steps}] foreground ${r.foreground.toFixed(3)} of ${r.width}x${r.height}, ` +
            `${measured.results} results, first after ${(measured.firstResultMs / 1000).toFixed(1)} s, ` +
            `1 live track, 1 session${app.strict ? `, StrictMode double mount seen, 0 tracks and 0 sessions after unmount` : ''}; assets ${measured.assets.join(' ')}`,
        );
      }
    }
  } catch (e) {
    console.log(`FAIL setup: ${e.message}`);
    failed += Math.max(1, apps.length - done);
  } finally {
    await browser?.close();
  }
  timings.total = (performance.now() - started) / 1000;
  mkdirSync(join(repo, '.cache'), { recursive: true });
  writeFileSync(join(repo, '.cache/apps-timings.json'), JSON.stringify(timings, null, 2));
  console.log(`app suite took ${fmt(timings.total)} (timings in .cache/apps-timings.json)`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
