import { expect } from '@esm-bundle/chai';
import { emulateMedia, sendKeys } from '@web/test-runner-commands';
import { setStrings } from '/dist/cv-elements.js';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

// What users expect of a camera component: download progress, the hud readout, recording, keyboard
// learn controls, reduced motion and translated strings, each on the real elements and runtime.

afterEach(async () => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img, video, [lang]').forEach((el) => el.remove());
  setStrings(null);
  setStrings(null, 'fr');
  await emulateMedia({ reducedMotion: 'no-preference' });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
const once = (el, type) => new Promise((r) => el.addEventListener(type, r, { once: true }));

function countPixels(data, test) {
  let n = 0;
  for (let i = 0; i < data.length; i += 4) if (test(data[i], data[i + 1], data[i + 2])) n++;
  return n;
}

function fill(color) {
  return (ctx, w, h) => {
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, w, h);
  };
}

describe('download progress (::part(progress))', () => {
  it('shows a progressbar whose value grows while a slowly served model downloads, then hides it', async () => {
    canvasWith('pg', 16, 16, fill('#e00'));
    // /slow/ trickles the 244-byte fixture in 8 pieces, 250 ms apart; the query keeps every run uncached.
    const el = mount(`<cv-classify src="/slow/tiny-colour.onnx?run=${Math.random()}" source="#pg"></cv-classify>`);
    const events = [];
    el.addEventListener('cv-progress', (e) => events.push(e.detail));
    const seen = [];
    let ready = false;
    const readyOrError = Promise.race([nextEvent(el, 'cv-ready'), nextEvent(el, 'cv-error').then((e) => Promise.reject(new Error(e.detail.message)))]);
    readyOrError.then(() => (ready = true), () => (ready = true));
    while (!ready) {
      await frame();
      const bar = el.shadowRoot.querySelector('[part~="progress"]');
      if (bar && !bar.hidden) seen.push(Number(bar.getAttribute('aria-valuenow')));
    }
    await readyOrError;
    const bar = el.shadowRoot.querySelector('[part~="progress"]');
    expect(bar.getAttribute('role')).to.equal('progressbar');
    expect(bar.getAttribute('aria-label')).to.equal('Downloading model');
    expect(bar.getAttribute('aria-valuemax')).to.equal('100');
    // A busy worker can read two pieces at once, so fewer events than pieces is fine.
    expect(events.length, 'cv-progress events').to.be.greaterThan(2);
    const distinct = [...new Set(seen)];
    expect(distinct.length, `values shown: ${distinct}`).to.be.greaterThan(2);
    expect(distinct).to.deep.equal([...distinct].sort((a, b) => a - b));
    expect(distinct[0]).to.be.lessThan(50);
    // The bar shows what cv-progress said: every value shown is one event's share.
    const shares = events.map((e) => Math.floor((e.loaded / e.total) * 100));
    for (const v of distinct) expect(shares).to.include(v);
    await frame();
    await el.updateComplete;
    expect(bar.hidden, 'hidden once ready').to.equal(true);
  });

  it('shows nothing for a model already in the cache', async () => {
    canvasWith('pc', 16, 16, fill('#e00'));
    const warm = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#pc"></cv-classify>`);
    await nextEvent(warm, 'cv-ready');
    warm.remove();
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#pc"></cv-classify>`);
    let shown = false;
    el.addEventListener('cv-progress', async () => {
      await frame();
      shown ||= !el.shadowRoot.querySelector('[part~="progress"]').hidden;
    });
    await nextEvent(el, 'cv-ready');
    await frame();
    expect(shown).to.equal(false);
  });
});

