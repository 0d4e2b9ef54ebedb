// Validation at the boundary: a bad attribute gives one console warning, one `bad-attribute`
// cv-error, the default is used, and the element keeps giving results. Colours are colours.
import '../reliability/flag.js';
import { expect } from '@esm-bundle/chai';
import { TINY_CATALOG, cleanup, expectNoLeaks, mount, nextResult, recordErrors, redCanvas, shownError, sleep } from '../reliability/helpers.js';

afterEach(cleanup);

function captureWarnings() {
  const warnings = [];
  const real = console.warn;
  console.warn = (...args) => warnings.push(args.join(' '));
  return { warnings, restore: () => (console.warn = real) };
}

describe('reliability: bad attributes fall back to defaults', () => {
  it('top-k="-3" threshold="NaN" resolution="abc" on the camera: warnings, bad-attribute once each, and results with defaults', async () => {
    const { warnings, restore } = captureWarnings();
    try {
      const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" top-k="-3" threshold="NaN" resolution="abc"></cv-classify>`);
      const errors = recordErrors(el);
      const r = await nextResult(el);
      expect(r.labels).to.have.length(3); // top-k's default
      await nextResult(el);
      await nextResult(el);
      const bad = errors.filter((e) => e.code === 'bad-attribute');
      expect(bad.map((e) => e.message.split(' ')[0]).sort()).to.deep.equal(['resolution', 'threshold', 'top-k']);
      expect(warnings.filter((w) => /top-k|threshold|resolution/.test(w))).to.have.length(3);
      expect(await shownError(el)).to.match(/must be/);
      // Fixing them clears the message.
      el.topK = 2;
      el.threshold = 0;
      el.resolution = '320x240';
      const fixed = await nextResult(el);
      expect(fixed.labels).to.have.length(2);
      await sleep(200);
      expect(await shownError(el)).to.equal('');
      el.remove();
      await expectNoLeaks();
    } finally {
      restore();
    }
  });

  const cases = [
    ['cv-classify', 'backend="quantum"', 'backend'],
    ['cv-classify', 'precision="int4"', 'precision'],
    ['cv-classify', 'max-fps="-1"', 'max-fps'],
    ['cv-classify', 'roi="elbow"', 'roi'],
    ['cv-classify', 'facing="sideways"', null], // a camera attribute: not read with a source
    ['cv-segment', 'effect="sparkle"', 'effect'],
    ['cv-segment', 'threshold="2"', 'threshold'],
    ['cv-segment', 'opacity="abc"', 'opacity'],
  ];
  for (const [tag, attr, name] of cases) {
    it(`<${tag} ${attr}>: ${name ? 'bad-attribute once, and results' : 'results'}`, async () => {
      const { restore } = captureWarnings();
      try {
        redCanvas('attr-src');
        const src = tag === 'cv-segment' ? 'tiny-redmask' : 'tiny-colour';
        const el = mount(`<${tag} src="${src}" catalog="${TINY_CATALOG}" source="#attr-src" ${attr}></${tag}>`);
        const errors = recordErrors(el);
        await nextResult(el);
        await nextResult(el);
        const bad = errors.filter((e) => e.code === 'bad-attribute');
        if (name) {
          expect(bad, JSON.stringify(errors)).to.have.length(1);
          expect(bad[0].message).to.contain(name);
          expect(await shownError(el)).to.contain(name);
        }
        expect(errors.filter((e) => e.code !== 'bad-attribute')).to.deep.equal([]);
        el.remove();
        await expectNoLeaks();
      } finally {
        restore();
      }
    });
  }
});

describe('reliability: colours are never fetched', () => {
  for (const colour of ['oklch(70% 0.1 200)', 'rgb(0 128 255)', 'rebeccapurple', '#abc', 'color-mix(in srgb, red 40%, blue)', 'hsl(120deg 50% 50%)']) {
    it(`background="${colour}" is a colour: no request, no error`, async () => {
      redCanvas('bg-src');
      const before = performance.getEntriesByType('resource').length;
      const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#bg-src" effect="replace" background="${colour}"></cv-segment>`);
      const errors = recordErrors(el);
      await nextResult(el);
      await nextResult(el);
      const fetched = performance
        .getEntriesByType('resource')
        .slice(before)
        .map((e) => decodeURIComponent(e.name))
        .filter((n) => n.includes(colour.split('(')[0]) && !n.includes('/tests/') && !n.includes('/dist/'));
      expect(fetched).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      el.remove();
      await expectNoLeaks();
    });
  }

  it('an image URL that does not load is reported, and a colour then clears it', async () => {
    redCanvas('bg-src2');
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#bg-src2" effect="replace" background="/__faults/404/bg.png"></cv-segment>`);
    const errors = recordErrors(el);
    await nextResult(el);
    await sleep(300);
    expect(errors.map((e) => e.code)).to.deep.equal(['source-unavailable']);
    expect(await shownError(el)).to.contain('/__faults/404/bg.png');
    el.background = 'oklch(50% 0.2 30)';
    await sleep(300);
    expect(await shownError(el)).to.equal('');
    el.remove();
    await expectNoLeaks();
  });
});
