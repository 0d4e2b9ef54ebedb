// The fault matrix, page side: each fault injected for real (test-server routes that 404, cut the body
// or never answer; bad selectors; cross-origin pixels), then four checks: the cv-error code (a string
// from src/errors.ts), the message shown in the element, recovery once the cause is fixed, and no leak.
import '../reliability/flag.js';
import { expect } from '@esm-bundle/chai';
import { ERROR_CODES } from '../reliability/codes.js';
import { InferenceClient } from '/dist/cv-elements.js';
import { TINY_CATALOG, cleanup, expectNoLeaks, mount, nextError, nextResult, redCanvas, shownError, sleep, waitFor } from '../reliability/helpers.js';

afterEach(cleanup);

const FIX = '/tests/fixtures';
const other = location.href.includes('localhost') ? location.href.replace('localhost', '127.0.0.1') : location.href.replace('127.0.0.1', 'localhost');
const crossOrigin = (path) => new URL(path, other).href;

/**
 * [name, markup, expected code (or null: no error, only no brick), shown-text check, how to fix]
 * The canvas #m (red) exists for every case.
 */
const MATRIX = [
  ['model URL answers 404', `<cv-classify src="/__faults/404/tiny-colour.onnx" source="#m"></cv-classify>`, 'model-fetch', /404|tiny-colour/, (el) => (el.src = 'tiny-colour')],
  ['model body cut mid-way', `<cv-classify src="/__faults/reset/tiny-colour.onnx" source="#m"></cv-classify>`, 'model-fetch', /./, (el) => (el.src = 'tiny-colour')],
  ['model bytes are not a model', `<cv-classify src="/__faults/garbage-model/x.onnx" source="#m"></cv-classify>`, 'model-invalid', /./, (el) => (el.src = 'tiny-colour')],
  ['unknown catalog name', `<cv-classify src="no-such-model" source="#m"></cv-classify>`, 'model-not-found', /no-such-model/, (el) => (el.src = 'tiny-colour')],
  ['src="constructor" (a prototype name)', `<cv-classify src="constructor" source="#m"></cv-classify>`, 'model-not-found', /constructor/, (el) => (el.src = 'tiny-colour')],
  ['model URL never answers', `<cv-classify src="/__faults/hang/tiny-colour.onnx" source="#m"></cv-classify>`, null, null, (el) => (el.src = 'tiny-colour')],
  ['catalog answers 404', `<cv-classify src="tiny-colour" catalog="/__faults/404/catalog.json" source="#m"></cv-classify>`, 'model-fetch', /404/, (el) => (el.catalog = TINY_CATALOG)],
  ['catalog is not JSON', `<cv-classify src="tiny-colour" catalog="/__faults/not-json/catalog.json" source="#m"></cv-classify>`, 'catalog-invalid', /catalog|JSON/i, (el) => (el.catalog = TINY_CATALOG)],
  ['catalog is JSON but no catalog', `<cv-classify src="tiny-colour" catalog="/__faults/not-a-catalog/catalog.json" source="#m"></cv-classify>`, 'catalog-invalid', /catalog/, (el) => (el.catalog = TINY_CATALOG)],
  ['catalog never answers', `<cv-classify src="tiny-colour" catalog="/__faults/hang/catalog.json" source="#m"></cv-classify>`, null, null, (el) => (el.catalog = TINY_CATALOG)],
  ['integrity mismatch', `<cv-classify src="${FIX}/tiny-colour.onnx" integrity="sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" source="#m"></cv-classify>`, 'integrity', /./, (el) => (el.removeAttribute('integrity'), (el.src = 'tiny-colour'))],
  ['source selector is not CSS', `<cv-classify src="tiny-colour" source="##not(a selector"></cv-classify>`, 'source-not-found', /selector/, (el) => (el.source = '#m')],
  ['source matches nothing, then appears', `<cv-classify src="tiny-colour" source="#later"></cv-classify>`, 'source-not-found', /#later/, () => redCanvas('later')],
  ['source is a <div>', `<cv-classify src="tiny-colour" source="body"></cv-classify>`, 'bad-attribute', /<body>/, (el) => (el.source = '#m')],
  ['source image 404', `<cv-classify src="tiny-colour" source="#broken"></cv-classify>`, 'source-unavailable', /#broken/, (el) => (el.source = '#m'), () => addImage('broken', '/__faults/404/x.png')],
  ['source image cross-origin without CORS', `<cv-classify src="tiny-colour" source="#tainted"></cv-classify>`, 'source-tainted', /cross-origin/, (el) => (el.source = '#m'), () => addImage('tainted', crossOrigin('/__faults/no-cors/a.png'))],
  ['source canvas tainted by a cross-origin draw', `<cv-classify src="tiny-colour" source="#tcanvas"></cv-classify>`, 'source-tainted', /cross-origin/, (el) => (el.source = '#m'), () => taintedCanvas('tcanvas')],
  ['bad backend value', `<cv-classify src="tiny-colour" backend="gpu9000" source="#m"></cv-classify>`, 'bad-attribute', /backend/, (el) => (el.backend = 'wasm'), null, true],
  ['precision="int4"', `<cv-classify src="tiny-colour" precision="int4" source="#m"></cv-classify>`, 'bad-attribute', /precision/, (el) => (el.precision = ''), null, true],
];

function addImage(id, src) {
  const img = document.createElement('img');
  img.id = id;
  img.src = src;
  document.body.append(img);
  return new Promise((r) => {
    img.onload = img.onerror = r;
  });
}

async function taintedCanvas(id) {
  const img = document.createElement('img');
  img.src = crossOrigin('/__faults/no-cors/b.png');
  await new Promise((r) => (img.onload = img.onerror = r));
  const c = redCanvas(id, 32, 32);
  c.getContext('2d').drawImage(img, 0, 0, 32, 32);
}

const matrixResults = [];

describe('reliability: fault matrix (page side)', () => {
  for (const [name, given, code, shown, fix, setup, stillWorks] of MATRIX) {
    // The tiny catalog unless a case says otherwise.
    const markup = given.includes('catalog=') ? given : given.replace('<cv-classify ', `<cv-classify catalog="${TINY_CATALOG}" `);
    it(`${name}: ${code ? [code].flat().join(' or ') : 'no hang'}, message, recovery, no leak`, async () => {
      redCanvas('m');
      if (setup) await setup();
      const el = mount(markup);
      const row = { name, code: null, shown: '', recovered: false, noLeak: false };
      matrixResults.push(row);
      if (code) {
        const err = await nextError(el, 20000);
        row.code = err.code;
        expect(ERROR_CODES).to.include(err.code);
        expect([code].flat()).to.include(err.code);
        row.shown = await shownError(el);
        expect(row.shown).to.match(shown);
        if (stillWorks) await nextResult(el); // an attribute fault: the default is used meanwhile
      } else {
        await sleep(1500); // nothing arrives, nothing else is held up
      }
      await fix(el);
      await nextResult(el, 20000);
      row.recovered = true;
      await sleep(100);
      expect(await shownError(el)).to.equal('');
      el.remove();
      // A request that never answered is cut now: the load waiting on it fails, and must release what it held.
      // (Chromium retries a GET whose connection closed before any answer, so cut until it gives up.)
      if (!code) await waitFor(async () => (await fetch('/__faults/release-hangs'), Object.keys(InferenceClient.openSessions()).length === 0), 'the hung load to fail and let go', 20000);
      await expectNoLeaks();
      row.noLeak = true;
    });
  }

  after(() => console.log(`MATRIX ${JSON.stringify(matrixResults)}`));
});

describe('reliability: lifecycle faults', () => {
  it('removed while its model loads: nothing is left', async () => {
    redCanvas('m');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#m"></cv-classify>`);
    await sleep(5);
    el.remove();
    await sleep(1500);
    await expectNoLeaks();
  });

  it('removed while the camera starts: the track does not stay on', async () => {
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}"></cv-classify>`);
    await sleep(20);
    el.remove();
    await sleep(1500);
    await expectNoLeaks();
  });

  it('stop() while loading, then start(): results', async () => {
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}"></cv-classify>`);
    el.stop();
    await sleep(500);
    await el.start();
    await nextResult(el);
    el.remove();
    await expectNoLeaks();
  });

  it('a new source replacing a failing one clears its message; an unrelated fault stays', async () => {
    redCanvas('m');
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#nothing-yet"></cv-classify>`);
    expect((await nextError(el)).code).to.equal('source-not-found');
    el.src = 'no-such-model';
    expect((await nextError(el)).code).to.equal('model-not-found');
    el.source = '#m';
    await sleep(300);
    // The source is fixed, the model fault still stands (and the old model runs meanwhile? none loaded yet).
    expect(await shownError(el)).to.contain('no-such-model');
    el.src = 'tiny-colour';
    await nextResult(el);
    await sleep(100);
    expect(await shownError(el)).to.equal('');
    el.remove();
    await expectNoLeaks();
  });
});
