// Every engine-dependent API the elements use, hidden in turn, in Chromium: each element must still give the
// right answer on a real photo, report the fallback it took in cv-ready's `paths`, and fire no cv-error.
// Page-side APIs are hidden in a fresh iframe before the elements load there (fallbacks-frame.html);
// worker-side ones through the test switch (__CV_ELEMENTS_TEST__.workerMasks, worker-test-hooks.ts).
import { expect } from '@esm-bundle/chai';
import { nextEvent } from './helpers.js';

const ASTRONAUT = '/tests/.fixtures/astronaut.png';
const CHROMIUM = /^Chromium \d+/;

/** A fresh page whose window `setup(win)` changes before cv-elements loads in it. */
async function freshPage(setup = () => {}) {
  const iframe = document.createElement('iframe');
  iframe.style.cssText = 'width: 560px; height: 600px; border: 0';
  const loaded = new Promise((resolve) => (window.__cvFrameLoaded = resolve));
  window.__cvFrameSetup = setup;
  iframe.src = '/tests/elements/fallbacks-frame.html';
  document.body.append(iframe);
  const win = await loaded;
  frames.push(iframe);
  return win;
}
const frames = [];
afterEach(() => frames.splice(0).forEach((f) => f.remove()));

/** Mounts `markup` in `win` and collects its cv-errors. */
function mountIn(win, markup) {
  const host = win.document.createElement('div');
  host.innerHTML = markup;
  win.document.body.append(host);
  const el = host.querySelector('[data-el]') ?? host.lastElementChild;
  el.errors = [];
  el.addEventListener('cv-error', (e) => el.errors.push(e.detail));
  return el;
}

/** <cv-segment> on the astronaut photo (an <img> source). */
function segmentPhoto(win, attrs = '') {
  return mountIn(win, `<img id="photo" src="${ASTRONAUT}" hidden><cv-segment data-el source="#photo" backend="wasm" ${attrs}></cv-segment>`);
}

/** A playing <video> of the astronaut (a canvas stream), as a `source`. */
async function astronautVideo(win) {
  const img = new win.Image();
  img.src = ASTRONAUT;
  await img.decode();
  const canvas = Object.assign(win.document.createElement('canvas'), { width: 256, height: 256 });
  const ctx = canvas.getContext('2d');
  const video = Object.assign(win.document.createElement('video'), { id: 'vid', muted: true, playsInline: true });
  // Redrawn every 50 ms so the stream keeps sending frames.
  const timer = win.setInterval(() => ctx.drawImage(img, 0, 0, 256, 256), 50);
  ctx.drawImage(img, 0, 0, 256, 256);
  video.srcObject = canvas.captureStream(20);
  win.document.body.append(video);
  await video.play();
  return { video, stop: () => win.clearInterval(timer) };
}

/** The astronaut's foreground share: about half the frame (0.3–0.85 with the selfie model). */
function expectAstronaut(result) {
  expect(result.foreground, 'foreground share').to.be.within(0.3, 0.85);
}

/**
 * How much less detail the composite has than the photo where the mask says background: the mean
 * absolute difference of horizontal neighbours there, composite over photo (1 = as sharp, 0 = flat).
 * Measured: 0.34 with the canvas filter, 0.36 with the downscale chain (the photo's background is soft already).
 */
async function backgroundDetailRatio(el, win) {
  const shot = await createImageBitmap(await el.snapshot());
  const img = new win.Image();
  img.src = ASTRONAUT;
  await img.decode();
  const { width: W, height: H } = shot;
  const read = (src) => {
    const c = new OffscreenCanvas(W, H).getContext('2d');
    c.drawImage(src, 0, 0, W, H);
    return c.getImageData(0, 0, W, H).data;
  };
  const [a, b] = [read(shot), read(img)];
  const mask = await el.readMask();
  const bg = (x, y) => mask.data[(Math.floor((y * mask.height) / H) * mask.width + Math.floor((x * mask.width) / W)) * 4] < 10;
  let sa = 0, sb = 0, n = 0;
  for (let y = 8; y < H - 8; y += 2) {
    for (let x = 8; x < W - 9; x += 2) {
      if (!bg(x, y) || !bg(x - 8, y) || !bg(x + 8, y)) continue;
      const i = (y * W + x) * 4;
      for (let k = 0; k < 3; k++) {
        sa += Math.abs(a[i + k] - a[i + 4 + k]);
        sb += Math.abs(b[i + k] - b[i + 4 + k]);
      }
      n++;
    }
  }
  expect(n, 'background pixels measured').to.be.greaterThan(1000);
  return sa / sb;
}

