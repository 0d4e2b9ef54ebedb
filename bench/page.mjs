// The bench page: runs one cell (one element × model × backend, or MediaPipe tasks-vision on the same
// camera) as its URL's `c` parameter describes, and leaves the raw measurements in window.__benchResult.
// bench/run.mjs opens it in Debian Chromium and turns the raw numbers into the table.

const cfg = JSON.parse(new URLSearchParams(location.search).get('c') ?? '{}');
const stage = document.getElementById('stage');

// ---- main-thread work accounting ------------------------------------------------------------------
// Sums the wall time of the synchronous main-thread calls that make up a frame's life (the frame
// callback, grabbing the VideoFrame, building and posting the request, receiving the worker's message,
// painting, stats, the cv-result event, Lit updates). Nested calls count once. The bench's own
// cv-result listener is timed and taken out.
const work = { busy: 0, depth: 0, wrapped: [], byLabel: {} };
function wrap(obj, name, label = name) {
  const orig = obj?.[name];
  if (typeof orig !== 'function') return;
  obj[name] = function (...args) {
    if (work.depth) return orig.apply(this, args);
    work.depth++;
    const t = performance.now();
    try {
      return orig.apply(this, args);
    } finally {
      const dt = performance.now() - t;
      work.busy += dt;
      if (work.counting) work.byLabel[label] = (work.byLabel[label] ?? 0) + dt;
      work.depth--;
    }
  };
  work.wrapped.push(label);
}

// ---- long tasks and long animation frames --------------------------------------------------------
const longTasks = [];
const loafs = [];
try {
  new PerformanceObserver((l) => l.getEntries().forEach((e) => longTasks.push({ start: e.startTime, duration: e.duration }))).observe({ type: 'longtask', buffered: true });
} catch {}
const loafSupported = PerformanceObserver.supportedEntryTypes?.includes('long-animation-frame') ?? false;
if (loafSupported) {
  new PerformanceObserver((l) =>
    l.getEntries().forEach((e) => loafs.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration ?? null })),
  ).observe({ type: 'long-animation-frame', buffered: true });
}

// ---- memory ----------------------------------------------------------------------------------------
const probes = [];
// measureUserAgentSpecificMemory() waits (up to about a minute) while a worker is busy, so a probe
// taken mid-run gives up on it after a few seconds; the final probe runs once the element has stopped.
function memoryProbe(frame, uaTimeoutMs = 3000) {
  const heap = performance.memory ? { used: performance.memory.usedJSHeapSize, total: performance.memory.totalJSHeapSize } : null;
  const t0 = performance.now();
  const probe = { frame, at: t0, heap, ua: null, uaError: null, probeMs: null, rssMB: null };
  probes.push(probe);
  const rss = window.__benchRendererRssMB?.().then((v) => (probe.rssMB = v)).catch(() => {});
  if (typeof performance.measureUserAgentSpecificMemory !== 'function') {
    probe.uaError = crossOriginIsolated ? 'measureUserAgentSpecificMemory is missing' : 'page is not cross-origin isolated';
    return Promise.resolve(rss);
  }
  let timer;
  const timeout = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`no answer within ${uaTimeoutMs} ms (Chromium waits for every worker, and onnxruntime-web's wasm thread-pool workers block in Atomics.wait)`)), uaTimeoutMs)));
  const ua = Promise.race([performance.measureUserAgentSpecificMemory(), timeout])
    .then((m) => {
      const byScope = {};
      for (const b of m.breakdown) {
        const scope = b.attribution?.[0]?.scope ?? (b.bytes ? 'shared/unattributed' : 'empty');
        byScope[scope] = (byScope[scope] ?? 0) + b.bytes;
      }
      probe.ua = { bytes: m.bytes, byScope };
    })
    .catch((e) => (probe.uaError = String(e?.message ?? e)))
    .finally(() => {
      clearTimeout(timer);
      probe.probeMs = performance.now() - t0;
    });
  return Promise.all([ua, rss]);
}

// ---- the cell ----------------------------------------------------------------------------------------
const out = {
  cfg,
  userAgent: navigator.userAgent,
  crossOriginIsolated,
  hardwareConcurrency: navigator.hardwareConcurrency,
  loafSupported,
  ready: null,
  createdAt: null,
  readyAt: null,
  firstResultAt: null,
  frames: [],
  errors: [],
  steady: null,
  end: null,
};
const need = cfg.mode === 'load' ? 1 : cfg.warmup + cfg.frames;
const memAt = new Set(cfg.mode === 'load' ? [] : cfg.memAt ?? []);
const pendingProbes = [];
let finish;
const finished = new Promise((r) => (finish = r));
/** Stops the element or the MediaPipe loop; set once running. */
let stopSource = () => {};
// A cell that runs past its time budget (a slow model on SwiftShader) ends early with the frames it has.
if (cfg.mode !== 'load' && cfg.budgetMs) {
  setTimeout(() => {
    if (out.end || !out.frames.length) return;
    const last = out.frames.at(-1);
    out.truncated = `time budget of ${cfg.budgetMs} ms reached after ${last[0]} results`;
    out.end = { at: last[3], busy: work.busy, frame: last[0] };
    work.counting = false;
    stopSource();
    pendingProbes.push(memoryProbe(last[0]));
    finish();
  }, cfg.budgetMs);
}

