// Faults on the worker side, injected for real in Chromium: a model that outputs NaN, a worker that
// hangs, throws or is killed, a Cache API that refuses, an invalid backend, integrity with several
// models, and learned heads that are invalid or corrupt. Each test asserts the code, the message
// shown, and that results resume by themselves.
import { expect } from '@esm-bundle/chai';
import { InferenceClient } from '/dist/cv-elements.js';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

// Test hooks on, and short watchdog bounds so a hang shows in seconds (the defaults are 15 s and more).
globalThis.__CV_ELEMENTS_TEST__ = { limits: { runFloorMs: 2000, otherMs: 3000, idleMs: 300, loadStallMs: 2000 } };
const hooks = () => globalThis.__CV_ELEMENTS_TEST__.hooks;

afterEach(async () => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img').forEach((el) => el.remove());
  // Let idle workers retire, so each test starts from no worker.
  await sleep(500);
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every event of `type` from `el` from now on. */
function collect(el, type) {
  const seen = [];
  el.addEventListener(type, (e) => seen.push(e.detail));
  return seen;
}

function redCanvas(id) {
  return canvasWith(id, 32, 32, (ctx, w, h) => {
    ctx.fillStyle = '#e11';
    ctx.fillRect(0, 0, w, h);
  });
}

const shownError = async (el) => {
  await el.updateComplete;
  const box = el.shadowRoot.querySelector('[part=error]');
  return box.hidden ? '' : box.textContent;
};

describe('model outputs', () => {
  it('a model that outputs NaN gives one model-output error, no result, and the shared worker keeps serving', async () => {
    redCanvas('nan-src');
    const bad = mount(`<cv-classify src="tiny-nan" catalog="${TINY_CATALOG}" source="#nan-src" backend="wasm"></cv-classify>`);
    const good = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#nan-src" backend="wasm"></cv-classify>`);
    const errors = collect(bad, 'cv-error');
    const results = collect(bad, 'cv-result');
    await eventWhere(bad, 'cv-error', (d) => d.code === 'model-output', 30000);
    expect(await shownError(bad)).to.match(/non-finite/);
    // Over the next two seconds the canvas offers ~120 frames: still one report, and retries are spaced.
    await sleep(2000);
    expect(errors.map((e) => e.code)).to.deep.equal(['model-output']);
    expect(results).to.have.length(0);
    // The other element on the same worker is not stuck behind it.
    const t = performance.now();
    await eventWhere(good, 'cv-result', (d) => d.timestamp > t && d.labels[0].label === 'red', 10000);
  });
});

describe('watchdog: hung, crashed and killed workers', () => {
  async function running(id) {
    redCanvas(id);
    const a = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#${id}" backend="wasm"></cv-classify>`);
    const b = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#${id}" backend="wasm"></cv-classify>`);
    await Promise.all([nextEvent(a, 'cv-result'), nextEvent(b, 'cv-result')]);
    return [a, b];
  }

  /** One `worker` error per element with the message shown, then results again without help. */
  async function expectRecovery(els, fault, messagePattern) {
    const errors = els.map((el) => collect(el, 'cv-error'));
    const t0 = performance.now();
    fault();
    await Promise.all(els.map((el) => eventWhere(el, 'cv-error', (d) => d.code === 'worker', 15000)));
    const shown = await shownError(els[0]);
    expect(shown).to.match(messagePattern);
    await Promise.all(els.map((el) => eventWhere(el, 'cv-result', (d) => d.timestamp > t0, 30000)));
    const recoveredMs = performance.now() - t0;
    await sleep(1000);
    for (const list of errors) expect(list.map((e) => e.code)).to.deep.equal(['worker']);
    expect(await shownError(els[0])).to.equal('');
    expect(InferenceClient.liveWorkers()).to.deep.equal(['wasm']);
    return recoveredMs;
  }

  it('a worker that busy-loops is terminated after the run bound and restarted', async () => {
    const els = await running('hang-src');
    const ms = await expectRecovery(els, () => expect(hooks().inject('wasm', 'hang')).to.equal(true), /did not answer a frame/);
    console.log(`hung worker: results again after ${ms.toFixed(0)} ms`);
  });

  it('a worker that throws at top level (error event) is restarted', async () => {
    const els = await running('throw-src');
    await expectRecovery(els, () => hooks().inject('wasm', 'throw'), /inference worker failed/);
  });

  it('a worker killed behind the client is noticed by the watchdog and restarted', async () => {
    const els = await running('kill-src');
    await expectRecovery(els, () => hooks().terminate('wasm'), /did not answer/);
  });

  it('a stalled download fails that load with timeout, and the shared worker is not restarted', async () => {
    const [a] = await running('stall-src');
    const aErrors = collect(a, 'cv-error');
    const b = mount(`<cv-classify src="/tests/stalled/model.onnx?${Date.now()}" source="#stall-src" backend="wasm"></cv-classify>`);
    const t0 = performance.now();
    const err = await nextEvent(b, 'cv-error', 15000);
    expect(err.detail.code).to.equal('timeout');
    expect(err.detail.message).to.match(/no progress/);
    expect(await shownError(b)).to.match(/stalled/);
    expect(performance.now() - t0).to.be.lessThan(10000);
    await eventWhere(a, 'cv-result', (d) => d.timestamp > t0, 5000);
    expect(aErrors).to.deep.equal([]);
  });

  it('snapshot() rejects with worker, and never stays pending, when the worker hangs', async () => {
    canvasWith('seg-src', 64, 64, (ctx, w, h) => {
      ctx.fillStyle = '#f00';
      ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = '#00f';
      ctx.fillRect(w / 2, 0, w / 2, h);
    });
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#seg-src" effect="replace" background="#00ff00" backend="wasm"></cv-segment>`);
    await nextEvent(el, 'cv-result');
    hooks().inject('wasm', 'hang');
    const t0 = performance.now();
    const outcome = await el.snapshot().then(
      () => 'resolved',
      (e) => e.code,
    );
    expect(outcome).to.equal('worker');
    expect(performance.now() - t0).to.be.lessThan(5000);
    // And the element comes back, with a composite again.
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0, 30000);
    expect(await el.snapshot()).to.be.instanceOf(Blob);
  });

  /** A running <cv-segment> composited in the worker, over a red|blue source. */
  async function segmenting(id) {
    canvasWith(id, 64, 64, (ctx, w, h) => {
      ctx.fillStyle = '#f00';
      ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = '#00f';
      ctx.fillRect(w / 2, 0, w / 2, h);
    });
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#${id}" effect="replace" background="#00ff00" backend="wasm"></cv-segment>`);
    await nextEvent(el, 'cv-result');
    return el;
  }

  it('a throw inside composite-snapshot rejects snapshot() with its code, without a worker restart, and the next snapshot works', async () => {
    const el = await segmenting('snapthrow-src');
    const errors = collect(el, 'cv-error');
    expect(hooks().inject('wasm', 'throw-snapshot')).to.equal(true);
    const t0 = performance.now();
    const outcome = await Promise.race([
      el.snapshot().then(
        () => 'resolved',
        (e) => e.code,
      ),
      sleep(10000).then(() => 'pending'),
    ]);
    // The handler's own fault, answered at once: not the watchdog's `worker` after a hung request.
    expect(outcome).to.equal('inference');
    expect(performance.now() - t0).to.be.lessThan(2000);
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0, 5000);
    expect(await el.snapshot()).to.be.instanceOf(Blob);
    expect(errors).to.deep.equal([]);
  });

  it('a throw inside composite-background is one cv-error, the element keeps running, and snapshots still work', async () => {
    const el = await segmenting('bgthrow-src');
    const errors = collect(el, 'cv-error');
    expect(hooks().inject('wasm', 'throw-background')).to.equal(true);
    const t0 = performance.now();
    el.setAttribute('background', '#0000ff');
    const err = await nextEvent(el, 'cv-error', 10000);
    expect(err.detail.code).to.equal('inference');
    expect(err.detail.message).to.match(/composite-background/);
    expect(performance.now() - t0).to.be.lessThan(2000);
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0, 5000);
    await sleep(1000);
    expect(errors.map((e) => e.code)).to.deep.equal(['inference']);
    expect(await el.snapshot()).to.be.instanceOf(Blob);
    // Fixed by the next background that does set.
    el.setAttribute('background', '#ff00ff');
    await sleep(500);
    expect(await shownError(el)).to.equal('');
  });

  it('the worker is terminated when the last element using it goes, and a new one starts on demand', async () => {
    redCanvas('idle-src');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#idle-src" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-result');
    expect(InferenceClient.liveWorkers()).to.include('wasm');
    el.remove();
    await sleep(800);
    expect(InferenceClient.liveWorkers()).to.deep.equal([]);
    expect(InferenceClient.openSessions()).to.deep.equal({});
    const again = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#idle-src" backend="wasm"></cv-classify>`);
    await nextEvent(again, 'cv-result');
  });
});