describe('fallbacks: each engine-dependent API hidden in Chromium', function () {
  this.timeout(60000);

  it('reports the native paths when nothing is hidden (the control)', async () => {
    const win = await freshPage();
    const el = segmentPhoto(win, 'effect="blur"');
    const ready = await nextEvent(el, 'cv-ready');
    const paths = ready.detail.paths;
    expect(paths.engine).to.match(CHROMIUM);
    expect(paths).to.include({ frames: 'video-frame-callback', capture: 'video-frame', cache: 'cache-api', compositing: 'worker-2d', blur: 'canvas-filter' });
    expect(paths.threads).to.be.greaterThan(1);
    expect(el.compositing).to.deep.equal({ where: 'worker', kind: '2d', blur: 'canvas-filter' });
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expect(await backgroundDetailRatio(el, win)).to.be.lessThan(0.45);
    expect(el.errors).to.deep.equal([]);
  });

  it('without requestVideoFrameCallback, paces a video by animation frames and runs a paused frame once', async () => {
    const win = await freshPage((w) => {
      delete w.HTMLVideoElement.prototype.requestVideoFrameCallback;
      delete w.HTMLVideoElement.prototype.cancelVideoFrameCallback;
    });
    const { video, stop } = await astronautVideo(win);
    const el = mountIn(win, `<cv-segment data-el source="#vid" backend="wasm" effect="none"></cv-segment>`);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.paths.frames).to.equal('animation-frame');
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    // Paused, the video shows one picture: it runs at most once more, not on every animation frame.
    video.pause();
    await new Promise((r) => setTimeout(r, 400));
    const before = el.stats.frames;
    await new Promise((r) => setTimeout(r, 1500));
    expect(el.stats.frames - before, 'frames run while paused').to.be.at.most(1);
    // Playing again, frames flow again.
    await video.play();
    await nextEvent(el, 'cv-result', 10000);
    stop();
    expect(el.errors).to.deep.equal([]);
  });

  it('without VideoFrame on the page, sends video frames as ImageBitmaps', async () => {
    const win = await freshPage((w) => delete w.VideoFrame);
    const { stop } = await astronautVideo(win);
    const el = mountIn(win, `<cv-segment data-el source="#vid" backend="wasm"></cv-segment>`);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.paths.capture).to.equal('image-bitmap');
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    stop();
    expect(el.errors).to.deep.equal([]);
  });

  it('with a worker that cannot use VideoFrames, sends ImageBitmaps', async () => {
    const win = await freshPage((w) => (w.__CV_ELEMENTS_TEST__ = { workerMasks: ['VideoFrame'] }));
    const { stop } = await astronautVideo(win);
    const el = mountIn(win, `<cv-segment data-el source="#vid" backend="wasm"></cv-segment>`);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.paths.capture).to.equal('image-bitmap');
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    stop();
    expect(el.errors).to.deep.equal([]);
  });

  it('without transferControlToOffscreen and Canvas2D filter, composites on the page and blurs by downscaling', async () => {
    const win = await freshPage((w) => {
      delete w.HTMLCanvasElement.prototype.transferControlToOffscreen;
      // As in WebKit: `filter` takes nothing and draws nothing.
      for (const C of [w.CanvasRenderingContext2D, w.OffscreenCanvasRenderingContext2D]) {
        Object.defineProperty(C.prototype, 'filter', { configurable: true, get: () => 'none', set: () => {} });
      }
    });
    const el = segmentPhoto(win, 'effect="blur"');
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.paths).to.include({ compositing: 'page-2d', blur: 'downscale' });
    expect(el.compositing).to.deep.equal({ where: 'page', kind: '2d', blur: 'downscale' });
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expect(await backgroundDetailRatio(el, win), 'background detail left by the blur').to.be.lessThan(0.45);
    expect(el.errors).to.deep.equal([]);
  });

  it('without Canvas2D filter in the worker, blurs there by downscaling', async () => {
    const win = await freshPage((w) => (w.__CV_ELEMENTS_TEST__ = { workerMasks: ['canvas-filter'] }));
    const el = segmentPhoto(win, 'effect="blur"');
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.paths).to.include({ compositing: 'worker-2d', blur: 'downscale' });
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expect(await backgroundDetailRatio(el, win), 'background detail left by the blur').to.be.lessThan(0.45);
    expect(el.errors).to.deep.equal([]);
  });

  for (const mask of ['caches', 'caches-reject']) {
    it(`with the Cache API ${mask === 'caches' ? 'missing' : 'refusing to open'}, loads uncached without a cv-error`, async () => {
      const win = await freshPage((w) => (w.__CV_ELEMENTS_TEST__ = { workerMasks: [mask] }));
      const el = segmentPhoto(win);
      const ready = await nextEvent(el, 'cv-ready');
      expect(ready.detail.paths.cache).to.equal('none');
      expect(ready.detail).to.include({ fromCache: false, cached: false });
      expectAstronaut((await nextEvent(el, 'cv-result')).detail);
      expect(el.errors).to.deep.equal([]);
    });
  }

  it('without cross-origin isolation in the worker, runs on one thread', async () => {
    const win = await freshPage((w) => (w.__CV_ELEMENTS_TEST__ = { workerMasks: ['isolation'] }));
    const el = segmentPhoto(win);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.threads).to.equal(1);
    expect(ready.detail.paths.threads).to.equal(1);
    expectAstronaut((await nextEvent(el, 'cv-result')).detail);
    expect(el.errors).to.deep.equal([]);
  });

  it('without WebGPU, auto runs WASM and backend="webgpu" is backend-unavailable naming the browser', async () => {
    const win = await freshPage((w) => {
      Object.defineProperty(w.navigator, 'gpu', { configurable: true, get: () => undefined });
      w.__CV_ELEMENTS_TEST__ = { workerMasks: ['gpu'], softwareGpuIsReal: true };
    });
    const auto = mountIn(win, `<img id="photo" src="${ASTRONAUT}" hidden><cv-segment data-el source="#photo"></cv-segment>`);
    const ready = await nextEvent(auto, 'cv-ready');
    expect(ready.detail.backend).to.equal('wasm');
    expectAstronaut((await nextEvent(auto, 'cv-result')).detail);
    expect(auto.errors).to.deep.equal([]);
    const gpu = mountIn(win, `<cv-segment data-el source="#photo" backend="webgpu"></cv-segment>`);
    const err = await nextEvent(gpu, 'cv-error', 10000);
    expect(err.detail.code).to.equal('backend-unavailable');
    expect(err.detail.message).to.match(/WebGPU/).and.to.match(/Chromium \d+/);
  });

  it('without module workers, says not-supported naming the browser once, without retrying', async () => {
    const win = await freshPage((w) => {
      // A browser that ignores `type: 'module'` starts the worker as a classic script.
      const Native = w.Worker;
      w.Worker = class extends Native {
        constructor(url, options) {
          super(url, { name: options?.name });
        }
      };
    });
    const el = segmentPhoto(win);
    const t0 = performance.now();
    const err = await nextEvent(el, 'cv-error', 15000);
    expect(performance.now() - t0).to.be.lessThan(10000);
    expect(err.detail.code).to.equal('not-supported');
    expect(err.detail.message).to.match(/module workers/).and.to.match(/Chromium \d+/);
    await new Promise((r) => setTimeout(r, 3000));
    expect(el.errors.map((e) => e.code)).to.deep.equal(['not-supported']);
  });

  it('without OffscreenCanvas in the worker, says not-supported naming the browser', async () => {
    const win = await freshPage((w) => (w.__CV_ELEMENTS_TEST__ = { workerMasks: ['OffscreenCanvas'] }));
    const el = segmentPhoto(win);
    const err = await nextEvent(el, 'cv-error', 15000);
    expect(err.detail.code).to.equal('not-supported');
    expect(err.detail.message).to.match(/OffscreenCanvas/).and.to.match(/Chromium \d+/);
  });
});
