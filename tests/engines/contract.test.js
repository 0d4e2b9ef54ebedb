// Per-engine suite (Chromium, Firefox, WebKitGTK): the error contract, the lifecycle and backend
// choice, with the tiny fixture models. What an engine cannot run is skipped with the reason.
import '../reliability/flag.js';
import { expect } from '@esm-bundle/chai';
import { ERROR_CODES, InferenceClient, liveCameraStreams } from '/dist/cv-elements.js';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from '../elements/helpers.js';
import { counts, expectNoLeaks } from '../reliability/helpers.js';
import { engine, skipBecause } from './engine.js';

afterEach(() => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img').forEach((el) => el.remove());
});

const solid = (id, colour, size = 32) =>
  canvasWith(id, size, size, (ctx, w, h) => {
    ctx.fillStyle = colour;
    ctx.fillRect(0, 0, w, h);
  });

async function shownError(el) {
  await el.updateComplete;
  const part = el.shadowRoot.querySelector('[part=error]');
  return part.hidden ? '' : part.textContent;
}

describe(`error contract (${engine.name})`, () => {
  it('a missing source: source-not-found, a readable message in the element, results once it appears', async () => {
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#later" backend="wasm"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(ERROR_CODES).to.include(err.detail.code);
    expect(err.detail.code).to.equal('source-not-found');
    expect(err.detail.message).to.contain('#later');
    expect(await shownError(el)).to.contain('#later');
    solid('later', '#00e');
    const res = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'blue');
    expect(res.detail.frame).to.be.greaterThan(0);
    expect(await shownError(el)).to.equal('');
  });

  it('an unknown model: model-not-found naming it, and the element recovers when src is fixed', async () => {
    solid('red', '#e00');
    const el = mount(`<cv-classify src="no-such-model" catalog="${TINY_CATALOG}" source="#red" backend="wasm"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('model-not-found');
    expect(err.detail.message).to.contain('no-such-model');
    expect(await shownError(el)).to.contain('no-such-model');
    el.src = 'tiny-colour';
    const res = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'red');
    expect(res.detail.labels[0].score).to.be.greaterThan(0.9);
    expect(await shownError(el)).to.equal('');
  });

  it('a bad attribute: bad-attribute naming the value, and the default is used', async () => {
    solid('green', '#0c0');
    const el = mount(`<cv-classify backend="quantum" src="tiny-colour" catalog="${TINY_CATALOG}" source="#green"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('bad-attribute');
    expect(err.detail.message).to.contain('quantum');
    const res = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'green');
    expect(res.detail.labels[0].label).to.equal('green');
  });

  it('bytes that are not a model: model-invalid', async () => {
    solid('c', '#888');
    const el = mount(`<cv-classify src="/tests/fixtures/catalog.json" source="#c" backend="wasm"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(['model-invalid', 'model-fetch']).to.include(err.detail.code);
    expect(err.detail.message.length).to.be.greaterThan(10);
  });
});

describe(`backends (${engine.name})`, () => {
  it('auto picks WASM where the engine has no WebGPU adapter (WebGPU where it has one)', async () => {
    const { webgpuAdapter } = await engine.features();
    solid('a', '#e00');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#a"></cv-classify>`);
    const ready = await nextEvent(el, 'cv-ready');
    // Chromium's only adapter here is SwiftShader, which auto passes over as a software GPU.
    if (!webgpuAdapter || engine.name === 'Chromium') expect(ready.detail.backend).to.equal('wasm');
    expect(ready.detail.threads, 'isolated pages run wasm threads').to.be.greaterThan(1);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.labels[0].label).to.equal('red');
  });

  it('backend="webgpu" without WebGPU: backend-unavailable with a readable message, no hang', async function () {
    if ((await engine.features()).webgpuAdapter) skipBecause(this, `${engine.name} has a WebGPU adapter here: backend="webgpu" runs (tests/elements/real-models.test.js covers it in Chromium)`);
    solid('g', '#e00');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#g" backend="webgpu"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    console.log(`[backend-unavailable] ${engine.name}: ${err.detail.message}`);
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.match(/webgpu/i);
    expect(await shownError(el)).to.match(/webgpu/i);
    // Recovery: the same element runs once the backend is one this engine has.
    el.backend = 'wasm';
    const res = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'red');
    expect(res.detail.labels[0].label).to.equal('red');
  });
  it('backend="mediapipe" without WebGL2 in a worker: backend-unavailable naming WebGL2 (not model-invalid), and wasm recovers', async function () {
    if ((await engine.features()).workerWebgl2) skipBecause(this, `${engine.name} has WebGL2 on a worker OffscreenCanvas here: MediaPipe runs (tests/elements/mediapipe.test.js covers it in Chromium)`);
    const img = new Image();
    img.src = '/tests/.fixtures/astronaut.png';
    await img.decode();
    img.id = 'mp';
    document.body.append(img);
    const el = mount(`<cv-segment source="#mp" backend="mediapipe"></cv-segment>`);
    const err = await nextEvent(el, 'cv-error', 120000);
    console.log(`[mediapipe] ${engine.name}: ${err.detail.code}: ${err.detail.message}`);
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.contain('WebGL2');
    expect(await shownError(el)).to.contain('WebGL2');
    el.backend = 'wasm';
    const res = await nextEvent(el, 'cv-result', 120000);
    expect(res.detail.foreground).to.be.within(0.3, 0.85);
  });
});

