// Runs in every app page before the app's own scripts (addInitScript). It only watches: cv-* events on
// the document, the camera tracks getUserMedia hands out, the inference workers the page starts and the
// load/release messages sent to them; the suite reads it all through window.__cvProbe.
export const PAGE_PROBE = `(() => {
  const probe = { results: 0, errors: [], tracks: [], workers: 0, open: new Map(), firstResultMs: null };
  document.addEventListener('cv-result', () => {
    if (probe.results++ === 0) probe.firstResultMs = performance.now();
  }, true);
  document.addEventListener('cv-error', (e) => probe.errors.push({ code: e.detail?.code, message: e.detail?.message }), true);

  const getUserMedia = MediaDevices.prototype.getUserMedia;
  MediaDevices.prototype.getUserMedia = async function (...args) {
    const stream = await getUserMedia.apply(this, args);
    probe.tracks.push(...stream.getTracks());
    return stream;
  };

  // A session is open in a worker from its 'load' message to its 'release' (the page side reference-counts),
  // unless the worker answered the load with an error.
  const count = (key, by) => probe.open.set(key, (probe.open.get(key) ?? 0) + by);
  const loading = new Map();
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (msg && msg.type === 'load') {
      count(msg.key, 1);
      loading.set(msg.id, msg.key);
    }
    if (msg && msg.type === 'release') count(msg.key, -1);
    return post.call(this, msg, ...rest);
  };
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      probe.workers++;
      this.addEventListener('message', ({ data }) => {
        if (data && data.type === 'error' && loading.has(data.id)) count(loading.get(data.id), -1);
        if (data && (data.type === 'error' || data.type === 'loaded')) loading.delete(data.id);
      });
    }
  };

  probe.snapshot = () => ({
    results: probe.results,
    errors: probe.errors,
    element: !!document.querySelector('cv-segment'),
    tracks: probe.tracks.length,
    liveTracks: probe.tracks.filter((t) => t.readyState === 'live').length,
    workers: probe.workers,
    sessions: [...probe.open.values()].reduce((a, b) => a + b, 0),
    effectRuns: window.__effectRuns ?? null,
    firstResultMs: probe.firstResultMs,
  });

  // The last result and the mask behind it: its size, its foreground share, centre against border.
  probe.inspect = async () => {
    const state = probe.snapshot();
    const el = document.querySelector('cv-segment');
    if (!el || !el.result) return state;
    const { width, height, foreground } = el.result;
    const mask = await el.readMask();
    let fg = 0, centre = 0, centreN = 0, border = 0, borderN = 0;
    for (let y = 0; y < mask.height; y++) {
      for (let x = 0; x < mask.width; x++) {
        const v = mask.data[(y * mask.width + x) * 4];
        if (v >= 128) fg++;
        const u = x / mask.width, w = y / mask.height;
        if (u > 1 / 3 && u < 2 / 3 && w > 1 / 3 && w < 2 / 3) { centre += v; centreN++; }
        else if (u < 0.1 || u > 0.9 || w < 0.1) { border += v; borderN++; }
      }
    }
    state.result = {
      width, height, foreground,
      maskWidth: mask.width, maskHeight: mask.height,
      maskShare: fg / (mask.width * mask.height),
      centre: +(centre / centreN / 255).toFixed(3),
      border: +(border / borderN / 255).toFixed(3),
    };
    return state;
  };
  window.__cvProbe = probe;
})();`;
