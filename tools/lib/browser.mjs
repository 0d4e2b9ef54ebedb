// Browser mode of `cv-models verify`: runs candidate and reference with onnxruntime-web (wasm or webgpu)
// in Debian's Chromium, driven by playwright-core, from a localhost server that makes the page
// cross-origin isolated (so wasm threads work). Metrics are computed in Node from the returned outputs.
import { createServer } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { taskMetrics, round } from './verify.mjs';
import { MissingPeerError, optional } from './optional.mjs';

const require = createRequire(import.meta.url);

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
];

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};
const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };

function ortDist() {
  // The package's exports hide package.json; walk up from its resolved entry to the dist folder.
  let dir;
  try {
    dir = dirname(require.resolve('onnxruntime-web'));
  } catch {
    throw new MissingPeerError('onnxruntime-web');
  }
  while (!existsSync(join(dir, 'ort-wasm-simd-threaded.wasm')) && dir !== dirname(dir)) dir = dirname(dir);
  return dir;
}

/** Serves ORT web files under /ort/, and the given blobs under their paths. */
function serve(blobs) {
  const dist = ortDist();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let body; let type = 'application/octet-stream';
    if (url.pathname === '/') { body = '<!doctype html><meta charset="utf-8"><title>cv-models verify</title>'; type = 'text/html'; }
    else if (url.pathname.startsWith('/ort/')) {
      const file = normalize(join(dist, url.pathname.slice(5)));
      if (file.startsWith(dist) && existsSync(file)) { body = readFileSync(file); type = TYPES[extname(file)] ?? type; }
    } else if (blobs[url.pathname]) body = blobs[url.pathname];
    if (!body) { res.writeHead(404, HEADERS); res.end(); return; }
    res.writeHead(200, { ...HEADERS, 'Content-Type': type });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** In-page: creates both sessions, runs every feed, times `runs` runs of the first feed. */
async function pageMain(cfg) {
  const ort = await import('/ort/ort.all.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.wasm.numThreads = cfg.threads;
  const feedsBuf = new Float32Array(await (await fetch('/feeds.bin')).arrayBuffer());
  const b64 = (f32) => {
    const u8 = new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
    let s = '';
    for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const feeds = cfg.feeds.map((f) => Object.fromEntries(f.map(({ name, offset, length, dims }) =>
    [name, new ort.Tensor('float32', feedsBuf.slice(offset, offset + length), dims)])));
  const result = { crossOriginIsolated: self.crossOriginIsolated, threads: cfg.threads, outputs: {}, latency: {} };
  if (cfg.backend === 'webgpu') {
    const adapter = await navigator.gpu?.requestAdapter();
    result.webgpu = adapter
      ? { architecture: adapter.info?.architecture, vendor: adapter.info?.vendor, shaderF16: adapter.features.has('shader-f16') }
      : null;
  }
  const sessions = {};
  for (const which of ['reference', 'candidate']) {
    const bytes = new Uint8Array(await (await fetch(`/${which}.onnx`)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [cfg.backend], graphOptimizationLevel: 'all', enableProfiling: !!cfg.profile });
    sessions[which] = session;
    const outs = [];
    for (const feed of feeds) {
      const o = await session.run(feed);
      outs.push(Object.fromEntries(Object.entries(o).map(([k, t]) => [k, { dims: t.dims, data: b64(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)) }])));
    }
    result.outputs[which] = outs;
  }
  if (cfg.runs) {
    // Alternate the two models so load from elsewhere on the machine hits both alike.
    const times = { reference: [], candidate: [] };
    for (let i = 0; i < 3; i++) for (const w of ['reference', 'candidate']) await sessions[w].run(feeds[0]);
    for (let i = 0; i < cfg.runs; i++) {
      for (const w of i % 2 ? ['candidate', 'reference'] : ['reference', 'candidate']) {
        const t0 = performance.now();
        await sessions[w].run(feeds[0]);
        times[w].push(performance.now() - t0);
      }
    }
    for (const w of ['reference', 'candidate']) {
      times[w].sort((x, y) => x - y);
      result.latency[w] = times[w][Math.floor(times[w].length / 2)];
    }
  }
  for (const which of ['reference', 'candidate']) {
    if (cfg.profile) { console.log(`PROFILE-BEGIN ${which}`); sessions[which].endProfiling(); console.log(`PROFILE-END ${which}`); }
    await sessions[which].release();
  }
  return result;
}

function decodeOutputs(list) {
  return list.map((o) => Object.fromEntries(Object.entries(o).map(([k, { dims, data }]) => {
    const buf = Buffer.from(data, 'base64');
    return [k, { dims, data: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length)) }];
  })));
}