describe('hud', () => {
  /** Frames, element renders and the readout's own time while `n` results arrive. */
  async function measure(el, n) {
    let renders = 0;
    const render = el.render;
    el.render = function () {
      renders++;
      return render.call(this);
    };
    const cost0 = { ...el.hudReadout.cost };
    const per = [];
    const t0 = performance.now();
    await new Promise((resolve) => {
      const on = () => {
        const p = el.stats.phases;
        per.push(p.grabMs + p.paintMs);
        if (per.length >= n) {
          el.removeEventListener('cv-result', on);
          resolve();
        }
      };
      el.addEventListener('cv-result', on);
    });
    const wallMs = performance.now() - t0;
    el.render = render;
    delete el.render;
    const mean = per.reduce((a, b) => a + b, 0) / per.length;
    return { renders, wallMs, mainMsPerFrame: mean, hudMs: el.hudReadout.cost.ms - cost0.ms, hudTicks: el.hudReadout.cost.ticks - cost0.ticks };
  }

  it('shows fps and latency from element.stats a few times a second, without re-rendering per frame', async () => {
    canvasWith('hud', 32, 32, fill('#0c0'));
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#hud" top-k="1"></cv-classify>`);
    await nextEvent(el, 'cv-result');
    expect(el.shadowRoot.querySelector('[part~="hud"]')).to.equal(null);
    const N = 60;
    const off = await measure(el, N);
    el.hud = true;
    await el.updateComplete;
    expect(el.hasAttribute('hud')).to.equal(true);
    const on = await measure(el, N);
    const hud = el.shadowRoot.querySelector('[part~="hud"]');
    expect(hud.textContent).to.match(/^\d+ fps · \d+ ms$/);
    const fps = Number(/^(\d+)/.exec(hud.textContent)[1]);
    expect(fps).to.be.greaterThan(0);
    expect(Math.abs(fps - el.stats.fps)).to.be.lessThan(Math.max(10, el.stats.fps * 0.5));
    // The readout costs no renders: the frames cause the same number with and without it (the label is
    // constant, so both are near zero), and its timer runs at most 4 times a second.
    expect(on.renders).to.be.at.most(off.renders + 1);
    const perSecond = on.hudTicks / (on.wallMs / 1000);
    expect(perSecond).to.be.at.most(5);
    const hudMsPerFrame = on.hudMs / N;
    const samples = [...el.hudReadout.cost.samples].sort((a, b) => a - b);
    const median = samples[samples.length >> 1];
    console.log(
      `hud over ${N} frames (${(on.wallMs / 1000).toFixed(1)} s): renders ${off.renders} off / ${on.renders} on; readout ${on.hudTicks} writes, ` +
        `${on.hudMs.toFixed(3)} ms in all (${hudMsPerFrame.toFixed(4)} ms/frame, median write ${median.toFixed(3)} ms); ` +
        `grab+paint ${off.mainMsPerFrame.toFixed(3)} ms/frame off, ${on.mainMsPerFrame.toFixed(3)} on`,
    );
    // A write is a text change, far under a millisecond. The median, not the sum: on a loaded machine the
    // thread can be descheduled in the middle of any one write (one took 20 ms in a run here).
    expect(median).to.be.lessThan(0.5);
    el.hud = false;
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="hud"]')).to.equal(null);
  });
});