describe('load retries', () => {
  it('a download whose connection is cut (first 4 requests) is retried by itself: one cv-error, then cv-ready and results', async () => {
    redCanvas('flaky-src');
    const el = mount(`<cv-classify src="/__faults/flaky/4/k${Date.now()}/tiny-colour.onnx" source="#flaky-src" backend="wasm"></cv-classify>`);
    const errors = collect(el, 'cv-error');
    const t0 = performance.now();
    // Each failed fetch uses one or two of the 4 cuts (Chromium repeats a GET whose reused connection is
    // cut), so the load succeeds on the 3rd to 5th try: at the latest 2 + 4 + 8 + 16 = 30 s in.
    await nextEvent(el, 'cv-ready', 45000);
    const readyMs = performance.now() - t0;
    // Reported once, not once per retry; retried after 2 s, 4 s... (Chromium itself repeats a GET
    // whose reused connection is cut, so 4 cuts are 1-2 failed fetches.) (A bare .onnx URL has no input
    // spec for <cv-classify>, so this checks the load, not results: those are the src-change test's.)
    expect(errors.map((e) => e.code)).to.deep.equal(['model-fetch']);
    expect(errors[0].message).to.match(/Could not fetch model/);
    expect(readyMs).to.be.greaterThan(1900);
    expect(await shownError(el)).to.equal('');
    console.log(`flaky download: ready after ${readyMs.toFixed(0)} ms`);
  });

  it('a retry is cancelled when src changes', async () => {
    redCanvas('flaky2-src');
    const el = mount(`<cv-classify src="/__faults/flaky/100/k${Date.now()}/tiny-colour.onnx" source="#flaky2-src" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-error', 10000);
    el.src = 'tiny-colour';
    el.catalog = TINY_CATALOG;
    await nextEvent(el, 'cv-ready', 10000);
    const errors = collect(el, 'cv-error');
    const readies = collect(el, 'cv-ready');
    // The old retry (due 2 s after the failure) must not load the failing URL again over the good one.
    await sleep(3000);
    expect(errors).to.deep.equal([]);
    expect(readies).to.deep.equal([]);
    await eventWhere(el, 'cv-result', (d) => d.labels[0].label === 'red', 5000);
  });
});

describe('models without an input spec', () => {
  it('a bare .onnx URL that <cv-classify> cannot feed gives one model-input error, not a TypeError per frame', async () => {
    redCanvas('bare-src');
    const el = mount(`<cv-classify src="/tests/fixtures/tiny-colour.onnx" source="#bare-src" backend="wasm"></cv-classify>`);
    const errors = collect(el, 'cv-error');
    await nextEvent(el, 'cv-ready', 20000);
    for (const t0 = performance.now(); !errors.length && performance.now() - t0 < 10000; ) await sleep(50);
    await sleep(1500); // frames keep failing the same way: still one event
    expect(errors.map((e) => e.code)).to.deep.equal(['model-input']);
    expect(errors[0].message).to.match(/no image input spec/);
    expect(await shownError(el)).to.match(/input/);
  });
});

describe('backend and integrity', () => {
  it('an invalid backend warns, runs as auto, and starts no worker of its own', async () => {
    redCanvas('bk-src');
    const errors = [];
    const el = document.createElement('cv-classify');
    el.addEventListener('cv-error', (e) => errors.push(e.detail));
    Object.assign(el, { src: 'tiny-colour', catalog: TINY_CATALOG, source: '#bk-src' });
    el.setAttribute('backend', 'quantum');
    document.body.append(el);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.backend).to.equal('wasm');
    expect(errors.map((e) => e.code)).to.deep.equal(['bad-attribute']);
    el.setAttribute('backend', 'warp-drive');
    await nextEvent(el, 'cv-ready');
    expect(InferenceClient.liveWorkers()).to.deep.equal(['wasm']);
    await eventWhere(el, 'cv-result', (d) => d.labels[0].label === 'red');
  });

  it('integrity applies to the model src names only: roi="face" loads its detector too', async () => {
    const img = document.createElement('img');
    img.src = '/tests/.fixtures/astronaut.png';
    img.id = 'face-src';
    document.body.append(img);
    await img.decode();
    const sha = 'ef7ab14153223c6451fbcd698356786da51265a290dc5a2417ca69ed1fca233f'; // expression.int8.onnx in models/catalog.json
    const el = mount(`<cv-classify src="expression" precision="int8" integrity="${sha}" roi="face" source="#face-src" backend="wasm"></cv-classify>`);
    const errors = collect(el, 'cv-error');
    await nextEvent(el, 'cv-ready', 60000);
    const res = await nextEvent(el, 'cv-result', 60000);
    expect(res.detail.labels.length).to.be.greaterThan(0);
    expect(res.detail.labels[0].box.width).to.be.greaterThan(0);
    expect(errors).to.deep.equal([]);
    // And it still guards the model it names.
    el.setAttribute('integrity', 'f'.repeat(64));
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('integrity');
  });
});

describe('error codes', () => {
  it('src="constructor" is model-not-found (no prototype lookup), precision="int4" is bad-attribute', async () => {
    redCanvas('codes-src');
    const a = mount(`<cv-classify src="constructor" catalog="${TINY_CATALOG}" source="#codes-src" backend="wasm"></cv-classify>`);
    const errA = await nextEvent(a, 'cv-error');
    expect(errA.detail.code).to.equal('model-not-found');
    expect(errA.detail.message).to.contain('constructor');
    const b = mount(`<cv-classify src="tiny-colour" precision="int4" catalog="${TINY_CATALOG}" source="#codes-src" backend="wasm"></cv-classify>`);
    const errB = await nextEvent(b, 'cv-error');
    expect(errB.detail.code).to.equal('bad-attribute');
    expect(errB.detail.message).to.contain('int4');
    // Fixed attribute, recovered element.
    b.removeAttribute('precision');
    await eventWhere(b, 'cv-result', (d) => d.labels[0].label === 'red');
  });
});

describe('storage', () => {
  it('a Cache API that refuses reads and writes does not fail the load: it runs uncached', async () => {
    redCanvas('cache-src');
    const first = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#cache-src" backend="wasm"></cv-classify>`);
    await nextEvent(first, 'cv-ready');
    expect(hooks().inject('wasm', 'break-cache')).to.equal(true);
    const url = `/tests/fixtures/tiny-encoder.onnx?broken-cache=${Date.now()}`;
    const res = await fetch('/tests/fixtures/tiny-encoder.onnx');
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()));
    const integrity = `sha256-${btoa(String.fromCharCode(...digest))}`;
    const el = mount(`<cv-generate src="${url}" integrity="${integrity}" source="#cache-src" backend="wasm"></cv-generate>`);
    const errors = collect(el, 'cv-error');
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.cached).to.equal(false);
    expect(ready.detail.fromCache).to.equal(false);
    expect(errors).to.deep.equal([]);
    // A second load downloads again (nothing was stored), and still succeeds.
    el.remove();
    const again = mount(`<cv-generate src="${url}" integrity="${integrity}" source="#cache-src" backend="wasm"></cv-generate>`);
    const ready2 = await nextEvent(again, 'cv-ready');
    expect(ready2.detail.fromCache).to.equal(false);
  });
});