describe(`lifecycle (${engine.name})`, () => {
  it('connect, results, disconnect: every session, bitmap and listener is given back', async () => {
    const before = counts();
    solid('l', '#e00');
    const a = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#l" backend="wasm"></cv-classify>`);
    const b = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#l" backend="wasm"></cv-segment>`);
    await Promise.all([nextEvent(a, 'cv-result'), nextEvent(b, 'cv-result')]);
    expect(Object.keys(InferenceClient.openSessions()).length).to.be.greaterThan(0);
    // Moved in the page (disconnect + connect): it keeps working.
    document.body.append(a);
    await nextEvent(a, 'cv-result');
    a.remove();
    b.remove();
    await expectNoLeaks({ ...before, worker: before.worker });
  });

  it('runs on the engine\'s fake camera at the asked resolution, and stops it when the element goes', async () => {
    // A spy, not a stub: the real getUserMedia answers. WebKitGTK's mock camera gives a track with no
    // size and no frames for { width: {}, height: {} }, which is what the element asked before the fix.
    const asked = [];
    const real = navigator.mediaDevices.getUserMedia;
    navigator.mediaDevices.getUserMedia = function (c) {
      asked.push(c);
      return real.call(this, c);
    };
    try {
      const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" resolution="320x240"></cv-classify>`);
      const ready = await nextEvent(el, 'cv-ready');
      // The paths reported are the ones this engine needs: its own APIs where it has them.
      const f = await engine.features();
      const { paths } = ready.detail;
      console.log(`[paths] ${engine.name}: ${JSON.stringify(paths)}`);
      expect(paths.engine).to.contain(engine.name === 'WebKit' ? 'WebKit' : engine.name);
      expect(paths.frames).to.equal(f.requestVideoFrameCallback ? 'video-frame-callback' : 'animation-frame');
      expect(paths.cache).to.equal(f.cacheApi ? 'cache-api' : 'none');
      expect(paths.threads).to.be.greaterThan(1);
      const res = await nextEvent(el, 'cv-result');
      // The capture path is known once a video frame has gone to the worker.
      expect(el.paths.capture).to.equal(f.VideoFrame ? 'video-frame' : 'image-bitmap');
      expect(res.detail.labels).to.have.length(3);
      expect(asked.map((c) => [c.video.width?.ideal, c.video.height?.ideal])).to.deep.equal([[320, 240]]);
      expect(liveCameraStreams()).to.equal(1);
      const track = el.shadowRoot.querySelector('video').srcObject.getVideoTracks()[0];
      el.remove();
      expect(track.readyState).to.equal('ended');
      expect(liveCameraStreams()).to.equal(0);
    } finally {
      navigator.mediaDevices.getUserMedia = real;
    }
  });

});