describe('record() and stopRecording()', () => {
  async function decode(blob) {
    const v = document.createElement('video');
    v.muted = true;
    v.src = URL.createObjectURL(blob);
    document.body.append(v);
    await once(v, 'loadedmetadata');
    // MediaRecorder's WebM has no duration in its header: seeking past the end makes the browser find it.
    if (!Number.isFinite(v.duration)) {
      v.currentTime = 1e7;
      await once(v, 'seeked');
    }
    const duration = v.duration;
    // Play it and grab a frame the player presented (a frame callback guarantees it is decoded), from
    // the middle of the recording.
    v.currentTime = 0;
    await once(v, 'seeked');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame presented while playing the recording')), 10000);
      const grab = (_now, meta) => {
        if (meta.mediaTime < Math.min(0.5, duration / 2) && !v.ended) return v.requestVideoFrameCallback(grab);
        ctx.drawImage(v, 0, 0);
        clearTimeout(timer);
        resolve();
      };
      v.requestVideoFrameCallback(grab);
      v.addEventListener('ended', () => grab(0, { mediaTime: duration }), { once: true });
      v.play().catch(reject);
    });
    v.pause();
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    URL.revokeObjectURL(v.src);
    return { duration, width: c.width, height: c.height, data };
  }

  it('records the camera with the worker-composited effect as a WebM that decodes', async () => {
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" effect="replace" background="#00ff00"></cv-segment>`);
    const early = await el.record().then(() => null, (e) => e);
    expect(early?.code, 'before any frame').to.equal('not-ready');
    await nextEvent(el, 'cv-result');
    await nextEvent(el, 'cv-result');
    await el.record();
    expect(el.recording).to.equal(true);
    await sleep(2000);
    const blob = await el.stopRecording();
    expect(el.recording).to.equal(false);
    expect(blob.type).to.equal('video/webm');
    expect(blob.size).to.be.greaterThan(1000);
    const { duration, width, height, data } = await decode(blob);
    // Not 2 s: on a loaded machine (load 16 on 2 cores here) the encoder drops frames it cannot keep up with.
    expect(duration).to.be.greaterThan(0);
    expect([width, height]).to.deep.equal([640, 480]);
    const n = data.length / 4;
    const bright = countPixels(data, (r, g, b) => r + g + b > 90) / n;
    // The replaced background (#00ff00) is the effect: there is none of it in the camera's picture.
    const isGreen = (r, g, b) => g > 180 && r < 100 && b < 100;
    const green = countPixels(data, isGreen) / n;
    const snap = await createImageBitmap(await el.snapshot());
    const ctx = new OffscreenCanvas(snap.width, snap.height).getContext('2d');
    ctx.drawImage(snap, 0, 0);
    const snapGreen = countPixels(ctx.getImageData(0, 0, snap.width, snap.height).data, isGreen) / (snap.width * snap.height);
    const camera = new OffscreenCanvas(640, 480).getContext('2d');
    camera.drawImage(el.shadowRoot.querySelector('video'), 0, 0);
    const cameraGreen = countPixels(camera.getImageData(0, 0, 640, 480).data, isGreen) / n;
    console.log(
      `recording: ${blob.size} bytes, ${duration.toFixed(2)} s, ${(100 * bright).toFixed(0)} % lit, effect green ${(100 * green).toFixed(1)} % ` +
        `(snapshot ${(100 * snapGreen).toFixed(1)} %, camera alone ${(100 * cameraGreen).toFixed(1)} %)`,
    );
    expect(bright, 'not a black frame').to.be.greaterThan(0.3);
    expect(cameraGreen).to.be.lessThan(0.005);
    expect(green, 'the composite is in the recording').to.be.greaterThan(Math.max(0.02, snapGreen * 0.5));
    const again = await el.stopRecording().then(() => null, (e) => e);
    expect(again?.code).to.equal('not-ready');
  });

  it('records the overlay of <cv-classify> (the label drawn over a canvas source)', async () => {
    canvasWith('rc', 320, 240, fill('#0000c0'));
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#rc" top-k="1"></cv-classify>`);
    await nextEvent(el, 'cv-result');
    await el.record();
    await sleep(1200);
    const { duration, data } = await decode(await el.stopRecording());
    expect(duration).to.be.greaterThan(0);
    let blue = 0;
    let other = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 2] > 150 && data[i] < 60 && data[i + 1] < 60) blue++;
      else other++;
    }
    expect(blue, 'the source').to.be.greaterThan(data.length / 8);
    expect(other, 'the label drawn over it').to.be.greaterThan(200);
  });

  it('records a mirrored element as it is shown: mirrored', async () => {
    canvasWith('mir', 320, 240, (ctx, w, h) => {
      ctx.fillStyle = '#d00000';
      ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = '#0000d0';
      ctx.fillRect(w / 2, 0, w / 2, h);
    });
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#mir" mirrored></cv-classify>`);
    await nextEvent(el, 'cv-result');
    await el.record();
    await sleep(1000);
    const { width, data } = await decode(await el.stopRecording());
    const at = (x, y) => Array.from(data.slice((y * width + x) * 4, (y * width + x) * 4 + 3));
    const [left, right] = [at(20, 200), at(300, 200)];
    expect(left[2], `left ${left}`).to.be.greaterThan(150); // the source's right half, blue, is on the left
    expect(right[0], `right ${right}`).to.be.greaterThan(150);
  });

  it('fails with not-supported without captureStream, and stops and releases when the element is removed', async () => {
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" effect="mask"></cv-segment>`);
    await nextEvent(el, 'cv-result');
    const capture = HTMLCanvasElement.prototype.captureStream;
    delete HTMLCanvasElement.prototype.captureStream;
    let err;
    try {
      const event = nextEvent(el, 'cv-error');
      err = await el.record().then(() => null, (e) => e);
      expect((await event).detail.code).to.equal('not-supported');
    } finally {
      HTMLCanvasElement.prototype.captureStream = capture;
    }
    expect(err?.code).to.equal('not-supported');
    expect(el.recording).to.equal(false);

    const streams = [];
    HTMLCanvasElement.prototype.captureStream = function (...args) {
      const s = capture.apply(this, args);
      streams.push(s);
      return s;
    };
    try {
      await el.record();
    } finally {
      HTMLCanvasElement.prototype.captureStream = capture;
    }
    await sleep(1000);
    expect(streams).to.have.length(1);
    expect(streams[0].getVideoTracks()[0].readyState).to.equal('live');
    el.remove();
    expect(el.recording).to.equal(false);
    const blob = await el.stopRecording();
    expect(streams[0].getVideoTracks()[0].readyState).to.equal('ended');
    // What was recorded until removal (possibly nothing yet on a loaded machine: the encoder lags).
    expect(blob).to.be.instanceOf(Blob);
    expect(blob.type).to.equal('video/webm');
  });
});

