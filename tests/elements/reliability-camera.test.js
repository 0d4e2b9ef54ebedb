// The camera's reliability promises: it is off while nobody watches (paused, hidden tab, off-screen)
import '../reliability/flag.js';
// after CAMERA_IDLE_GRACE_MS, a camera that ends mid-stream is reported once and recovered, and a
// camera fault is never hidden by an unrelated model load. Real fake-camera tracks in real Chromium;
// getUserMedia is stubbed only to inject refusals.
import { expect } from '@esm-bundle/chai';
import { liveCameraStreams } from '/dist/cv-elements.js';
import { TINY_CATALOG, cleanup, domError, expectNoLeaks, mount, nextError, nextResult, recordErrors, setTabHidden, shownError, sleep, stubGetUserMedia, waitFor } from '../reliability/helpers.js';

const GRACE = 3000; // CAMERA_IDLE_GRACE_MS in src/controllers/camera-controller.ts

const trackOf = (el) => el.shadowRoot.querySelector('video').srcObject?.getVideoTracks()[0] ?? null;

async function liveCamera(extra = '') {
  const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm" ${extra}></cv-classify>`);
  await nextResult(el);
  const track = trackOf(el);
  expect(track.readyState).to.equal('live');
  return { el, track };
}

afterEach(() => {
  setTabHidden(false);
  cleanup();
});

describe('reliability: the camera is off when nothing watches', () => {
  it('paused: the track ends after the grace period, and unpausing brings a new live track and results', async () => {
    const { el, track } = await liveCamera();
    el.paused = true;
    await sleep(GRACE / 2);
    expect(track.readyState, 'still on within the grace period').to.equal('live');
    await waitFor(() => track.readyState === 'ended', 'the track to end', GRACE + 2000);
    expect(liveCameraStreams()).to.equal(0);
    el.paused = false;
    const r = await nextResult(el);
    expect(r.labels).to.have.length(3);
    const again = trackOf(el);
    expect(again).to.not.equal(track);
    expect(again.readyState).to.equal('live');
    el.remove();
    await expectNoLeaks();
  });

  it('a pause shorter than the grace keeps the same track (no blinking camera light)', async () => {
    const { el, track } = await liveCamera();
    el.paused = true;
    await sleep(500);
    el.paused = false;
    await nextResult(el);
    expect(trackOf(el)).to.equal(track);
    expect(track.readyState).to.equal('live');
    el.remove();
    await expectNoLeaks();
  });

  it('a hidden tab: the track ends after the grace period and comes back when the tab shows', async () => {
    const { el, track } = await liveCamera();
    setTabHidden(true);
    await waitFor(() => track.readyState === 'ended', 'the track to end', GRACE + 2000);
    expect(liveCameraStreams()).to.equal(0);
    setTabHidden(false);
    await nextResult(el);
    expect(trackOf(el).readyState).to.equal('live');
    el.remove();
    await expectNoLeaks();
  });

  it('off-screen: scrolled away the track ends, scrolled back it returns', async () => {
    const { el, track } = await liveCamera('style="display:block;width:200px;height:150px"');
    const spacer = document.createElement('div');
    spacer.className = 'spacer';
    spacer.style.height = '5000px';
    document.body.append(spacer);
    window.scrollTo(0, 4000);
    await waitFor(() => track.readyState === 'ended', 'the track to end', GRACE + 3000);
    expect(liveCameraStreams()).to.equal(0);
    window.scrollTo(0, 0);
    await nextResult(el);
    expect(trackOf(el).readyState).to.equal('live');
    el.remove();
    await expectNoLeaks();
  });

  it('two elements share the camera: it stays on while one of them still watches', async () => {
    const { el: a, track } = await liveCamera();
    const b = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm"></cv-classify>`);
    await nextResult(b);
    a.paused = true;
    await sleep(GRACE + 800);
    expect(track.readyState).to.equal('live');
    await nextResult(b);
    b.paused = true;
    await waitFor(() => track.readyState === 'ended', 'the track to end', GRACE + 2000);
    a.remove();
    b.remove();
    await expectNoLeaks();
  });
});

