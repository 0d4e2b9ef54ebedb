// Each element with a shipped model on a real photo, checked against the verified fp32 model run
// natively (onnxruntime-node, via the `reference-run` server command) or against what the photo shows.
import { expect } from '@esm-bundle/chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { eventWhere, mount, nextEvent } from './helpers.js';

afterEach(() => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img').forEach((el) => el.remove());
});

async function photo(name) {
  const img = new Image();
  img.src = `/tests/.fixtures/${name}`;
  await img.decode();
  return img;
}

/** Draws `img` (or its region sx, sy, sw, sh) into a new canvas on the page with the given id and size. */
function canvasFrom(img, id, width, height, region = [0, 0, img.naturalWidth, img.naturalHeight]) {
  const c = document.createElement('canvas');
  Object.assign(c, { id, width, height });
  c.getContext('2d').drawImage(img, ...region, 0, 0, width, height);
  document.body.append(c);
  return c;
}

const pixelsOf = (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);

describe('shipped models on real photos', () => {
  it('<cv-segment>: the astronaut is the person mask, matching the fp32 reference (IoU ≥ 0.9)', async () => {
    const c = canvasFrom(await photo('astronaut.png'), 'astro', 256, 256);
    const el = mount(`<cv-segment source="#astro" backend="wasm"></cv-segment>`);
    const ready = await nextEvent(el, 'cv-ready');
    expect(ready.detail.model).to.equal('selfie-segmentation');
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.foreground).to.be.within(0.3, 0.85);
    const mask = await el.readMask();
    expect([mask.width, mask.height]).to.deep.equal([256, 256]);
    const ours = (x, y) => mask.data[(y * 256 + x) * 4] / 255;
    expect(ours(110, 110), 'chest').to.be.greaterThan(0.8);
    expect(ours(110, 50), 'face').to.be.greaterThan(0.8);
    expect(ours(240, 20), 'top-right corner').to.be.lessThan(0.2);

    const ref = await executeServerCommand('reference-run', { model: 'selfie-segmentation', rgba: pixelsOf(c), width: 256, height: 256 });
    const refMask = Object.values(ref)[0].data;
    expect(refMask).to.have.length(256 * 256);
    let inter = 0, union = 0;
    for (let i = 0; i < refMask.length; i++) {
      const a = mask.data[i * 4] >= 128, b = refMask[i] >= 0.5;
      inter += a && b;
      union += a || b;
    }
    expect(inter / union).to.be.at.least(0.9);
  });

  it('<cv-classify roi="face">: finds the astronaut\'s face and reads a smile as happy', async () => {
    const img = await photo('astronaut.png');
    img.id = 'astro-img';
    document.body.append(img);
    const el = mount(`<cv-classify roi="face" source="#astro-img" top-k="1" backend="wasm"></cv-classify>`);
    const res = await nextEvent(el, 'cv-result');
    expect(res.detail.labels, JSON.stringify(res.detail.labels)).to.have.length(1);
    const [face] = res.detail.labels;
    // The face spans about x 170–270, y 50–170 of the 512×512 photo.
    const cx = face.box.x + face.box.width / 2, cy = face.box.y + face.box.height / 2;
    expect(cx).to.be.within(180, 260);
    expect(cy).to.be.within(70, 160);
    expect(face.box.width).to.be.within(50, 140);
    expect(face.label).to.equal('happy');
  });

  it('WebGPU (SwiftShader here): roi="face" loads two sessions at once, falls back to fp32 without shader-f16, same answer', async () => {
    const img = await photo('astronaut.png');
    img.id = 'astro-gpu';
    document.body.append(img);
    const el = mount(`<cv-classify roi="face" source="#astro-gpu" top-k="1" backend="webgpu"></cv-classify>`);
    const ready = await nextEvent(el, 'cv-ready', 120000);
    expect(ready.detail.backend).to.equal('webgpu');
    const adapter = await navigator.gpu.requestAdapter();
    expect(ready.detail.precision).to.equal(adapter.features.has('shader-f16') ? 'fp16' : 'fp32');
    const res = await nextEvent(el, 'cv-result', 120000);
    expect(res.detail.labels).to.have.length(1);
    expect(res.detail.labels[0].label).to.equal('happy');
    const box = res.detail.labels[0].box;
    expect(box.x + box.width / 2).to.be.within(180, 260);
  });

  it('<cv-generate src="esrgan">: the 2× upscale matches the fp32 reference within the PSNR bar', async () => {
    // A 128×256 frame gives one 128×128 crop (the model's input) at y 64: no resampling on either side.
    const c = canvasFrom(await photo('dog.jpg'), 'dog', 128, 256, [150, 100, 300, 600]);
    const el = mount(`<cv-generate src="esrgan" source="#dog" variants="1" backend="wasm"></cv-generate>`);
    const res = await nextEvent(el, 'cv-result');
    expect([res.detail.width, res.detail.height]).to.deep.equal([256, 256]);
    const [bitmap] = await el.readImages();
    const out = new OffscreenCanvas(256, 256).getContext('2d');
    out.drawImage(bitmap, 0, 0);
    bitmap.close();
    const ours = out.getImageData(0, 0, 256, 256).data;

    const crop = c.getContext('2d').getImageData(0, 64, 128, 128);
    const ref = Object.values(await executeServerCommand('reference-run', { model: 'esrgan', rgba: Array.from(crop.data), width: 128, height: 128 }))[0];
    expect(ref.dims).to.deep.equal([1, 256, 256, 3]);
    let se = 0;
    for (let i = 0; i < 256 * 256; i++) {
      for (let ch = 0; ch < 3; ch++) {
        const r = Math.min(255, Math.max(0, Math.round(ref.data[i * 3 + ch])));
        se += (ours[i * 4 + ch] - r) ** 2;
      }
    }
    const psnr = 10 * Math.log10(255 ** 2 / (se / (256 * 256 * 3)));
    expect(psnr).to.be.at.least(35);
  });

  it('a model slower than the camera: one frame in flight, the rest dropped (counted), never queued', async () => {
    const { InferenceClient } = await import('/dist/cv-elements.js');
    const run = InferenceClient.prototype.run;
    let inFlight = 0;
    let most = 0;
    InferenceClient.prototype.run = function (...args) {
      most = Math.max(most, ++inFlight);
      return run.apply(this, args).finally(() => inFlight--);
    };
    try {
      // ESRGAN takes 120-250 ms a frame here; the test camera shows 15 frames a second.
      const el = mount(`<cv-generate src="esrgan" variants="1" backend="wasm"></cv-generate>`);
      await eventWhere(el, 'cv-result', (d) => d.frame >= 4, 120000);
      expect(most, 'frames in flight at once').to.equal(1);
      expect(el.stats.dropped, 'camera frames shown while the model was busy').to.be.greaterThan(0);
      // Taken plus dropped never exceeds what the video presented: nothing is counted twice or queued.
      const shown = el.shadowRoot.querySelector('video').getVideoPlaybackQuality().totalVideoFrames;
      expect(el.stats.frames + el.stats.dropped).to.be.at.most(shown);
    } finally {
      InferenceClient.prototype.run = run;
    }
  });
});
