// Per-engine suite (Chromium, Firefox, WebKitGTK): each element with its shipped model on a real
// photo, on WASM, with the answer checked against what the photo shows.
import { expect } from '@esm-bundle/chai';
import { executeServerCommand } from '@web/test-runner-commands';
import { mount, nextEvent } from '../elements/helpers.js';
import { engine } from './engine.js';

afterEach(() => {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, cv-detect, canvas, img').forEach((el) => el.remove());
});

async function photo(name, id) {
  const img = new Image();
  img.src = `/tests/.fixtures/${name}`;
  await img.decode();
  if (id) {
    img.id = id;
    document.body.append(img);
  }
  return img;
}

describe(`shipped models on real photos (${engine.name}, WASM)`, () => {
  it('<cv-segment>: the astronaut is the foreground, at the right place in the mask', async () => {
    const img = await photo('astronaut.png');
    const c = Object.assign(document.createElement('canvas'), { id: 'astro', width: 256, height: 256 });
    c.getContext('2d').drawImage(img, 0, 0, 256, 256);
    document.body.append(c);
    const el = mount(`<cv-segment source="#astro" backend="wasm"></cv-segment>`);
    const ready = await nextEvent(el, 'cv-ready', 120000);
    expect(ready.detail.model).to.equal('selfie-segmentation');
    expect(ready.detail.backend).to.equal('wasm');
    const res = await nextEvent(el, 'cv-result', 120000);
    expect(res.detail.foreground).to.be.within(0.3, 0.85);
    const mask = await el.readMask();
    expect([mask.width, mask.height]).to.deep.equal([256, 256]);
    const at = (x, y) => mask.data[(y * 256 + x) * 4] / 255;
    expect(at(110, 110), 'chest').to.be.greaterThan(0.8);
    expect(at(110, 50), 'face').to.be.greaterThan(0.8);
    expect(at(240, 20), 'top-right corner (background)').to.be.lessThan(0.2);
  });

  it('<cv-segment effect="blur">: composites on the path this engine has, and blurs the background only', async () => {
    const img = await photo('astronaut.png');
    const c = Object.assign(document.createElement('canvas'), { id: 'astro-blur', width: 256, height: 256 });
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0, 256, 256);
    // Fine stripes in the background's top-right corner: a blur flattens them, a copy keeps them.
    for (let x = 200; x < 256; x += 2) {
      ctx.fillStyle = x % 4 ? '#fff' : '#000';
      ctx.fillRect(x, 0, 1, 40);
    }
    document.body.append(c);
    const el = mount(`<cv-segment source="#astro-blur" backend="wasm" effect="blur"></cv-segment>`);
    await nextEvent(el, 'cv-result', 120000);
    await nextEvent(el, 'cv-result', 120000);
    const { workerWebgl2 } = await engine.features();
    console.log(`[compositing] ${engine.name}: ${JSON.stringify(el.compositing)}`);
    expect(el.compositing).to.not.equal(null);
    // Without WebGL2 in a worker (Firefox headless here, WebKitGTK) the compositor is the 2D one.
    if (!workerWebgl2) expect(el.compositing.kind).to.equal('2d');
    console.log(`[paths] ${engine.name} blur: ${JSON.stringify(el.paths)}`);
    if (!workerWebgl2) expect(el.paths.compositing).to.equal('worker-2d');
    if (!(await engine.features()).canvasFilter) expect(el.paths.blur, 'no Canvas2D filter in this engine').to.not.equal('canvas-filter');
    const row = (out, x0, x1, y) => Array.from({ length: x1 - x0 }, (_, i) => out.getImageData(x0 + i, y, 1, 1).data[1]);
    const spread = (xs) => Math.max(...xs) - Math.min(...xs);
    // The worker's composite reaches the snapshot a frame or two after a result (seen in WebKit under
    // load): look at the snapshots of up to ten results, and keep the first that shows a composite.
    let out, stripes;
    for (let i = 0; i < 10; i++) {
      const shot = await createImageBitmap(await el.snapshot());
      out = new OffscreenCanvas(256, 256).getContext('2d');
      out.drawImage(shot, 0, 0, 256, 256);
      shot.close();
      stripes = spread(row(out, 208, 248, 20));
      if (stripes < 120) break;
      await nextEvent(el, 'cv-result', 120000);
    }
    expect(stripes, 'stripes in the blurred background').to.be.below(120);
    // The person stays sharp: her face is not the flat mean of its surroundings.
    expect(spread(row(out, 90, 150, 60)), 'detail in the face').to.be.greaterThan(40);
  });

  it('<cv-detect>: finds the dog, the bicycle and the car or truck in darknet\'s dog.jpg, boxes in frame pixels', async () => {
    const img = await photo('dog.jpg', 'dog-photo');
    const el = mount(`<cv-detect source="#dog-photo" backend="wasm" threshold="0.2"></cv-detect>`);
    const ready = await nextEvent(el, 'cv-ready', 120000);
    expect(ready.detail.model).to.equal('object-detection');
    const { detail } = await nextEvent(el, 'cv-result', 120000);
    const labels = detail.objects.map((o) => o.label);
    console.log(`[detect] ${engine.name}: ${detail.objects.map((o) => `${o.label} ${o.score.toFixed(2)}`).join(', ')}`);
    for (const want of [['dog'], ['bicycle'], ['car', 'truck']]) expect(labels.some((l) => want.includes(l)), `${want.join('/')} in ${labels}`).to.equal(true);
    const dog = detail.objects.find((o) => o.label === 'dog');
    // The dog sits in the lower left of the 768×576 photo.
    expect(dog.box.x + dog.box.width / 2).to.be.lessThan(img.naturalWidth / 2);
    expect(dog.box.y + dog.box.height / 2).to.be.greaterThan(img.naturalHeight / 2);
    for (const { box } of detail.objects) {
      expect(box.x + box.width).to.be.at.most(img.naturalWidth + 1);
      expect(box.y + box.height).to.be.at.most(img.naturalHeight + 1);
    }
  });

  it('<cv-classify roi="face">: finds the astronaut\'s face and reads her smile as happy', async () => {
    await photo('astronaut.png', 'astro-img');
    const el = mount(`<cv-classify roi="face" source="#astro-img" top-k="1" backend="wasm"></cv-classify>`);
    const res = await nextEvent(el, 'cv-result', 120000);
    expect(res.detail.labels, JSON.stringify(res.detail.labels)).to.have.length(1);
    const [face] = res.detail.labels;
    // The face spans about x 170–270, y 50–170 of the 512×512 photo.
    expect(face.box.x + face.box.width / 2).to.be.within(180, 260);
    expect(face.box.y + face.box.height / 2).to.be.within(70, 160);
    expect(face.label).to.equal('happy');
  });

  it('<cv-generate src="esrgan">: the 2× upscale of a real photo matches the fp32 reference (PSNR ≥ 35 dB)', async () => {
    // A 128×256 frame gives one 128×128 crop (the model's input) at y 64: no resampling on either side.
    const img = await photo('dog.jpg');
    const c = Object.assign(document.createElement('canvas'), { id: 'dog', width: 128, height: 256 });
    c.getContext('2d').drawImage(img, 150, 100, 300, 600, 0, 0, 128, 256);
    document.body.append(c);
    const el = mount(`<cv-generate src="esrgan" source="#dog" variants="1" backend="wasm"></cv-generate>`);
    const res = await nextEvent(el, 'cv-result', 120000);
    expect([res.detail.width, res.detail.height]).to.deep.equal([256, 256]);
    const [bitmap] = await el.readImages();
    const out = new OffscreenCanvas(256, 256).getContext('2d');
    out.drawImage(bitmap, 0, 0);
    bitmap.close();
    const ours = out.getImageData(0, 0, 256, 256).data;
    const crop = c.getContext('2d').getImageData(0, 64, 128, 128);
    const ref = Object.values(await executeServerCommand('reference-run', { model: 'esrgan', rgba: Array.from(crop.data), width: 128, height: 128 }))[0];
    let se = 0;
    for (let i = 0; i < 256 * 256; i++) {
      for (let ch = 0; ch < 3; ch++) se += (ours[i * 4 + ch] - Math.min(255, Math.max(0, Math.round(ref.data[i * 3 + ch])))) ** 2;
    }
    const psnr = 10 * Math.log10(255 ** 2 / (se / (256 * 256 * 3)));
    console.log(`[esrgan] ${engine.name}: PSNR ${psnr.toFixed(1)} dB against the native fp32 reference`);
    expect(psnr).to.be.at.least(35);
  });
});