describe('reliability: a camera that ends mid-stream', () => {
  it('reports camera-ended once, drops the dead stream, and recovers with a new track', async () => {
    const { el, track } = await liveCamera();
    const errors = recordErrors(el);
    const err = nextError(el);
    track.stop(); // what unplugging does to the device...
    track.dispatchEvent(new Event('ended')); // ...and the event the browser fires for it
    expect((await err).code).to.equal('camera-ended');
    expect(await shownError(el)).to.contain('camera stopped');
    // The dead stream is never handed to a newcomer.
    const other = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm"></cv-classify>`);
    await nextResult(other);
    expect(trackOf(other).readyState).to.equal('live');
    expect(trackOf(other)).to.not.equal(track);
    // The first element takes the camera again by itself and its message goes.
    await waitFor(() => trackOf(el)?.readyState === 'live', 'the element to take a live track again', 8000);
    await nextResult(el);
    expect(await shownError(el)).to.equal('');
    expect(errors.filter((e) => e.code === 'camera-ended')).to.have.length(1);
    el.remove();
    other.remove();
    await expectNoLeaks();
  });
});

describe('reliability: camera faults at start', () => {
  for (const [name, code] of [
    ['NotFoundError', 'camera-not-found'],
    ['NotReadableError', 'camera-unavailable'],
    ['OverconstrainedError', 'camera-not-found'],
  ]) {
    it(`${name} gives ${code} with a message, and the element recovers when a camera appears (devicechange)`, async () => {
      const restore = stubGetUserMedia(() => Promise.reject(domError(name, `injected ${name}`)));
      try {
        const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm"></cv-classify>`);
        const err = await nextError(el);
        expect(err.code).to.equal(code);
        expect(typeof err.code).to.equal('string');
        expect(await shownError(el)).to.contain(`injected ${name}`);
        restore();
        navigator.mediaDevices.dispatchEvent(new Event('devicechange'));
        await nextResult(el);
        expect(await shownError(el)).to.equal('');
        el.remove();
        await expectNoLeaks();
      } finally {
        restore();
      }
    });
  }

  it('an autoplay refusal of the camera video is reported (not silent) and the next tap starts it', async () => {
    // Safari/iOS (and embeds with an autoplay policy) may refuse video.play() until a user gesture.
    const play = HTMLMediaElement.prototype.play;
    let refusals = 0;
    HTMLMediaElement.prototype.play = function () {
      refusals++;
      return Promise.reject(domError('NotAllowedError', 'play() refused by the test'));
    };
    try {
      const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm"></cv-classify>`);
      const err = await nextError(el);
      expect(err.code).to.equal('camera-unavailable');
      expect(await shownError(el)).to.contain('tap');
      expect(refusals).to.equal(1);
      HTMLMediaElement.prototype.play = play;
      document.body.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
      await nextResult(el);
      expect(await shownError(el)).to.equal('');
      el.remove();
      await expectNoLeaks();
    } finally {
      HTMLMediaElement.prototype.play = play;
    }
  });

  it('camera-denied stays shown after a successful model load, and clears when the camera is allowed', async () => {
    const restore = stubGetUserMedia(() => Promise.reject(domError('NotAllowedError', 'Permission denied by the test')));
    try {
      const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" backend="wasm"></cv-classify>`);
      const order = [];
      el.addEventListener('cv-error', () => order.push('error'));
      const ready = new Promise((r) => el.addEventListener('cv-ready', () => r(order.push('ready')), { once: true }));
      const err = await nextError(el);
      expect(err.code).to.equal('camera-denied');
      // The model loads after the camera failed: its success must not hide the camera's fault.
      await ready;
      expect(order).to.deep.equal(['error', 'ready']);
      await sleep(100);
      expect(await shownError(el)).to.contain('Permission denied by the test');
      restore();
      el.stop();
      await el.start();
      await nextResult(el);
      expect(await shownError(el)).to.equal('');
      el.remove();
      await expectNoLeaks();
    } finally {
      restore();
    }
  });
});
