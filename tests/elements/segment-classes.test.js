import { expect } from '@esm-bundle/chai';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';
// The compositors are imported from src/ (the dev server compiles it): not public API.
import { MaskCompositor } from '/src/overlay/mask-compositor.ts';
import { MaskCompositor2D } from '/src/overlay/mask-compositor-2d.ts';
import { classMask } from '/src/tasks/segment/mask.ts';

// <cv-segment classes> with multi-class segmenters (tests/fixtures/make_tiny_classes.mjs): each pixel's class
// is its dominant colour (0 red, 1 green, 2 blue), so the answer is known by construction. The picture:
// left half red (class 0), top right green (class 1), bottom right blue (class 2).

afterEach(() => {
  document.querySelectorAll('cv-segment, canvas').forEach((el) => el.remove());
});

const picture = () =>
  canvasWith('rgb', 64, 64, (ctx, w, h) => {
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, w / 2, h);
    ctx.fillStyle = '#0f0';
    ctx.fillRect(w / 2, 0, w / 2, h / 2);
    ctx.fillStyle = '#00f';
    ctx.fillRect(w / 2, h / 2, w / 2, h / 2);
  });

/** Mask value (0..255) at (x, y) of the 16×16 mask. */
const at = (mask, x, y) => mask.data[(y * mask.width + x) * 4];

/** Red, green or blue area: is it foreground in the element's mask? */
async function regions(el) {
  const mask = await el.readMask();
  return { red: at(mask, 4, 8) > 200, green: at(mask, 12, 4) > 200, blue: at(mask, 12, 12) > 200 };
}

for (const src of ['tiny-classes', 'tiny-argmax']) {
  describe(`<cv-segment classes> with ${src} (${src === 'tiny-argmax' ? 'ArgMax class indices' : 'logits over 3 classes'})`, () => {
    it('counts only the listed classes as foreground, and follows the attribute live', async () => {
      picture();
      const el = mount(`<cv-segment src="${src}" catalog="${TINY_CATALOG}" source="#rgb" effect="none" classes="1"></cv-segment>`);
      const first = await nextEvent(el, 'cv-result');
      expect(first.detail.width).to.equal(16);
      expect(first.detail.foreground).to.be.closeTo(0.25, 0.05);
      expect(await regions(el)).to.deep.equal({ red: false, green: true, blue: false });

      el.setAttribute('classes', '2');
      // Same share as class 1: two results on, the mask certainly comes from a request built after the change.
      await nextEvent(el, 'cv-result');
      const blue = await nextEvent(el, 'cv-result');
      expect(blue.detail.foreground).to.be.closeTo(0.25, 0.05);
      expect(await regions(el)).to.deep.equal({ red: false, green: false, blue: true });

      el.setAttribute('classes', '0, 2');
      const both = await eventWhere(el, 'cv-result', (d) => d.foreground > 0.7, 30000);
      expect(both.detail.foreground).to.be.closeTo(0.75, 0.05);
      expect(await regions(el)).to.deep.equal({ red: true, green: false, blue: true });

      // No classes: every class but 0 (background), as for any multi-class model before this attribute.
      el.removeAttribute('classes');
      const rest = await eventWhere(el, 'cv-result', (d) => d.foreground < 0.6, 30000);
      expect(rest.detail.foreground).to.be.closeTo(0.5, 0.05);
      expect(await regions(el)).to.deep.equal({ red: false, green: true, blue: true });
    });
  });
}

describe('<cv-segment classes> errors and colours', () => {
  it('a bad classes list is a bad-attribute cv-error, falls back to every class but 0, and recovers', async () => {
    picture();
    const el = mount(`<cv-segment src="tiny-classes" catalog="${TINY_CATALOG}" source="#rgb" effect="none" classes="green"></cv-segment>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('bad-attribute');
    expect(err.detail.message).to.contain('classes');
    const fallback = await nextEvent(el, 'cv-result');
    expect(fallback.detail.foreground).to.be.closeTo(0.5, 0.05);
    el.setAttribute('classes', '1');
    const fixed = await eventWhere(el, 'cv-result', (d) => d.foreground < 0.3, 30000);
    expect(fixed.detail.foreground).to.be.closeTo(0.25, 0.05);
    expect(el.shadowRoot.querySelector('[part=error]')?.hidden ?? true).to.equal(true);
  });

  it('effect="mask" tints each class in its own colour (class 1 red, class 2 blue), in the worker and on the page', async () => {
    for (const page of [false, true]) {
      picture();
      const transfer = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, 'transferControlToOffscreen');
      if (page) delete HTMLCanvasElement.prototype.transferControlToOffscreen;
      try {
        const el = mount(`<cv-segment src="tiny-classes" catalog="${TINY_CATALOG}" source="#rgb" effect="mask" opacity="1" classes="1,2"></cv-segment>`);
        await nextEvent(el, 'cv-result');
        await nextEvent(el, 'cv-result');
        const shot = await createImageBitmap(await el.snapshot());
        const probe = new OffscreenCanvas(shot.width, shot.height).getContext('2d');
        probe.drawImage(shot, 0, 0);
        const px = (x, y) => [...probe.getImageData(Math.round(x * shot.width), Math.round(y * shot.height), 1, 1).data.slice(0, 3)];
        const [gr, gg] = px(0.75, 0.2); // green source, class 1: tinted red
        const [br, bg, bb] = px(0.75, 0.8); // blue source, class 2: tinted blue (with some green: not the source's pure blue)
        const [rr, rg, rb] = px(0.2, 0.5); // red source, class 0: not foreground, the frame shows
        const where = page ? 'page' : 'worker';
        expect(gr, `${where}: class 1 is red`).to.be.greaterThan(200);
        expect(gg, `${where}: class 1 is red`).to.be.lessThan(120);
        expect(bb, `${where}: class 2 is blue`).to.be.greaterThan(200);
        expect(bg, `${where}: class 2 is the palette's blue`).to.be.within(100, 180);
        expect(br, `${where}: class 2 is blue`).to.be.lessThan(120);
        expect([rr > 200, rg < 60, rb < 60], `${where}: class 0 untinted`).to.deep.equal([true, true, true]);
        el.remove();
      } finally {
        if (page) Object.defineProperty(HTMLCanvasElement.prototype, 'transferControlToOffscreen', transfer);
      }
    }
  });
});

