// WebGPU that fails to start: the worker's navigator.gpu.requestAdapter answers null (a blocklisted
// GPU). backend="webgpu" reports backend-unavailable; backend="auto" moves to WASM, announced.
import { expect } from '@esm-bundle/chai';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

globalThis.__CV_ELEMENTS_TEST__ = { softwareGpuIsReal: true, noGpuAdapter: true, limits: { idleMs: 300 } };

afterEach(() => document.querySelectorAll('cv-classify, canvas').forEach((el) => el.remove()));

function redCanvas(id) {
  return canvasWith(id, 32, 32, (ctx, w, h) => {
    ctx.fillStyle = '#e11';
    ctx.fillRect(0, 0, w, h);
  });
}

describe('WebGPU start-up failure', () => {
  it('backend="webgpu" gives backend-unavailable', async () => {
    redCanvas('s1');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#s1" backend="webgpu"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error', 60000);
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.match(/adapter/);
  });

  it('backend="auto" falls back to WASM with cv-backend-change, and results come', async () => {
    redCanvas('s2');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#s2"></cv-classify>`);
    const errors = [];
    el.addEventListener('cv-error', (e) => errors.push(e.detail));
    const change = await nextEvent(el, 'cv-backend-change', 60000);
    expect(change.detail).to.include({ from: 'webgpu', to: 'wasm' });
    expect((await nextEvent(el, 'cv-ready', 60000)).detail.backend).to.equal('wasm');
    await eventWhere(el, 'cv-result', (d) => d.labels[0].label === 'red', 30000);
    expect(errors).to.deep.equal([]);
  });
});
