// Ownership: every session, frame, bitmap, track, timer and listener the elements take is given back,
// over runs that flip `src`, move elements and remove them; twenty elements on one page; a thousand
// add/remove cycles (the React StrictMode pattern included). Real models in real Chromium.
import '../reliability/flag.js';
import { expect } from '@esm-bundle/chai';
import { InferenceClient } from '/dist/cv-elements.js';
import { TINY_CATALOG, cleanup, counts, expectNoLeaks, mount, nextError, nextResult, recordErrors, redCanvas, sleep, waitFor } from '../reliability/helpers.js';

afterEach(cleanup);

describe('reliability: models are released', () => {
  it('when one of two models fails (roi="face" src="no-such-model"), the sibling that loads later is released', async () => {
    redCanvas('face-src', 64, 64);
    const el = mount(`<cv-classify roi="face" src="no-such-model" source="#face-src" backend="wasm"></cv-classify>`);
    const err = await nextError(el);
    expect(err.code).to.equal('model-not-found');
    // The face detector was loading alongside: once it arrives it must let go of itself.
    await waitFor(() => Object.keys(InferenceClient.openSessions()).length === 0, 'the face detector to be released', 30000);
    el.remove();
    await expectNoLeaks();
  });

  it('flipping src quickly releases every stale load, and removal releases the last', async () => {
    redCanvas('flip-src');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#flip-src" backend="wasm"></cv-classify>`);
    await nextResult(el);
    for (let i = 0; i < 10; i++) {
      el.src = i % 2 ? 'tiny-colour' : 'tiny-encoder';
      await sleep(i * 7);
    }
    el.src = 'tiny-colour';
    await waitFor(() => el.result && Object.keys(InferenceClient.openSessions()).length === 1, 'one session left', 10000);
    await nextResult(el);
    const sessions = InferenceClient.openSessions();
    expect(Object.values(sessions)).to.deep.equal([1]);
    el.remove();
    await expectNoLeaks();
  });

  it('a moved element keeps working and owns nothing twice', async () => {
    redCanvas('move-src');
    const a = document.createElement('div');
    const b = document.createElement('div');
    document.body.append(a, b);
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#move-src" effect="blur"></cv-segment>`, a);
    await nextResult(el);
    for (let i = 0; i < 5; i++) {
      (i % 2 ? a : b).append(el);
      await nextResult(el);
    }
    expect(Object.values(InferenceClient.openSessions())).to.deep.equal([1]);
    const blob = await el.snapshot(); // its composite bitmap is closed after use
    expect(blob.size).to.be.greaterThan(100);
    a.remove();
    b.remove();
    await expectNoLeaks();
  });

  it('snapshots and generated images close their bitmaps', async () => {
    redCanvas('gen-src', 28, 28);
    const el = mount(`<cv-generate src="tiny-vae" catalog="${TINY_CATALOG}" source="#gen-src"></cv-generate>`);
    const errors = recordErrors(el);
    await nextResult(el);
    await nextResult(el);
    // Only the painted result's images are alive.
    await waitFor(() => counts().imageBitmap <= 4, `few bitmaps alive (now ${counts().imageBitmap})`, 5000);
    for (let i = 0; i < 5; i++) await el.snapshot();
    el.remove();
    await expectNoLeaks();
    expect(errors).to.deep.equal([]);
  });
});

describe('reliability: many elements', () => {
  it('twenty <cv-segment> and <cv-classify> on one page all give results, with no context-limit failure', async function () {
    this.timeout(120000);
    redCanvas('many-src', 32, 32);
    const els = [];
    const errors = [];
    const grid = document.createElement('div');
    grid.className = 'spacer';
    grid.style.cssText = 'display:grid;grid-template-columns:repeat(10, 60px);gap:2px';
    document.body.append(grid);
    let lost = 0;
    for (let i = 0; i < 20; i++) {
      const el = mount(
        i % 2
          ? `<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#many-src" effect="${['mask', 'blur', 'replace'][i % 3]}" max-fps="5"></cv-segment>`
          : `<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#many-src" max-fps="5"></cv-classify>`,
        grid, // all on screen: off-screen elements rightly do not run
      );
      el.addEventListener('cv-error', (e) => errors.push(e.detail));
      el.shadowRoot?.addEventListener?.('webglcontextlost', () => lost++, true);
      els.push(el);
    }
    await Promise.all(els.map((el) => nextResult(el, 90000)));
    await Promise.all(els.map((el) => nextResult(el, 30000))); // and keep giving them
    expect(errors).to.deep.equal([]);
    expect(lost).to.equal(0);
    const segs = els.filter((el) => el.localName === 'cv-segment');
    expect(segs.every((s) => s.compositing !== null)).to.equal(true);
    els.forEach((el) => el.remove());
    await expectNoLeaks();
  });

  it('1,000 add/remove cycles (with the synchronous remove-and-append of React StrictMode) leak nothing', async function () {
    this.timeout(120000);
    redCanvas('cycle-src', 16, 16);
    // One element holds the model, so the cycles measure the elements' own bookkeeping, not model loads.
    const anchor = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#cycle-src" max-fps="10"></cv-classify>`);
    await nextResult(anchor);
    const baseline = counts();
    const t0 = performance.now();
    const errors = [];
    const host = document.createElement('div');
    document.body.append(host);
    for (let i = 0; i < 1000; i++) {
      const el = document.createElement(i % 3 === 2 ? 'cv-segment' : 'cv-classify');
      el.setAttribute('src', i % 3 === 2 ? 'tiny-redmask' : 'tiny-colour');
      el.setAttribute('catalog', TINY_CATALOG);
      el.setAttribute('source', '#cycle-src');
      el.addEventListener('cv-error', (e) => errors.push(e.detail));
      host.append(el);
      // StrictMode: mount, unmount, mount again, in one task.
      el.remove();
      host.append(el);
      if (i % 100 === 0) await nextResult(el, 20000); // now and then, a full load and a result
      else if (i % 10 === 0) await sleep(0);
      el.remove();
    }
    const ms = performance.now() - t0;
    // Let loads that were in flight when their element went settle, and release.
    await waitFor(() => Object.values(InferenceClient.openSessions()).every((n) => n === 1), 'only the anchor holding sessions', 20000);
    expect(errors).to.deep.equal([]);
    expect(ms).to.be.lessThan(60000);
    anchor.remove();
    host.remove();
    await expectNoLeaks();
    console.log(`1000 cycles: ${Math.round(ms)} ms; baseline with the anchor ${JSON.stringify(baseline)}`);
  });
});
