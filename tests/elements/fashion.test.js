// The trained Fashion-MNIST CNN, in Chromium: accuracy on all 10,000 test images through
// onnxruntime-web (WASM, the same build the worker uses), and the element on real test images.
import { expect } from '@esm-bundle/chai';
import { eventWhere, mount, nextEvent } from './helpers.js';

const catalog = await (await fetch('/models/catalog.json')).json();

/** Reads a gzip idx file served from Debian's dataset-fashion-mnist. */
async function idx(name) {
  const res = await fetch(`/datasets/fashion-mnist/${name}.gz`);
  const buf = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const dims = buf[3];
  const view = new DataView(buf.buffer);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  return { shape, data: buf.subarray(4 + 4 * dims) };
}

// Elements pause while off-screen: clear the page between tests so each new one is in view.
afterEach(() => {
  document.querySelectorAll('cv-classify, cv-generate, canvas').forEach((el) => el.remove());
});

const images = await idx('t10k-images-idx3-ubyte');
const labels = await idx('t10k-labels-idx1-ubyte');

async function accuracy(ort, file, spec) {
  const session = await ort.InferenceSession.create(`/models/${file}`, { executionProviders: ['wasm'] });
  const n = images.shape[0];
  const batch = 250;
  let correct = 0;
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const x = new Float32Array(b * 784);
    for (let i = 0; i < b * 784; i++) x[i] = (images.data[start * 784 + i] / 255 - spec.mean[0]) / spec.std[0];
    const out = await session.run({ [spec.name]: new ort.Tensor('float32', x, [b, 1, 28, 28]) });
    const logits = Object.values(out)[0].data;
    for (let i = 0; i < b; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
      correct += best === labels.data[start + i];
    }
  }
  await session.release();
  return correct / n;
}