// Both compositors directly: headless Chromium here composites with the
// 2D one in the element, so the WebGL2 shader's per-class tint is checked on its own.

describe('compositors: per-class tint for effect="mask"', () => {
  for (const [name, Make] of [['WebGL2', MaskCompositor], ['2D', MaskCompositor2D]]) {
    it(`${name}: class k gets CLASS_COLORS[k % 8]; without a class map, the single tint`, async () => {
      const frame = new OffscreenCanvas(4, 1);
      const read = async (c) => {
        const bmp = await c.snapshot();
        const probe = new OffscreenCanvas(bmp.width, bmp.height).getContext('2d');
        probe.drawImage(bmp, 0, 0);
        return [0, 1, 2, 3].map((x) => [...probe.getImageData(x, 0, 1, 1).data.slice(0, 3)]);
      };
      const c = new Make(new OffscreenCanvas(4, 1));
      try {
        c.setMask(new Uint8Array([255, 255, 255, 255]), 4, 1, new Uint8Array([0, 1, 2, 9]));
        c.draw(frame, 4, 1, 'mask', 0.5, 1);
        const [k0, k1, k2, k9] = await read(c);
        const near = (px, rgb) => px.every((v, i) => Math.abs(v - Math.round(rgb[i] * 255)) <= 3);
        expect(near(k0, [0.2, 0.85, 0.55]), `class 0 green: ${k0}`).to.equal(true);
        expect(near(k1, [1.0, 0.3, 0.3]), `class 1 red: ${k1}`).to.equal(true);
        expect(near(k2, [0.3, 0.55, 1.0]), `class 2 blue: ${k2}`).to.equal(true);
        expect(near(k9, [1.0, 0.3, 0.3]), `class 9 = 9 % 8 = 1, red: ${k9}`).to.equal(true);
        c.setMask(new Uint8Array([255, 255, 255, 255]), 4, 1);
        c.draw(frame, 4, 1, 'mask', 0.5, 1);
        expect((await read(c)).every((px) => near(px, [0.2, 0.85, 0.55])), 'one tint without classes').to.equal(true);
      } finally {
        c.dispose();
      }
    });
  }
});

describe('classMask', () => {
  it('NHWC scores: the listed classes\' summed probability, and each pixel\'s best class', () => {
    // Two pixels × 3 classes, channels last: pixel 0 is class 1, pixel 1 class 2 (read as NCHW, both would be 0).
    const data = new Float32Array([0, 9, 0, 0, 0, 9]);
    const two = classMask(data, 2, 3, 'NHWC', false, [2]);
    expect([...two.classMap]).to.deep.equal([1, 2]);
    expect(two.mask[0]).to.be.lessThan(3);
    expect(two.mask[1]).to.be.greaterThan(250);
    const notTwo = classMask(data, 2, 3, 'NHWC', false, [0, 1]);
    expect(notTwo.mask[0]).to.be.greaterThan(250);
    expect(notTwo.mask[1]).to.be.lessThan(3);
  });

  it('integer class indices (ArgMax): 255 where listed, else 0; all but 0 without a list', () => {
    const data = new Float32Array([0, 1, 2, 15]);
    expect([...classMask(data, 4, 1, 'NCHW', true, [15]).mask]).to.deep.equal([0, 0, 0, 255]);
    expect([...classMask(data, 4, 1, 'NCHW', true, null).mask]).to.deep.equal([0, 255, 255, 255]);
    expect([...classMask(data, 4, 1, 'NCHW', true, null).classMap]).to.deep.equal([0, 1, 2, 15]);
  });
});
