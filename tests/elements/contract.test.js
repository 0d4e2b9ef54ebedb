import { expect } from '@esm-bundle/chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { InferenceClient, liveCameraStreams } from '/dist/cv-elements.js';
import { TINY_CATALOG, canvasWith, eventWhere, mount, nextEvent } from './helpers.js';

afterEach(() => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img').forEach((el) => el.remove());
});

describe('page platform', () => {
  it('is cross-origin isolated, so wasm threads are on', () => {
    expect(self.crossOriginIsolated).to.equal(true);
  });
});

describe('<cv-classify> with a tiny model', () => {
  it('labels a red canvas "red", fires ready and result, and keeps element.result', async () => {
    canvasWith('red', 64, 48, (ctx, w, h) => {
      ctx.fillStyle = 'rgb(230, 20, 20)';
      ctx.fillRect(0, 0, w, h);
    });
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#red" backend="wasm"></cv-classify>`);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.backend).to.equal('wasm');
    expect(ready.detail.threads).to.be.greaterThan(1);
    expect(ready.detail.loadMs).to.be.a('number');
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.labels[0].label).to.equal('red');
    expect(res.detail.labels[0].score).to.be.greaterThan(0.9);
    expect(res.detail.labels.map((l) => l.score)).to.deep.equal([...res.detail.labels.map((l) => l.score)].sort((a, b) => b - a));
    expect(res.detail.latencyMs).to.be.a('number');
    expect(el.result.labels[0].label).to.equal('red');
    // The label is read out for screen readers too.
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[aria-live]').textContent).to.contain('red');
  });

  it('follows a live canvas: the label changes when the colour does', async () => {
    const c = canvasWith('live', 32, 32, (ctx, w, h) => {
      ctx.fillStyle = '#0c0';
      ctx.fillRect(0, 0, w, h);
    });
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#live" top-k="1"></cv-classify>`);
    await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'green');
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#00d';
    ctx.fillRect(0, 0, 32, 32);
    const e = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'blue');
    expect(e.detail.labels).to.have.length(1);
  });

  it('reports an unknown model with a code, keeps running the old one, and recovers', async () => {
    canvasWith('red2', 16, 16, (ctx) => {
      ctx.fillStyle = '#e00';
      ctx.fillRect(0, 0, 16, 16);
    });
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#red2"></cv-classify>`);
    await nextEvent(el, 'cv-result');
    el.src = 'no-such-model';
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('model-not-found');
    expect(err.detail.message).to.contain('no-such-model');
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part=error]').textContent).to.contain('no-such-model');
    // Nothing was lost: the previous model still answers.
    el.paused = true;
    el.paused = false;
    const again = await nextEvent(el, 'cv-result');
    expect(again.detail.labels[0].label).to.equal('red');
    el.src = 'tiny-colour';
    await nextEvent(el, 'cv-ready');
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[part=error]').hidden).to.equal(true);
  });

  it('refuses a model whose bytes do not match integrity', async () => {
    canvasWith('c3', 16, 16, () => {});
    const el = mount(
      `<cv-classify src="/tests/fixtures/tiny-colour.onnx" integrity="sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" source="#c3"></cv-classify>`,
    );
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('integrity');
    expect(err.detail.message).to.contain('sha256');
  });

  it('reports download progress, then loads the same model from the Cache API with no download', async () => {
    canvasWith('cache', 16, 16, () => {});
    const url = `/tests/fixtures/tiny-encoder.onnx?cache-test=${Date.now()}`;
    // A URL src has no catalog hash: pin it with integrity so it may be cached.
    const res = await fetch('/tests/fixtures/tiny-encoder.onnx');
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await res.arrayBuffer()));
    const integrity = `sha256-${btoa(String.fromCharCode(...digest))}`;
    const first = mount(`<cv-generate src="${url}" integrity="${integrity}" source="#cache"></cv-generate>`);
    const progress = nextEvent(first, 'cv-progress');
    const p = (await progress).detail;
    expect(p.total).to.be.greaterThan(0);
    const ready1 = await nextEvent(first, 'cv-ready');
    expect(ready1.detail.fromCache).to.equal(false);
    first.remove();
    const second = mount(`<cv-generate src="${url}" integrity="${integrity}" source="#cache"></cv-generate>`);
    const ready2 = await nextEvent(second, 'cv-ready');
    expect(ready2.detail.fromCache).to.equal(true);
  });

  it('says which attribute is wrong', async () => {
    const el = mount(`<cv-classify backend="quantum" src="tiny-colour" catalog="${TINY_CATALOG}"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('bad-attribute');
    expect(err.detail.message).to.contain('quantum');
  });

  it('reports a missing source element and picks it up once it appears', async () => {
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}" source="#later"></cv-classify>`);
    const err = await nextEvent(el, 'cv-error');
    expect(err.detail.code).to.equal('source-not-found');
    canvasWith('later', 16, 16, (ctx) => {
      ctx.fillStyle = '#00e';
      ctx.fillRect(0, 0, 16, 16);
    });
    const res = await eventWhere(el, 'cv-result', (d) => d.labels[0]?.label === 'blue');
    expect(res.detail.frame).to.be.greaterThan(0);
  });
});