/** One result: record it, take the memory probes and the steady-state marks, finish at the last one. */
function onResult(frame, latencyMs, inferenceMs, captureAt, extra, phases) {
  if (out.end) return true;
  const now = performance.now();
  out.firstResultAt ??= now;
  out.frames.push([frame, round3(latencyMs), round3(inferenceMs), round3(now), extra ?? null, phases ?? null]);
  if (memAt.has(frame)) pendingProbes.push(memoryProbe(frame));
  if (frame === cfg.warmup) {
    out.steady = { at: now, busy: work.busy, frame };
    work.counting = true;
  }
  if (frame >= need) {
    // After the element (or MediaPipe loop) has stopped, which happens right after this returns.
    if (cfg.mode !== 'load') pendingProbes.push(new Promise((r) => setTimeout(r, 0)).then(() => memoryProbe(frame)));
    out.end = { at: now, busy: work.busy, frame };
    work.counting = false;
    finish();
    return true;
  }
  return false;
}
const round3 = (v) => Math.round(v * 1000) / 1000;

async function runElement() {
  await import('/dist/cv-elements.js');
  await customElements.whenDefined(cfg.tag);
  const el = document.createElement(cfg.tag);
  for (const [k, v] of Object.entries(cfg.attrs ?? {})) el.setAttribute(k, String(v));
  let listenerMs = 0;
  el.addEventListener('cv-error', (e) => {
    out.errors.push({ at: performance.now(), ...e.detail });
    if (!out.ready) finish();
  });
  el.addEventListener('cv-ready', (e) => {
    out.readyAt = performance.now();
    out.ready = e.detail;
    if (cfg.endAtReady) {
      el.stop();
      finish();
      return;
    }
    // Frames start right after this event: instrument the element's main-thread work now.
    wrap(el.loop, 'tick', 'frame callback (incl. VideoFrame grab)');
    for (const m of ['buildRequest', 'paint', 'publicResult', 'updateStats', 'emit', 'performUpdate']) wrap(el, m);
    const client = el.models?.client;
    wrap(client, 'run', 'client.run (postMessage)');
    const worker = client?.worker;
    if (worker?.onmessage) wrap(worker, 'onmessage', 'worker message (incl. deserialising)');
  });
  el.addEventListener('cv-result', (e) => {
    const t = performance.now();
    const d = e.detail;
    // A little of the output, so backends can be compared for correctness on the same video.
    let extra = null;
    if (typeof d.foreground === 'number') extra = { fg: Math.round(d.foreground * 1000) / 1000 };
    else if (Array.isArray(d.objects)) extra = { top: d.objects[0]?.label ?? null, objects: d.objects.length };
    else if (Array.isArray(d.labels)) {
      const faces = new Set(d.labels.filter((l) => l.box).map((l) => `${l.box.x},${l.box.y}`)).size;
      extra = { top: d.labels[0]?.label ?? null, faces };
    }
    // Where this frame's latency went, as the element measured it (page, worker, runtime, compositing).
    const phases = el.stats.phases ? Object.fromEntries(Object.entries(el.stats.phases).map(([k, v]) => [k, round3(v)])) : null;
    const done = onResult(d.frame, d.latencyMs, d.inferenceMs, d.timestamp, extra, phases);
    if (done) {
      el.stop();
      out.stats = { ...el.stats };
    }
    listenerMs += performance.now() - t;
    const own = performance.now() - t;
    work.busy -= own; // the bench's own listener is not the element's work
    if (work.counting) work.byLabel.emit = (work.byLabel.emit ?? 0) - own; // only when emit's own time is being added
  });
  stopSource = () => {
    el.stop();
    out.stats = { ...el.stats };
  };
  out.createdAt = performance.now();
  stage.append(el);
  await finished;
  out.listenerMs = listenerMs;
}

