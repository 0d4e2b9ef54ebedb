// Per-engine suite (Chromium, Firefox, WebKitGTK): <cv-classify src="fashion-cnn"> on 20 real
// Fashion-MNIST test images (Debian's dataset-fashion-mnist), drawn dark on light as a photo shows them.
import { expect } from '@esm-bundle/chai';
import { eventWhere, mount, nextEvent } from '../elements/helpers.js';
import { engine } from './engine.js';

async function idx(name) {
  const res = await fetch(`/datasets/fashion-mnist/${name}.gz`);
  const buf = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  const dims = buf[3];
  return buf.subarray(4 + 4 * dims);
}

afterEach(() => {
  document.querySelectorAll('cv-classify, canvas').forEach((el) => el.remove());
});

it(`<cv-classify src="fashion-cnn"> names 20 real test images (${engine.name}, WASM)`, async () => {
  const catalog = await (await fetch('/models/catalog.json')).json();
  const [images, labels] = await Promise.all([idx('t10k-images-idx3-ubyte'), idx('t10k-labels-idx1-ubyte')]);
  const c = Object.assign(document.createElement('canvas'), { id: 'garment', width: 112, height: 112 });
  document.body.append(c);
  const ctx = c.getContext('2d');
  const small = new OffscreenCanvas(28, 28);
  const draw = (k) => {
    const img = new ImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = 255 - images[k * 784 + i];
      img.data.set([v, v, v, 255], i * 4);
    }
    small.getContext('2d').putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, 112, 112);
  };
  draw(0);
  const el = mount(`<cv-classify src="fashion-cnn" source="#garment" top-k="1" backend="wasm"></cv-classify>`);
  await nextEvent(el, 'cv-ready', 120000);
  const names = catalog.models['fashion-cnn'].labels;
  let correct = 0;
  for (let k = 0; k < 20; k++) {
    draw(k);
    const drawnAt = performance.now();
    const r = await eventWhere(el, 'cv-result', (d) => d.timestamp > drawnAt);
    correct += r.detail.labels[0].label === names[labels[k]];
  }
  console.log(`[fashion] ${engine.name}: ${correct}/20`);
  expect(correct / 20).to.be.at.least(0.85);
});