describe('<cv-segment> with a tiny model', () => {
  const halfCanvas = () =>
    canvasWith('half', 64, 64, (ctx, w, h) => {
      ctx.fillStyle = '#f00';
      ctx.fillRect(0, 0, w / 2, h);
      ctx.fillStyle = '#00f';
      ctx.fillRect(w / 2, 0, w / 2, h);
    });

  /** The composite replaced the background with green on the right and kept red on the left. */
  async function expectGreenBackground(el) {
    const shot = await createImageBitmap(await el.snapshot());
    const probe = new OffscreenCanvas(shot.width, shot.height).getContext('2d');
    probe.drawImage(shot, 0, 0);
    const left = probe.getImageData(8, 32, 1, 1).data;
    const right = probe.getImageData(56, 32, 1, 1).data;
    expect(left[0]).to.be.greaterThan(200);
    expect(right[1]).to.be.greaterThan(200);
    expect(right[2]).to.be.lessThan(60);
  }

  /** True when the page can still draw on the composite canvas, false when a worker took it over. */
  const pageOwnsCanvas = (el) => {
    const canvas = el.shadowRoot.querySelector('canvas[part~="composite"]');
    try {
      canvas.getContext('webgl2');
      return true;
    } catch (e) {
      expect(e.name).to.equal('InvalidStateError');
      return false;
    }
  };

  it('masks the red half of a canvas, composites it in the worker, and reads the mask back', async () => {
    halfCanvas();
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#half" effect="replace" background="#00ff00"></cv-segment>`);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.width).to.equal(16);
    expect(res.detail.foreground).to.be.closeTo(0.5, 0.07);
    const mask = await el.readMask();
    expect(mask.width).to.equal(16);
    expect(mask.data[(8 * 16 + 2) * 4]).to.be.greaterThan(200); // left: red, foreground
    expect(mask.data[(8 * 16 + 13) * 4]).to.be.lessThan(50); // right: blue, background
    expect(pageOwnsCanvas(el), 'the composite canvas was handed to the worker').to.equal(false);
    await expectGreenBackground(el);
  });

  it('composites again on a fresh canvas after being moved in the page', async () => {
    halfCanvas();
    const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#half" effect="replace" background="#00ff00"></cv-segment>`);
    await nextEvent(el, 'cv-result');
    const first = el.shadowRoot.querySelector('canvas[part~="composite"]');
    const parent = el.parentNode;
    el.remove();
    parent.append(el);
    await nextEvent(el, 'cv-result');
    expect(el.shadowRoot.querySelector('canvas[part~="composite"]')).to.not.equal(first);
    await expectGreenBackground(el);
  });

  it('composites on the page where a canvas cannot be handed to a worker', async () => {
    halfCanvas();
    const transfer = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, 'transferControlToOffscreen');
    delete HTMLCanvasElement.prototype.transferControlToOffscreen;
    try {
      const el = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" source="#half" effect="replace" background="#00ff00"></cv-segment>`);
      await nextEvent(el, 'cv-result');
      expect(pageOwnsCanvas(el)).to.equal(true);
      await expectGreenBackground(el);
    } finally {
      Object.defineProperty(HTMLCanvasElement.prototype, 'transferControlToOffscreen', transfer);
    }
  });
});

