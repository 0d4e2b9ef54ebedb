import { expect } from '@esm-bundle/chai';
import { eventWhere, mount, nextEvent } from './helpers.js';

// Teaches <cv-classify learn> three classes from crops of three real photos (Debian's darknet
// data, copied into tests/.fixtures by web-test-runner.config.mjs) and checks it on held-out crops
// at other positions and scales. Nothing here knows the right answer except which photo a crop came from.

const CLASSES = ['dog', 'horses', 'eagle'];
const SIDE = 256;

/** A small seeded generator (LCG), so the crops are the same on every run. */
function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/** `n` square crops of an image, each a fraction in [lo, hi] of its shorter side, anywhere in it. */
function crops(img, n, rand, [lo, hi]) {
  const short = Math.min(img.naturalWidth, img.naturalHeight);
  return Array.from({ length: n }, () => {
    const side = short * (lo + (hi - lo) * rand());
    return { x: rand() * (img.naturalWidth - side), y: rand() * (img.naturalHeight - side), side };
  });
}

function loadPhoto(name) {
  const img = new Image();
  img.src = `/tests/.fixtures/${name}.jpg`;
  return img.decode().then(() => img);
}

let canvas;
let photos;
const headName = `learn-test-${Date.now()}`;

function draw(img, c) {
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, c.x, c.y, c.side, c.side, 0, 0, SIDE, SIDE);
}

/** Draws a crop and waits for a result from a frame captured after it was drawn. */
async function predict(el, img, c) {
  draw(img, c);
  const drawn = performance.now();
  const e = await eventWhere(el, 'cv-result', (d) => d.timestamp > drawn, 30000);
  return e.detail.labels;
}

async function teach(el) {
  const rand = rng(7);
  for (const label of CLASSES) {
    for (const c of crops(photos[label], 8, rand, [0.45, 0.8])) {
      draw(photos[label], c);
      await el.addExample(label);
    }
  }
}

/** The held-out crops: another seed, a wider range of scales. */
function heldOut() {
  const rand = rng(2024);
  return CLASSES.flatMap((label) => crops(photos[label], 10, rand, [0.35, 0.9]).map((c) => ({ label, c })));
}

before(async () => {
  photos = Object.fromEntries(await Promise.all(CLASSES.map(async (c) => [c, await loadPhoto(c)])));
  canvas = document.createElement('canvas');
  canvas.id = 'learn-src';
  canvas.width = canvas.height = SIDE;
  document.body.append(canvas);
});

afterEach(() => {
  document.querySelectorAll('cv-classify').forEach((el) => el.remove());
});