async function runMediaPipe() {
  const t0 = performance.now();
  out.createdAt = t0;
  const vision = await import('/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs');
  const fileset = await vision.FilesetResolver.forVisionTasks(new URL('/node_modules/@mediapipe/tasks-vision/wasm', location.href).href);
  const base = { baseOptions: { modelAssetPath: cfg.model, delegate: 'CPU' }, runningMode: 'VIDEO' };
  const task =
    cfg.task === 'segment'
      ? await vision.ImageSegmenter.createFromOptions(fileset, { ...base, outputConfidenceMasks: true, outputCategoryMask: false })
      : await vision.FaceDetector.createFromOptions(fileset, base);
  out.readyAt = performance.now();
  out.ready = { model: cfg.model, backend: 'mediapipe', delegate: 'CPU', threads: null, loadMs: out.readyAt - t0, precision: 'tflite', fromCache: false };
  const box = document.createElement('div');
  box.className = 'mp';
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  const overlay = document.createElement('canvas');
  box.append(video, overlay);
  stage.append(box);
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  await video.play();
  const ctx = overlay.getContext('2d');
  let frame = 0;
  let lastTs = -1;
  let stopped = false;
  const onFrame = (now) => {
    if (stopped) return;
    video.requestVideoFrameCallback(onFrame);
    work.depth++;
    const t = performance.now();
    let extra = null;
    let inferenceMs = 0;
    try {
      const ts = Math.max(now, lastTs + 0.001);
      lastTs = ts;
      if (cfg.task === 'segment') {
        const r = task.segmentForVideo(video, ts);
        inferenceMs = performance.now() - t;
        const m = r.confidenceMasks[0];
        const f = m.getAsFloat32Array();
        if (overlay.width !== m.width) Object.assign(overlay, { width: m.width, height: m.height });
        const img = ctx.createImageData(m.width, m.height);
        let fg = 0;
        for (let i = 0; i < f.length; i++) {
          img.data[i * 4] = 80;
          img.data[i * 4 + 3] = f[i] * 128;
          if (f[i] >= 0.5) fg++;
        }
        ctx.putImageData(img, 0, 0);
        extra = { fg: Math.round((fg / f.length) * 1000) / 1000 };
        r.close();
      } else {
        const r = task.detectForVideo(video, ts);
        inferenceMs = performance.now() - t;
        if (overlay.width !== 640) Object.assign(overlay, { width: 640, height: 480 });
        ctx.clearRect(0, 0, 640, 480);
        ctx.strokeStyle = '#0f0';
        for (const d of r.detections) {
          const b = d.boundingBox;
          ctx.strokeRect(b.originX, b.originY, b.width, b.height);
        }
        extra = r.detections.length;
      }
    } catch (e) {
      out.errors.push({ at: performance.now(), code: 'mediapipe', message: String(e?.message ?? e) });
      stopped = true;
      finish();
    } finally {
      work.busy += performance.now() - t;
      work.depth--;
    }
    if (stopped) return;
    frame++;
    const latencyMs = performance.now() - now;
    if (onResult(frame, latencyMs, inferenceMs, now, extra)) {
      stopped = true;
      video.srcObject.getTracks().forEach((tr) => tr.stop());
    }
  };
  stopSource = () => {
    stopped = true;
    video.srcObject.getTracks().forEach((tr) => tr.stop());
  };
  work.wrapped.push('whole frame callback (MediaPipe runs on the main thread)');
  video.requestVideoFrameCallback(onFrame);
  await finished;
  task.close();
}

// Without a cell (the runner's WebGPU adapter check) the page only loads.
if (cfg.mode) window.__benchResult = (async () => {
  const timer = setTimeout(() => {
    out.errors.push({ at: performance.now(), code: 'timeout', message: `no ${need} results within ${cfg.timeoutMs} ms (got ${out.frames.length})` });
    finish();
  }, cfg.timeoutMs ?? 120000);
  try {
    if (cfg.kind === 'mediapipe') await runMediaPipe();
    else await runElement();
  } catch (e) {
    out.errors.push({ at: performance.now(), code: 'page', message: String(e?.stack ?? e) });
  }
  clearTimeout(timer);
  await Promise.all(pendingProbes);
  // WASM cells: onnxruntime-web's session.run alone on the same files, once the element has stopped.
  if (cfg.ortRun && out.ready && !out.errors.length) {
    const w = new Worker(new URL('./ort-web-worker.mjs', import.meta.url), { type: 'module' });
    out.ortWeb = await new Promise((resolve) => {
      const t = setTimeout(() => resolve({ ok: false, error: 'timed out' }), 120000);
      w.onmessage = (e) => (clearTimeout(t), resolve(e.data));
      w.onerror = (e) => (clearTimeout(t), resolve({ ok: false, error: e.message || 'worker failed' }));
      w.postMessage({ ...cfg.ortRun, threads: out.ready.threads ?? 1 });
    });
    w.terminate();
  }
  out.probes = probes;
  out.longTasks = longTasks;
  out.loafs = loafs;
  out.wrapped = work.wrapped;
  out.mainThreadByLabel = work.byLabel;
  out.timeOrigin = performance.timeOrigin;
  return out;
})();