describe('learned heads', () => {
  const BACKBONE_SHA = 'b37530bda2a956c78d6f1721be28b60ef14719193ecef347476690ed62c6b04a'; // tiny-colour fp32

  function headFile(over = {}) {
    return {
      format: 'cv-elements-head',
      version: 1,
      backbone: { name: 'tiny-colour', sha256: BACKBONE_SHA, dim: 3 },
      labels: ['a', 'b'],
      mean: [0, 0, 0],
      scale: [1, 1, 1],
      weights: [1, 0, 0, 0, 1, 0],
      bias: [0, 0],
      trained: { epochs: 10, loss: 0.1, accuracy: 1 },
      examples: { a: [[1, 0, 0]], b: [[0, 1, 0]] },
      ...over,
    };
  }

  function idb(mode, fn) {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('cv-elements', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('heads');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction('heads', mode);
        const req = fn(tx.objectStore('heads'));
        tx.oncomplete = () => (db.close(), resolve(req.result));
        tx.onerror = () => (db.close(), reject(tx.error));
      };
    });
  }

  const learner = (name, src) => mount(`<cv-classify learn src="tiny-colour" catalog="${TINY_CATALOG}" head-name="${name}" source="#${src}" backend="wasm"></cv-classify>`);

  it('an imported head with no "trained" or loss: null is refused before it is saved', async () => {
    redCanvas('imp-src');
    const name = `bad-import-${Date.now()}`;
    const el = learner(name, 'imp-src');
    await nextEvent(el, 'cv-ready');
    for (const bad of [headFile({ trained: undefined }), JSON.parse(JSON.stringify(headFile({ trained: { epochs: 3, loss: NaN, accuracy: 1 } })))]) {
      const code = await el.importHead(new Blob([JSON.stringify(bad)])).then(() => 'accepted', (e) => e.code);
      expect(code).to.equal('head-invalid');
    }
    expect(await idb('readonly', (s) => s.get(name))).to.equal(undefined);
    // The head-name is not bricked: a new element with it becomes ready.
    el.remove();
    const again = learner(name, 'imp-src');
    const errors = collect(again, 'cv-error');
    await nextEvent(again, 'cv-ready');
    expect(errors).to.deep.equal([]);
  });

  it('a corrupt stored head is reported once as head-invalid, removed, and the element works', async () => {
    redCanvas('corrupt-src');
    const name = `corrupt-${Date.now()}`;
    await idb('readwrite', (s) => s.put(headFile({ trained: { epochs: 3, loss: null, accuracy: 1 } }), name));
    const el = learner(name, 'corrupt-src');
    const errors = collect(el, 'cv-error');
    await nextEvent(el, 'cv-ready');
    await eventWhere(el, 'cv-error', (d) => d.code === 'head-invalid', 5000);
    expect(await shownError(el)).to.contain(name);
    expect(await idb('readonly', (s) => s.get(name))).to.equal(undefined);
    expect(await el.addExample('red')).to.equal(1);
    await sleep(300);
    // (A learn element also says once that it has no examples yet; that is not this fault.)
    expect(errors.map((e) => e.code).filter((c) => c !== 'no-examples')).to.deep.equal(['head-invalid']);
  });

  it('clearHead() forgets the examples, the weights and the saved copy', async () => {
    redCanvas('clear-src');
    const name = `clear-${Date.now()}`;
    const el = learner(name, 'clear-src');
    await nextEvent(el, 'cv-ready');
    await el.addExample('red');
    await el.train();
    await el.saveHead();
    expect((await idb('readonly', (s) => s.get(name)))?.labels).to.deep.equal(['red']);
    await el.clearHead();
    expect(await idb('readonly', (s) => s.get(name))).to.equal(undefined);
    const code = await el.exportHead().then(() => 'exported', (e) => e.code);
    expect(code).to.equal('no-examples');
  });
});
