// WebGPU device loss, injected for real: the test hook calls destroy() on the device onnxruntime-web
// runs on (SwiftShader here). With backend="webgpu" the element reports backend-unavailable and comes
// back on a new device; with backend="auto" it moves to WASM and says so with cv-backend-change.
// (WebGPU that fails to start is in reliability-gpu-start.test.js: `auto` remembers a failure for the page.)
import { expect } from '@esm-bundle/chai';
import { InferenceClient } from '/dist/cv-elements.js';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

// Hooks on; SwiftShader counts as a real GPU so that `auto` picks WebGPU at all.
globalThis.__CV_ELEMENTS_TEST__ = { softwareGpuIsReal: true, limits: { idleMs: 300 } };
const hooks = () => globalThis.__CV_ELEMENTS_TEST__.hooks;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  document.querySelectorAll('cv-classify, canvas').forEach((el) => el.remove());
  await sleep(500);
});

function redCanvas(id) {
  return canvasWith(id, 32, 32, (ctx, w, h) => {
    ctx.fillStyle = '#e11';
    ctx.fillRect(0, 0, w, h);
  });
}

function collect(el, type) {
  const seen = [];
  el.addEventListener(type, (e) => seen.push(e.detail));
  return seen;
}

describe('WebGPU device loss', () => {
  it('backend="webgpu": one backend-unavailable, then results again on a new device', async () => {
    redCanvas('gpu1');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#gpu1" backend="webgpu"></cv-classify>`);
    expect((await nextEvent(el, 'cv-ready', 120000)).detail.backend).to.equal('webgpu');
    await nextEvent(el, 'cv-result', 60000);
    const errors = collect(el, 'cv-error');
    const t0 = performance.now();
    expect(hooks().inject('webgpu', 'lose-device')).to.equal(true);
    const err = await eventWhere(el, 'cv-error', () => true, 20000);
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.match(/WebGPU device was lost/);
    const ready = await nextEvent(el, 'cv-ready', 120000);
    expect(ready.detail.backend).to.equal('webgpu');
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0 && d.labels[0].label === 'red', 60000);
    expect(errors.map((e) => e.code)).to.deep.equal(['backend-unavailable']);
  });

  it('backend="auto": falls back to WASM with cv-backend-change, and results resume', async () => {
    redCanvas('gpu2');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#gpu2"></cv-classify>`);
    expect((await nextEvent(el, 'cv-ready', 120000)).detail.backend).to.equal('webgpu');
    await nextEvent(el, 'cv-result', 60000);
    const changes = collect(el, 'cv-backend-change');
    const errors = collect(el, 'cv-error');
    const t0 = performance.now();
    hooks().inject('webgpu', 'lose-device');
    const change = await nextEvent(el, 'cv-backend-change', 20000);
    expect(change.detail).to.include({ from: 'webgpu', to: 'wasm' });
    expect(change.detail.reason).to.match(/lost/);
    expect((await nextEvent(el, 'cv-ready', 60000)).detail.backend).to.equal('wasm');
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0 && d.labels[0].label === 'red', 60000);
    expect(changes).to.have.length(1);
    expect(errors).to.deep.equal([]);
    await sleep(800);
    expect(InferenceClient.liveWorkers()).to.deep.equal(['wasm']);
  });
});