describe('<cv-classify learn> from the keyboard', () => {
  it('reaches every class button by Tab, captures with Enter and Space, names them and announces counts', async () => {
    canvasWith('kb', 64, 64, fill('#c08040'));
    const el = mount(`<cv-classify learn classes="A,B" source="#kb"></cv-classify>`);
    await nextEvent(el, 'cv-ready', 120000);
    await el.updateComplete;
    const group = el.shadowRoot.querySelector('[part~="learn"]');
    expect(group.getAttribute('role')).to.equal('group');
    expect(group.getAttribute('aria-label')).to.equal('Teach your own classes');
    const [a, b] = el.shadowRoot.querySelectorAll('button[part~="class-button"]');
    expect(a.getAttribute('aria-label')).to.equal('Capture an example of A (0 so far)');

    document.body.focus();
    await sendKeys({ press: 'Tab' });
    expect(document.activeElement).to.equal(el);
    expect(el.shadowRoot.activeElement).to.equal(a);
    expect(getComputedStyle(a).outlineStyle, 'focus is visible').to.equal('solid');
    const addedA = eventWhere(el, 'cv-learn', (d) => d.label === 'A');
    await sendKeys({ press: 'Enter' });
    expect((await addedA).detail.examples).to.equal(1);
    await el.updateComplete;
    expect(a.getAttribute('aria-label')).to.equal('Capture an example of A (1 so far)');
    const live = el.shadowRoot.querySelector('[part~="learn-announce"]');
    expect(live.getAttribute('aria-live')).to.equal('polite');
    expect(live.textContent).to.equal('A: 1 example');

    await sendKeys({ press: 'Tab' });
    expect(el.shadowRoot.activeElement).to.equal(b);
    const addedB = eventWhere(el, 'cv-learn', (d) => d.label === 'B');
    await sendKeys({ press: 'Space' });
    expect((await addedB).detail.examples).to.equal(1);
    await el.updateComplete;
    expect(live.textContent).to.equal('B: 1 example');
    expect(b.getAttribute('aria-label')).to.equal('Capture an example of B (1 so far)');
    // The visible status follows training; a finished run is announced once.
    await el.train();
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="learn-status"]').textContent).to.match(/^trained: accuracy \d+ %/);
  });
});

describe('prefers-reduced-motion', () => {
  async function images(el) {
    const bitmaps = await el.readImages();
    const ctx = new OffscreenCanvas(8, 8).getContext('2d', { willReadFrequently: true });
    const out = bitmaps.map((b) => {
      ctx.drawImage(b, 0, 0);
      b.close();
      return Array.from(ctx.getImageData(0, 0, 8, 8).data).join(',');
    });
    return out.join('|');
  }

  async function walk(el) {
    await nextEvent(el, 'cv-result');
    const seen = new Set();
    for (let i = 0; i < 4; i++) {
      await nextEvent(el, 'cv-result');
      seen.add(await images(el));
      await sleep(300);
    }
    return seen.size;
  }

  it('holds the DCGAN walk still under reduce, and animates it otherwise', async () => {
    canvasWith('rm', 16, 16, () => {});
    await emulateMedia({ reducedMotion: 'reduce' });
    expect(matchMedia('(prefers-reduced-motion: reduce)').matches).to.equal(true);
    const still = mount(`<cv-generate src="tiny-latent" catalog="${TINY_CATALOG}" source="#rm" variants="2" seed="3"></cv-generate>`);
    // Held 4 s per point: over ~1.2 s of samples at most one step can fall (when loading took long).
    expect(await walk(still), 'distinct images over ~1.2 s with reduce').to.be.at.most(2);
    still.remove();
    await emulateMedia({ reducedMotion: 'no-preference' });
    const moving = mount(`<cv-generate src="tiny-latent" catalog="${TINY_CATALOG}" source="#rm" variants="2" seed="3"></cv-generate>`);
    expect(await walk(moving), 'distinct images over ~1.2 s').to.equal(4);
  });
});

