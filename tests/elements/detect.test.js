// <cv-detect> through the real worker and onnxruntime-web, with tiny-objects.onnx (see
// tests/fixtures/make_tiny_objects.mjs): row c is class c (red, green, blue), its score the frame's mean
// of channel c, its box fixed in the 8×8 input (red 1..5, blue 3..7), so every answer is known.
import { expect } from '@esm-bundle/chai';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

afterEach(() => document.querySelectorAll('cv-detect, canvas').forEach((el) => el.remove()));

const fill = (color) => (ctx, w, h) => {
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, w, h);
};

describe('<cv-detect> with a tiny detector', () => {
  it('finds the red object, its box in frame pixels, and says so in the live region', async () => {
    canvasWith('red', 80, 40, fill('#f00'));
    const el = mount(`<cv-detect src="tiny-objects" catalog="${TINY_CATALOG}" source="#red" backend="wasm"></cv-detect>`);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.objects).to.have.length(1);
    const [o] = res.detail.objects;
    expect(o.label).to.equal('red');
    expect(o.score).to.be.closeTo(1, 0.01);
    // input 8×8 stretched over 80×40: x × 10, y × 5
    expect(o.box).to.deep.equal({ x: 10, y: 5, width: 40, height: 20 });
    expect(el.result.objects).to.deep.equal(res.detail.objects);
    await el.updateComplete;
    const live = el.shadowRoot.querySelector('[part~="objects"]');
    expect(live.getAttribute('aria-live')).to.equal('polite');
    expect(live.textContent.trim()).to.equal('1 red');
  });

  it('keeps the best first, cuts to max-results, and filters by labels', async () => {
    const c = canvasWith('purple', 64, 64, fill('rgb(255, 0, 128)'));
    const el = mount(`<cv-detect src="tiny-objects" catalog="${TINY_CATALOG}" source="#purple" backend="wasm" threshold="0.4"></cv-detect>`);
    const both = await nextEvent(el, 'cv-result');
    expect(both.detail.objects.map((o) => o.label)).to.deep.equal(['red', 'blue']);
    expect(both.detail.objects[1].box).to.deep.equal({ x: 24, y: 24, width: 32, height: 32 });
    el.maxResults = 1;
    el.paused = true;
    el.paused = false;
    let e = await eventWhere(el, 'cv-result', (d) => d.objects.length === 1);
    expect(e.detail.objects[0].label).to.equal('red');
    el.maxResults = 20;
    el.labels = 'blue, green';
    el.paused = true;
    el.paused = false;
    e = await eventWhere(el, 'cv-result', (d) => d.objects.length === 1 && d.objects[0].label === 'blue');
    expect(e.detail.objects[0].score).to.be.closeTo(128 / 255, 0.02);
    // Below the threshold: nothing, and the live region says so.
    c.getContext('2d').fillStyle = '#000';
    c.getContext('2d').fillRect(0, 0, 64, 64);
    el.paused = true;
    el.paused = false;
    await eventWhere(el, 'cv-result', (d) => d.objects.length === 0);
  });

  it('reports a bad threshold once and runs with the default', async () => {
    canvasWith('red2', 16, 16, fill('#f00'));
    const el = mount(`<cv-detect src="tiny-objects" catalog="${TINY_CATALOG}" source="#red2" backend="wasm" threshold="lots"></cv-detect>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('bad-attribute');
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.objects[0].label).to.equal('red');
  });
});