describe('fashion-cnn (trained here)', () => {
  it('is ≥ 92 % accurate on all 10,000 test images in fp32, and int8 stays within 0.5 points', async () => {
    const entry = catalog.models['fashion-cnn'];
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    ort.env.wasm.numThreads = 2;
    const fp32 = await accuracy(ort, entry.variants.fp32.file, entry.input);
    expect(fp32).to.be.at.least(0.92);
    const int8 = await accuracy(ort, entry.variants.int8.file, entry.input);
    console.log(`fashion-cnn accuracy on 10,000 test images, onnxruntime-web WASM in Chromium: fp32 ${(fp32 * 100).toFixed(2)} %, int8 ${(int8 * 100).toFixed(2)} %`);
    expect(int8).to.be.at.least(fp32 - 0.005);
  });

  it('<cv-classify src="fashion-cnn"> names real test images drawn as a photo would show them', async () => {
    // The data set is white-on-black; a photo of clothing is dark on light. Draw it so, larger, and let
    // the element's own preprocessing (gray, 28×28, inverted) bring it back.
    const c = document.createElement('canvas');
    Object.assign(c, { id: 'garment', width: 112, height: 112 });
    document.body.append(c);
    const ctx = c.getContext('2d');
    const small = new OffscreenCanvas(28, 28);
    const sctx = small.getContext('2d');
    const draw = (k) => {
      const img = sctx.createImageData(28, 28);
      for (let i = 0; i < 784; i++) {
        const v = 255 - images.data[k * 784 + i];
        img.data.set([v, v, v, 255], i * 4);
      }
      sctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(small, 0, 0, 112, 112);
    };
    draw(0);
    const el = mount(`<cv-classify src="fashion-cnn" source="#garment" top-k="1" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-ready');
    const names = catalog.models['fashion-cnn'].labels;
    let correct = 0;
    const tried = 20;
    for (let k = 0; k < tried; k++) {
      draw(k);
      const drawnAt = performance.now();
      // The canvas is read on every animation frame: take the first result of a frame captured after the draw.
      const r = await eventWhere(el, 'cv-result', (d) => d.timestamp > drawnAt);
      correct += r.detail.labels[0].label === names[labels.data[k]];
    }
    expect(correct / tried).to.be.at.least(0.85);
  });
});

describe('fashion-vae (trained here) in <cv-generate src="vae">', () => {
  /** A test image drawn dark-on-light into the centre 80 % of a canvas, where the element's VAE crop is. */
  function garmentCanvas(id, k) {
    const c = document.createElement('canvas');
    Object.assign(c, { id, width: 140, height: 140 });
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 140, 140);
    const small = new OffscreenCanvas(28, 28);
    const img = small.getContext('2d').createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - images.data[k * 784 + i];
      img.data.set([v, v, v, 255], i * 4);
    }
    small.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 14, 14, 112, 112);
    document.body.append(c);
    return c;
  }
  const grayOf = async (bitmap) => {
    const ctx = new OffscreenCanvas(28, 28).getContext('2d');
    ctx.drawImage(bitmap, 0, 0, 28, 28);
    bitmap.close();
    const d = ctx.getImageData(0, 0, 28, 28).data;
    return Array.from({ length: 784 }, (_, i) => d[i * 4] / 255);
  };
  const mse = (a, k) => a.reduce((s, v, i) => s + (v - images.data[k * 784 + i] / 255) ** 2, 0) / 784;

  it('variant 0 reconstructs the frame\'s garment; samples around it differ; the same seed repeats', async () => {
    garmentCanvas('vae-src', 1); // a pullover
    const el = mount(`<cv-generate src="vae" source="#vae-src" variants="3" seed="7" temperature="1.5" backend="wasm"></cv-generate>`);
    const res = await nextEvent(el, 'cv-result');
    expect([res.detail.images, res.detail.width, res.detail.height]).to.deep.equal([3, 28, 28]);
    const [recon, s1, s2] = await Promise.all((await el.readImages()).map(grayOf));
    // The reconstruction is close to the garment (trained MSE/pixel 0.022) and far from another one (a trouser).
    expect(mse(recon, 1)).to.be.below(0.05);
    expect(mse(recon, 2)).to.be.above(2 * mse(recon, 1));
    const diff = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
    expect(diff(recon, s1)).to.be.above(0.01);
    expect(diff(s1, s2)).to.be.above(0.01);
    // Same frame, same seed: the same samples.
    const again = await nextEvent(el, 'cv-result');
    expect(again.detail.frame).to.be.greaterThan(res.detail.frame);
    const [, t1] = await Promise.all((await el.readImages()).map(grayOf));
    expect(diff(s1, t1)).to.be.below(0.01);
  });
});

describe('fashion-dcgan (trained here) in <cv-generate src="dcgan">', () => {
  it('draws garments whose latents walk in time: a live animation', async () => {
    const c = document.createElement('canvas');
    Object.assign(c, { id: 'dcgan-src', width: 64, height: 48 });
    document.body.append(c);
    const el = mount(`<cv-generate src="dcgan" source="#dcgan-src" variants="4" seed="3" backend="wasm"></cv-generate>`);
    const first = await nextEvent(el, 'cv-result');
    expect([first.detail.images, first.detail.width, first.detail.height]).to.deep.equal([4, 28, 28]);
    const pixels = async () =>
      Promise.all(
        (await el.readImages()).map((b) => {
          const ctx = new OffscreenCanvas(28, 28).getContext('2d');
          ctx.drawImage(b, 0, 0);
          b.close();
          return Array.from(ctx.getImageData(0, 0, 28, 28).data.filter((_, i) => i % 4 === 0));
        }),
      );
    const a = await pixels();
    // Garments are light on a dark ground, as in the data set.
    for (const img of a) {
      const bright = img.filter((v) => v > 128).length;
      expect(bright, 'some garment pixels').to.be.within(20, 700);
    }
    expect(a[0]).to.not.deep.equal(a[1]);
    // Half a second later the walk has moved on.
    const t0 = first.detail.timestamp;
    await eventWhere(el, 'cv-result', (d) => d.timestamp > t0 + 500);
    const b = await pixels();
    const moved = a[0].reduce((s, v, i) => s + Math.abs(v - b[0][i]), 0) / 784;
    expect(moved).to.be.above(1);
  });
});
