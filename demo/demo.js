// The demo's controls: each one sets an attribute of its element, so what you see is what the markup would do.

/** Attribute controls per element: [attribute, kind, choices or {min, max, step}]. */
const CONTROLS = {
  segment: [
    ['effect', 'select', ['blur', 'mask', 'replace', 'none']],
    ['background', 'text', '#2a6f4e'],
    ['src', 'select', ['selfie-segmentation', 'selfie-segmentation-landscape']],
    ['backend', 'select', ['auto', 'wasm', 'webgpu', 'mediapipe']],
    ['threshold', 'number', { min: 0, max: 1, step: 0.05 }],
    ['opacity', 'number', { min: 0, max: 1, step: 0.1 }],
  ],
  detect: [
    ['labels', 'text', 'person,dog'],
    ['threshold', 'number', { min: 0, max: 1, step: 0.05 }],
    ['max-results', 'number', { min: 1, max: 50, step: 1 }],
    ['backend', 'select', ['auto', 'wasm', 'webgpu']],
  ],
  classify: [
    ['roi', 'select', ['face', 'full']],
    ['src', 'select', ['expression', 'fashion-cnn']],
    ['backend', 'select', ['auto', 'wasm', 'webgpu']],
    ['top-k', 'number', { min: 1, max: 10, step: 1 }],
    ['threshold', 'number', { min: 0, max: 1, step: 0.05 }],
  ],
  learn: [
    ['classes', 'text', 'A,B,C'],
    ['head-name', 'text', 'demo'],
    ['backend', 'select', ['auto', 'wasm', 'webgpu']],
    ['top-k', 'number', { min: 1, max: 10, step: 1 }],
  ],
  faces: [
    ['classes', 'text', 'Me,Friend'],
    ['distance-threshold', 'number', { min: 0, max: 2, step: 0.05 }],
    ['head-name', 'text', 'demo-faces'],
    ['backend', 'select', ['auto', 'wasm', 'webgpu']],
  ],
  generate: [
    ['src', 'select', ['vae', 'dcgan', 'esrgan']],
    ['variants', 'number', { min: 1, max: 8, step: 1 }],
    ['temperature', 'number', { min: 0, max: 3, step: 0.25 }],
    ['seed', 'number', { min: 0, max: 9999, step: 1 }],
    ['backend', 'select', ['auto', 'wasm', 'webgpu']],
  ],
};
const COMMON = [
  ['mirrored', 'checkbox'],
  ['paused', 'checkbox'],
  ['max-fps', 'number', { min: 0, max: 60, step: 5 }],
];

function control(el, [attr, kind, opts]) {
  const label = document.createElement('label');
  label.append(attr);
  let input;
  if (kind === 'select') {
    input = document.createElement('select');
    for (const o of opts) input.append(new Option(o, o));
    input.value = el.getAttribute(attr) ?? opts[0];
  } else {
    input = document.createElement('input');
    input.type = kind;
    if (kind === 'checkbox') input.checked = el.hasAttribute(attr);
    else if (kind === 'number') {
      Object.assign(input, opts);
      input.value = el.getAttribute(attr) ?? '';
      input.placeholder = 'default';
    } else {
      input.value = el.getAttribute(attr) ?? '';
      input.placeholder = opts;
    }
  }
  input.addEventListener('change', () => {
    if (kind === 'checkbox') el.toggleAttribute(attr, input.checked);
    else if (input.value === '') el.removeAttribute(attr);
    else el.setAttribute(attr, input.value);
  });
  label.append(input);
  return label;
}

for (const panel of document.querySelectorAll('.panel')) {
  const key = panel.dataset.for;
  const el = panel.querySelector(`cv-${key}`);
  const form = panel.querySelector('.controls');
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const spec of [...CONTROLS[panel.dataset.controls ?? key], ...COMMON]) form.append(control(el, spec));
  const readout = panel.querySelector('.readout');
  let ready = null;
  let lastError = '';
  el.addEventListener('cv-progress', (e) => {
    const { loaded, total } = e.detail;
    readout.textContent = `loading ${e.detail.model ?? ''}… ${total ? Math.round((100 * loaded) / total) + ' %' : `${(loaded / 1e6).toFixed(1)} MB`}`;
  });
  el.addEventListener('cv-ready', (e) => {
    ready = e.detail;
    lastError = '';
  });
  el.addEventListener('cv-result', () => (lastError = ''));
  el.addEventListener('cv-error', (e) => {
    if (e.detail.code === 'no-examples') return; // the learn bar says so itself: where learning starts, not a fault
    lastError = `${e.detail.code}: ${e.detail.message}`;
    readout.className = 'readout error';
    readout.textContent = lastError;
  });
  setInterval(() => {
    if (!ready || lastError) return;
    const s = el.stats;
    readout.className = 'readout';
    readout.textContent =
      `${ready.backend}${ready.precision ? ' ' + ready.precision : ''} · ${ready.threads} thr · ` +
      `${s.fps} fps · latency ${s.latencyMs.toFixed(1)} ms · model ${s.inferenceMs.toFixed(1)} ms · dropped ${s.dropped}`;
  }, 500);
}

const platform = document.getElementById('platform');
platform.textContent =
  `crossOriginIsolated: ${self.crossOriginIsolated} · cores: ${navigator.hardwareConcurrency} · ` + `WebGPU: ${'gpu' in navigator ? 'yes' : 'no'}`;