describe('<cv-classify learn> on real photos', () => {
  let el;
  let exported;
  let accuracy;

  it('fires cv-error "no-examples" when asked to predict before learning, then learns three classes', async () => {
    el = mount(`<cv-classify learn classes="${CLASSES.join(',')}" source="#learn-src" head-name="${headName}" backend="wasm"></cv-classify>`);
    const err = nextEvent(el, 'cv-error');
    await nextEvent(el, 'cv-ready');
    expect((await err).detail.code).to.equal('no-examples');

    // The capture UI: one button per class, with counts.
    await el.updateComplete;
    const buttons = [...el.shadowRoot.querySelectorAll('[part~="class-button"]')];
    expect(buttons.map((b) => b.dataset.label)).to.deep.equal(CLASSES);

    const learnEvents = [];
    el.addEventListener('cv-learn', (e) => learnEvents.push(e.detail));
    el.paused = true; // no live predictions while teaching, to keep the test fast
    const t0 = performance.now();
    await teach(el);
    const t1 = performance.now();
    const result = await el.train();
    console.log(`learn: 24 examples in ${(t1 - t0).toFixed(0)} ms (${((t1 - t0) / 24).toFixed(0)} ms each), train() done ${(performance.now() - t1).toFixed(0)} ms later: ${JSON.stringify(result)}`);
    expect(result.epochs).to.be.greaterThan(0);
    expect(result.accuracy).to.be.greaterThan(0.9);
    expect(result.loss).to.be.lessThan(0.5);
    // Every capture was announced with its class count, and training progress with loss and accuracy.
    const adds = learnEvents.filter((d) => d.label === 'dog');
    expect(adds.map((d) => d.examples)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(learnEvents.some((d) => d.label === null && typeof d.loss === 'number' && typeof d.accuracy === 'number')).to.equal(true);
    await el.updateComplete;
    expect(el.shadowRoot.querySelector('[data-label="eagle"] [part~="count"]').textContent).to.equal('8');
  });

  it('labels held-out crops (other positions and scales) with at least 90 % accuracy', async () => {
    document.body.append(el); // afterEach took it out
    el.paused = false;
    let right = 0;
    const wrong = [];
    const tests = heldOut();
    for (const { label, c } of tests) {
      const labels = await predict(el, photos[label], c);
      expect(labels.map((l) => l.label).sort()).to.deep.equal([...CLASSES].sort());
      if (labels[0].label === label) right++;
      else wrong.push(`${label} → ${labels[0].label} ${labels[0].score.toFixed(2)}`);
    }
    accuracy = right / tests.length;
    console.log(`learn: held-out accuracy ${(accuracy * 100).toFixed(1)} % (${right}/${tests.length}); wrong: ${wrong.join(', ') || 'none'}`);
    expect(accuracy).to.be.at.least(0.9);
  });

  it('exports a head that gives identical predictions in a fresh element, and refuses a head for another backbone', async () => {
    const ready = nextEvent(el, 'cv-ready');
    document.body.append(el); // afterEach took it out: it reopens its head from IndexedDB
    await ready;
    exported = await el.exportHead();
    const file = JSON.parse(await exported.text());
    expect(file.labels).to.have.members(CLASSES);
    expect(file.backbone.name).to.equal('features');
    expect(file.backbone.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(file.weights).to.have.length(CLASSES.length * file.backbone.dim);

    const probe = { label: 'horses', c: { x: 100, y: 60, side: 300 } };
    draw(photos[probe.label], probe.c);
    const before = await predict(el, photos[probe.label], probe.c);
    el.remove();

    const fresh = mount(`<cv-classify learn source="#learn-src" backend="wasm"></cv-classify>`);
    fresh.paused = true;
    await nextEvent(fresh, 'cv-ready');
    // A head made for another backbone is refused with a code; the element carries on.
    const wrong = new Blob([JSON.stringify({ ...file, backbone: { ...file.backbone, sha256: '0'.repeat(64) } })]);
    const errEvent = nextEvent(fresh, 'cv-error');
    let rejected;
    await fresh.importHead(wrong).catch((e) => (rejected = e));
    expect(rejected?.code).to.equal('head-mismatch');
    expect((await errEvent).detail.code).to.equal('head-mismatch');

    await fresh.importHead(exported);
    fresh.paused = false;
    const after = await predict(fresh, photos[probe.label], probe.c);
    expect(after.map((l) => l.label)).to.deep.equal(before.map((l) => l.label));
    after.forEach((l, i) => expect(l.score).to.be.closeTo(before[i].score, 1e-6));
  });

  it('keeps the head in IndexedDB: a re-added element with the same head-name predicts the same', async () => {
    const probe = { x: 40, y: 20, side: 400 };
    const first = mount(`<cv-classify learn source="#learn-src" head-name="${headName}" backend="wasm"></cv-classify>`);
    const restored = eventWhere(first, 'cv-learn', (d) => d.label === null && d.examples === 24);
    await nextEvent(first, 'cv-ready');
    await restored;
    const a = await predict(first, photos.eagle, probe);
    first.remove();
    document.body.append(first);
    await nextEvent(first, 'cv-ready');
    const b = await predict(first, photos.eagle, probe);
    expect(b.map((l) => l.label)).to.deep.equal(a.map((l) => l.label));
    b.forEach((l, i) => expect(l.score).to.be.closeTo(a[i].score, 1e-6));
    expect(a[0].label).to.equal('eagle');
    expect(first.shadowRoot.querySelector('[data-label="dog"] [part~="count"]').textContent).to.equal('8');
  });

  it('clearExamples forgets a class and retrains on the rest', async () => {
    const el2 = mount(`<cv-classify learn source="#learn-src" head-name="${headName}" backend="wasm"></cv-classify>`);
    await nextEvent(el2, 'cv-ready');
    el2.paused = true;
    await el2.clearExamples('dog');
    const r = await el2.train();
    expect(r.accuracy).to.be.greaterThan(0.9);
    const file = JSON.parse(await (await el2.exportHead()).text());
    expect(file.labels).to.have.members(['horses', 'eagle']);
  });
});