describe('<cv-generate> with tiny models', () => {
  it('draws seeded latent-walk variants and gives them back as ImageBitmaps', async () => {
    canvasWith('any', 16, 16, () => {});
    const el = mount(`<cv-generate src="tiny-latent" catalog="${TINY_CATALOG}" source="#any" variants="3" seed="5"></cv-generate>`);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.images).to.equal(3);
    expect(res.detail.width).to.equal(8);
    const bitmaps = await el.readImages();
    expect(bitmaps).to.have.length(3);
    const px = (b) => {
      const ctx = new OffscreenCanvas(8, 8).getContext('2d');
      ctx.drawImage(b, 0, 0);
      return Array.from(ctx.getImageData(0, 0, 8, 8).data);
    };
    // Different walks give different images.
    expect(px(bitmaps[0])).to.not.deep.equal(px(bitmaps[1]));
    bitmaps.forEach((b) => b.close());
  });

  it('encodes the frame with a VAE: variant 0 is the reconstruction, the rest differ', async () => {
    canvasWith('grad', 32, 32, (ctx, w, h) => {
      const g = ctx.createLinearGradient(0, 0, 0, h);
      g.addColorStop(0, '#fff');
      g.addColorStop(1, '#000');
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, w, h);
    });
    const el = mount(`<cv-generate src="tiny-vae" catalog="${TINY_CATALOG}" source="#grad" variants="2" temperature="3"></cv-generate>`);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.images).to.equal(2);
    const [a, b] = await el.readImages();
    const px = (bm) => {
      const ctx = new OffscreenCanvas(8, 8).getContext('2d');
      ctx.drawImage(bm, 0, 0);
      return Array.from(ctx.getImageData(0, 0, 8, 8).data);
    };
    expect(px(a)).to.not.deep.equal(px(b));
  });
});

describe('camera and lifecycle', () => {
  it('runs on the fake camera, shares one stream, and stops it when the elements go', async () => {
    const a = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}"></cv-classify>`);
    const b = mount(`<cv-segment src="tiny-redmask" catalog="${TINY_CATALOG}" effect="blur"></cv-segment>`);
    const [ra, rb] = await Promise.all([nextEvent(a, 'cv-result'), nextEvent(b, 'cv-result')]);
    expect(ra.detail.labels).to.have.length(3);
    expect(rb.detail.width).to.equal(16);
    expect(liveCameraStreams()).to.equal(1);
    const video = a.shadowRoot.querySelector('video');
    const track = video.srcObject.getVideoTracks()[0];
    expect(track.readyState).to.equal('live');
    expect(Object.keys(InferenceClient.openSessions()).length).to.be.greaterThan(0);
    a.remove();
    expect(track.readyState).to.equal('live'); // b still uses it
    b.remove();
    expect(track.readyState).to.equal('ended');
    expect(liveCameraStreams()).to.equal(0);
    expect(InferenceClient.openSessions()).to.deep.equal({});
  });

  it('stop() lets go of the camera and start() takes it again', async () => {
    const el = mount(`<cv-classify src="tiny-colour" catalog="${TINY_CATALOG}"></cv-classify>`);
    await nextEvent(el, 'cv-result');
    el.stop();
    expect(liveCameraStreams()).to.equal(0);
    await el.start();
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.frame).to.be.greaterThan(1);
    const blob = await el.snapshot();
    expect(blob.type).to.equal('image/png');
    expect(blob.size).to.be.greaterThan(1000);
  });
});

describe('privacy', () => {
  it('no request has left localhost in this run', async () => {
    const external = await executeServerCommand('external-requests');
    expect(external).to.deep.equal([]);
  });
});