/**
 * @param {{ candidate: string, reference: string, task: string, feeds: import('./inputs.mjs').Feed[], backend: 'wasm'|'webgpu',
 *   latencyRuns?: number, threads?: number, boxFormat?: string, chromium?: string }} o
 */
export async function verifyBrowser(o) {
  const { chromium } = await optional('playwright-core');
  // Pack feeds into one Float32 blob.
  const meta = [];
  let total = 0;
  for (const f of o.feeds) {
    meta.push(Object.entries(f).map(([name, v]) => { const m = { name, offset: total, length: v.data.length, dims: v.dims }; total += v.data.length; return m; }));
  }
  const all = new Float32Array(total);
  o.feeds.forEach((f, i) => Object.values(f).forEach((v, j) => all.set(v.data, meta[i][j].offset)));
  const server = await serve({
    '/feeds.bin': Buffer.from(all.buffer),
    '/candidate.onnx': readFileSync(o.candidate),
    '/reference.onnx': readFileSync(o.reference),
  });
  const browser = await chromium.launch({ executablePath: o.chromium ?? process.env.CHROME_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const logs = [];
    page.on('console', (m) => logs.push(m.text()));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    const r = await page.evaluate(pageMain, { backend: o.backend, threads: o.threads ?? 1, runs: o.latencyRuns ?? 0, feeds: meta, profile: !!o.profile });
    const report0 = {};
    if (o.profile) report0.profileMsPerRun = profileFromLogs(logs, o.feeds.length + (o.latencyRuns ? 3 + o.latencyRuns : 0));
    const refs = decodeOutputs(r.outputs.reference);
    const cands = decodeOutputs(r.outputs.candidate);
    const pairs = refs.map((ref, i) => ({ ref, cand: cands[i] }));
    const report = {
      backend: `onnxruntime-web ${o.backend} in Chromium ${browser.version()}`,
      crossOriginIsolated: r.crossOriginIsolated,
      ...(r.webgpu !== undefined ? { webgpu: r.webgpu } : {}),
      ...(r.webgpu && !r.webgpu.shaderF16 ? { warning: 'WebGPU adapter lacks shader-f16: float16 results from this adapter are not meaningful (seen with SwiftShader)' } : {}),
      task: o.task, samples: o.feeds.length, ...taskMetrics(o.task, pairs, o), ...report0,
    };
    if (o.latencyRuns) {
      report.latency = {
        threads: r.threads, referenceMs: round(r.latency.reference), candidateMs: round(r.latency.candidate),
        ratio: round(r.latency.candidate / r.latency.reference, 3),
      };
    }
    return report;
  } finally {
    await browser.close();
    server.close();
  }
}

/** Per-op kernel time in ms per session.run, from ORT-web's profiling output (one JSON event per console line). */
function profileFromLogs(logs, runsPerSession) {
  if (process.env.CV_PROFILE_DUMP) writeFileSync(process.env.CV_PROFILE_DUMP, logs.join('\n'));
  const out = {};
  let which = null;
  for (const line of logs) {
    const m = /^PROFILE-(BEGIN|END) (\w+)/.exec(line);
    if (m) { which = m[1] === 'BEGIN' ? m[2] : null; continue; }
    if (!which || !line.includes('_kernel_time')) continue;
    let ev;
    try { ev = JSON.parse(line.trim().replace(/,$/, '')); } catch { continue; }
    const agg = (out[which] ??= {});
    const op = ev.args?.op_name ?? '?';
    agg[op] = (agg[op] ?? 0) + ev.dur / 1000 / runsPerSession;
  }
  for (const agg of Object.values(out)) {
    for (const k of Object.keys(agg)) agg[k] = round(agg[k], 3);
  }
  return out;
}
