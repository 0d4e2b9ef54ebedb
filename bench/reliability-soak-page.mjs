// The reliability soak's page (bench/reliability-soak.mjs drives it): a few real elements on the fake
// camera and on a canvas, and every `period` seconds one churn step, in turn: flip a `src`, move an
// element to another box, remove one and add it back (synchronously, as React StrictMode does),
// pause and unpause. It counts results, errors and long tasks, and reads the library's resource counts.
globalThis.CV_ELEMENTS_TEST = true;
await import('../dist/cv-elements.js');

const params = new URLSearchParams(location.search);
const periodMs = Number(params.get('period') ?? 10) * 1000;
const state = { results: 0, errors: [], longTasks: [], steps: 0, started: performance.now(), resultsBy: {} };
window.__soak = state;
new PerformanceObserver((l) => l.getEntries().forEach((e) => state.longTasks.push({ at: Math.round(e.startTime), ms: Math.round(e.duration) }))).observe({ type: 'longtask', buffered: true });

const still = document.getElementById('still');
const ctx = still.getContext('2d');
ctx.fillStyle = '#c33';
ctx.fillRect(0, 0, 64, 48);

const boxes = ['a', 'b', 'c'].map((id) => document.getElementById(id));
function make(tag, attrs, box) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.addEventListener('cv-result', () => {
    state.results++;
    state.resultsBy[el.dataset.name] = (state.resultsBy[el.dataset.name] ?? 0) + 1;
  });
  el.addEventListener('cv-error', (e) => state.errors.push({ at: Math.round(performance.now() - state.started), name: el.dataset.name, ...e.detail }));
  el.dataset.name = `${tag}#${Object.values(attrs).join(',')}`.slice(0, 60);
  box.append(el);
  return el;
}

const seg = make('cv-segment', { src: 'selfie-segmentation', backend: 'wasm', effect: 'blur', 'max-fps': '15' }, boxes[0]);
const cls = make('cv-classify', { src: 'fashion-cnn', backend: 'wasm', 'max-fps': '15' }, boxes[1]);
const still1 = make('cv-classify', { src: 'fashion-cnn', backend: 'wasm', source: '#still', 'max-fps': '5' }, boxes[2]);
const els = [seg, cls, still1];

const steps = [
  // Flip a src to another model and back (next time round).
  () => (seg.src = seg.src === 'selfie-segmentation' ? 'selfie-segmentation-landscape' : 'selfie-segmentation'),
  // Move an element to another box.
  () => boxes[(boxes.indexOf(cls.parentElement) + 1) % boxes.length].append(cls),
  // Remove and add back in one task (React StrictMode).
  () => {
    const box = still1.parentElement;
    still1.remove();
    box.append(still1);
  },
  // Pause for a while (longer than the camera's grace period, so the camera goes off and comes back).
  () => {
    seg.paused = true;
    cls.paused = true;
    setTimeout(() => {
      seg.paused = false;
      cls.paused = false;
    }, Math.min(periodMs - 500, 5000));
  },
  // Redraw the still, so the canvas source changes.
  () => {
    ctx.fillStyle = `hsl(${(state.steps * 47) % 360} 70% 50%)`;
    ctx.fillRect(0, 0, 64, 48);
  },
];
setInterval(() => {
  steps[state.steps % steps.length]();
  state.steps++;
}, periodMs);

/** One reading for the driver: counts, plus JS memory of the page and its workers. */
window.__soakProbe = async () => {
  const read = globalThis[Symbol.for('cv-elements.resources')];
  let uaMB = null;
  if (typeof performance.measureUserAgentSpecificMemory === 'function') {
    const m = await Promise.race([performance.measureUserAgentSpecificMemory(), new Promise((r) => setTimeout(() => r(null), 20000))]);
    if (m) uaMB = Math.round((m.bytes / 1048576) * 10) / 10;
  }
  return {
    t: Math.round((performance.now() - state.started) / 1000),
    results: state.results,
    resultsBy: { ...state.resultsBy },
    errors: state.errors.length,
    longTasks: state.longTasks.length,
    steps: state.steps,
    heapMB: Math.round((performance.memory?.usedJSHeapSize ?? 0) / 104857.6) / 10,
    uaMB,
    resources: read ? read() : null,
    alive: els.filter((e) => e.isConnected).length,
  };
};