describe('translated strings', () => {
  it('setStrings for a language changes what elements in that language render; codes stay', async () => {
    setStrings(
      {
        error: (code, message) => (code === 'model-not-found' ? 'Modèle introuvable' : message),
        learnGroup: 'Apprendre vos classes',
        classButton: (name, count) => `Capturer un exemple de ${name} (${count})`,
      },
      'fr',
    );
    canvasWith('src', 16, 16, fill('#e00'));
    const fr = document.createElement('div');
    fr.lang = 'fr-CA';
    fr.innerHTML = `<cv-classify src="no-such-model" catalog="${TINY_CATALOG}" source="#src"></cv-classify>`;
    const en = document.createElement('div');
    en.lang = 'en';
    en.innerHTML = fr.innerHTML;
    const [elFr, elEn] = [fr.firstElementChild, en.firstElementChild];
    const errors = [nextEvent(elFr, 'cv-error'), nextEvent(elEn, 'cv-error')];
    document.body.append(fr, en);
    const [eFr, eEn] = await Promise.all(errors);
    // The event keeps its code and the English message; only the text shown is translated.
    expect(eFr.detail.code).to.equal('model-not-found');
    expect(eFr.detail.message).to.contain('no-such-model');
    expect(eEn.detail.code).to.equal('model-not-found');
    await elFr.updateComplete;
    await elEn.updateComplete;
    const text = (el) => el.shadowRoot.querySelector('[part~="error"]').textContent;
    expect(text(elFr)).to.equal('Modèle introuvable');
    expect(text(elEn)).to.contain('no-such-model');
    // A later change re-renders the elements already on the page.
    setStrings({ error: (code, message) => (code === 'model-not-found' ? 'Modèle absent' : message) }, 'fr');
    await elFr.updateComplete;
    expect(text(elFr)).to.equal('Modèle absent');
  });

  it('translates the labels read out and drawn on the overlay', async () => {
    setStrings({ labelScore: (label, percent) => `${label} : ${percent} pour cent`, overlayLabel: (label, percent) => `${label} (${percent} %)` }, 'fr');
    canvasWith('lb', 16, 16, fill('#e00'));
    const host = document.createElement('div');
    host.lang = 'fr';
    host.innerHTML = `<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#lb" top-k="1"></cv-classify>`;
    const drawn = [];
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
      drawn.push(text);
      return fillText.call(this, text, ...rest);
    };
    try {
      document.body.append(host);
      await nextEvent(host.firstElementChild, 'cv-result');
    } finally {
      CanvasRenderingContext2D.prototype.fillText = fillText;
    }
    const el = host.firstElementChild;
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="labels"]').textContent).to.match(/^red : \d+ pour cent$/);
    expect(drawn.some((t) => /^red \(\d+ %\)$/.test(t)), `drawn: ${drawn}`).to.equal(true);
  });

  it('translates the learn controls and the hud', async () => {
    setStrings({ learnGroup: 'Apprendre vos classes', classButton: (name, count) => `Capturer un exemple de ${name} (${count})` }, 'fr');
    setStrings({ hud: (fps) => `${fps} img/s` });
    canvasWith('tr', 32, 32, fill('#c08040'));
    const host = document.createElement('div');
    host.lang = 'fr';
    host.innerHTML = `<cv-classify learn hud classes="Chat" source="#tr"></cv-classify>`;
    document.body.append(host);
    const el = host.firstElementChild;
    await nextEvent(el, 'cv-ready', 120000);
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part~="learn"]').getAttribute('aria-label')).to.equal('Apprendre vos classes');
    expect(el.shadowRoot.querySelector('button').getAttribute('aria-label')).to.equal('Capturer un exemple de Chat (0)');
    await sleep(600);
    expect(el.shadowRoot.querySelector('[part~="hud"]').textContent).to.match(/^\d+ img\/s$/);
  });
});
