// React 19 with the real elements: the cv-elements/react wrappers (@lit/react) and the bare tags, in
// StrictMode, with a tiny model on a canvas source. React comes bundled by scripts/react-bundle.mjs.
import { expect } from '@esm-bundle/chai';
import { React, createRoot, flushSync, CvClassify, CvSegment, CvGenerate } from '/tests/react-bundle.js';
import { TINY_CATALOG, canvasWith } from './helpers.js';

const h = React.createElement;
let root = null;
let container = null;

beforeEach(() => {
  canvasWith('red', 64, 48, (ctx, w, h) => {
    ctx.fillStyle = 'rgb(230, 20, 20)';
    ctx.fillRect(0, 0, w, h);
  });
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  flushSync(() => root.unmount());
  container.remove();
  document.querySelectorAll('canvas').forEach((c) => c.remove());
});

/** Renders `element` in StrictMode; resolves with the first call of the handler the test passes in. */
function renderUntil(make, ms = 30000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event within ${ms} ms`)), ms);
    const done = (e) => {
      clearTimeout(timer);
      resolve(e);
    };
    flushSync(() => root.render(h(React.StrictMode, null, make(done))));
  });
}

describe('cv-elements/react', () => {
  it('exports a wrapper per tag, named after the element class', () => {
    expect([CvClassify, CvSegment, CvGenerate].map((c) => c.displayName)).to.deep.equal(['CvClassify', 'CvSegment', 'CvGenerate']);
  });

  it('<CvClassify> sets properties (not attributes) and calls onCvReady and onCvResult with the detail', async () => {
    let ready = null;
    const e = await renderUntil((done) =>
      h(CvClassify, { src: 'tiny-colour', catalog: TINY_CATALOG, source: '#red', backend: 'wasm', topK: 2, onCvReady: (ev) => (ready = ev.detail), onCvResult: done }),
    );
    const el = container.querySelector('cv-classify');
    expect(el.topK).to.equal(2);
    expect(el.hasAttribute('topk') || el.hasAttribute('topK')).to.equal(false);
    expect(ready?.backend).to.equal('wasm');
    expect(e.type).to.equal('cv-result');
    expect(e.detail.labels).to.have.length(2);
    expect(e.detail.labels[0].label).to.equal('red');
  });

  it('unmounting removes the element: one element after StrictMode, none after unmount', async () => {
    await renderUntil((done) => h(CvClassify, { src: 'tiny-colour', catalog: TINY_CATALOG, source: '#red', backend: 'wasm', onCvResult: done }));
    expect(container.querySelectorAll('cv-classify')).to.have.length(1);
    flushSync(() => root.render(null));
    expect(document.querySelectorAll('cv-classify')).to.have.length(0);
  });
});

describe('React 19 with the bare tags', () => {
  it('<cv-classify oncv-result> listens to cv-result, and top-k reaches the element', async () => {
    const e = await renderUntil((done) =>
      h('cv-classify', { src: 'tiny-colour', catalog: TINY_CATALOG, source: '#red', backend: 'wasm', 'top-k': 1, 'oncv-result': done }),
    );
    const el = container.querySelector('cv-classify');
    expect(el.topK).to.equal(1);
    expect(e.detail.labels).to.have.length(1);
    expect(e.detail.labels[0].label).to.equal('red');
  });
});
