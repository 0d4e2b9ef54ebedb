import { expect } from '@esm-bundle/chai';
import { eventWhere, mount, nextEvent } from './helpers.js';

// Face recognition, <cv-classify learn roi="face">, with the real face detector and identity model on real
// photos (copied into tests/.fixtures by web-test-runner.config.mjs):
// - basketball1.png and basketball2.png: two frames of the same scene from OpenCV's sample data (Debian
//   package opencv-doc, /usr/share/doc/opencv-doc/examples/data/; Apache-2.0 AND BSD-3-Clause per Debian's copyright file). The
//   man on the left, facing the camera, is in both. His face is about 40 px wide in the 640×480 frame, too
//   small for the short-range face detector on the whole frame (it finds nothing there), so each frame is
//   cropped to the 220 px square around him, as a camera framing him closer would see him.
// - strangers: skimage's astronaut.png (Eileen Collins, NASA, public domain; python3-skimage), matplotlib's
//   grace_hopper.jpg (US Navy, public domain; python-matplotlib-data), and darknet's person.jpg (Debian
//   package darknet), cropped around the woman's face for the same reason.
// Nothing here knows an answer except who is in which photo.

const SIDE = 256;
/** name, source photo, crop (x, y, side) or null for the whole photo. */
const SCENES = [
  ['man-1', 'basketball1.png', [0, 20, 220]],
  ['man-2', 'basketball2.png', [0, 20, 220]],
  ['astronaut', 'astronaut.png', null],
  ['hopper', 'grace_hopper.jpg', [0, 0, 512]],
  ['person', 'person.jpg', [170, 80, 100]],
  ['man-wide', 'basketball1.png', null],
];
const STRANGERS = ['astronaut', 'hopper', 'person'];
const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'];
const headName = `faces-test-${Date.now()}`;

async function photo(name) {
  const img = new Image();
  img.src = `/tests/.fixtures/${name}`;
  await img.decode();
  return img;
}

/** An <img id=id> of the crop, so the element sees a still. */
async function still(id, name, crop) {
  const img = await photo(name);
  if (!crop) {
    img.id = id;
    document.body.append(img);
    return;
  }
  const [x, y, side] = crop;
  const c = document.createElement('canvas');
  c.width = c.height = SIDE;
  c.getContext('2d').drawImage(img, x, y, side, side, 0, 0, SIDE, SIDE);
  const out = new Image();
  out.src = c.toDataURL('image/png');
  await out.decode();
  out.id = id;
  document.body.append(out);
}

/** Points the element at a scene and resolves with the faces of a result computed after. */
async function look(el, id) {
  const since = performance.now();
  const got = eventWhere(el, 'cv-result', (d) => d.timestamp > since, 30000);
  el.setAttribute('source', `#${id}`);
  return (await got).detail.labels;
}

before(async () => {
  for (const [id, name, crop] of SCENES) await still(id, name, crop);
});

afterEach(() => {
  document.querySelectorAll('cv-classify').forEach((el) => el.remove());
});

describe('<cv-classify learn roi="face">: face recognition on real photos', () => {
  let exported;
  const distances = {};
  const expressions = {};

  it('refuses to enrol a frame without a face (no-face), then enrols the man from one basketball frame and recognises him in the other', async () => {
    const wide = mount(`<cv-classify learn roi="face" classes="Man" source="#man-wide" backend="wasm"></cv-classify>`);
    await nextEvent(wide, 'cv-ready');
    // The whole 640×480 frame: his face is too small for the detector, so there is nobody to enrol.
    let refused;
    await wide.addExample('Man').catch((e) => (refused = e));
    expect(refused?.code).to.equal('no-face');
    wide.remove();

    const el = mount(`<cv-classify learn roi="face" classes="Man" source="#man-1" head-name="${headName}" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-ready');
    expect(await el.addExample('Man')).to.equal(1);
    expect(await el.addExample('Man')).to.equal(2);
    const trained = await el.train();
    expect(trained.accuracy).to.equal(1);
    console.log(`faces: enrolled from 2 captures, mean distance of the augmented views to the centroid ${trained.loss.toFixed(3)}`);

    const other = await look(el, 'man-2');
    const same = await look(el, 'man-1');
    for (const labels of [same, other]) {
      expect(labels, JSON.stringify(labels)).to.have.length(1);
      expect(labels[0].label).to.equal('Man');
    }
    distances['man-1'] = same[0].distance;
    expressions['man-2'] = other[0].expression;
    distances['man-2'] = other[0].distance;
    expect(other[0].distance).to.be.below(el.distanceThreshold);
    expect(other[0].score).to.be.closeTo(1 - other[0].distance, 1e-6);
  });

  it('labels the strangers (astronaut, Grace Hopper, the woman in person.jpg) unknown with their expression, and a looser threshold is obeyed', async () => {
    const el = mount(`<cv-classify learn roi="face" classes="Man" source="#man-2" head-name="${headName}" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-ready'); // the head comes back from IndexedDB
    for (const id of STRANGERS) {
      const labels = await look(el, id);
      expect(labels, `${id}: ${JSON.stringify(labels)}`).to.have.length(1);
      distances[id] = labels[0].distance;
      expressions[id] = labels[0].expression;
      expect(labels[0].expression).to.be.oneOf(EXPRESSIONS);
      expect(labels[0].label, `${id} at distance ${labels[0].distance}`).to.equal('unknown');
    }
    console.log(`faces: cosine distance to the enrolled man: ${Object.entries(distances).map(([k, d]) => `${k} ${d.toFixed(3)}`).join(', ')} (threshold ${el.distanceThreshold})`);
    console.log(`faces: expressions beside the identity: ${JSON.stringify(expressions)}`);
    // The astronaut smiles (real-models.test.js reads the same face as happy with roi="face").
    expect(expressions.astronaut).to.equal('happy');
    // Every stranger is farther than the man's other frame: the threshold has room on both sides.
    for (const id of STRANGERS) expect(distances[id]).to.be.above(distances['man-2']);
    // The threshold is the rule: raised past every stranger, they are all taken for the man.
    el.setAttribute('distance-threshold', '1.5');
    const loose = await look(el, 'astronaut');
    expect(loose[0].label).to.equal('Man');
  });

  it('export → import into a fresh element keeps the answer and the distance', async () => {
    const el = mount(`<cv-classify learn roi="face" classes="Man" source="#man-2" head-name="${headName}" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-ready');
    exported = await el.exportHead();
    const file = JSON.parse(await exported.text());
    expect(file.kind).to.equal('centroid');
    expect(file.backbone.name).to.equal('face-embedding');
    expect(file.labels).to.deep.equal(['Man']);
    expect(file.weights).to.have.length(file.backbone.dim);
    el.remove();

    const fresh = mount(`<cv-classify learn roi="face" source="#man-1" backend="wasm"></cv-classify>`);
    await nextEvent(fresh, 'cv-ready');
    await fresh.importHead(exported);
    const labels = await look(fresh, 'man-2');
    expect(labels[0].label).to.equal('Man');
    expect(labels[0].distance).to.be.closeTo(distances['man-2'], 1e-5);
    const stranger = await look(fresh, 'hopper');
    expect(stranger[0].label).to.equal('unknown');
  });

  it('refuses a head from another backbone, and a frame-classifier head, with head-mismatch', async () => {
    const file = JSON.parse(await exported.text());
    const el = mount(`<cv-classify learn roi="face" source="#man-1" backend="wasm"></cv-classify>`);
    await nextEvent(el, 'cv-ready');
    const attempts = [
      { ...file, backbone: { name: 'features', sha256: 'f'.repeat(64), dim: file.backbone.dim } },
      { ...file, kind: 'softmax' },
    ];
    // The element also says it once as cv-error (a repeat of the same fault is not fired again).
    const errEvent = eventWhere(el, 'cv-error', (d) => d.code === 'head-mismatch', 10000);
    for (const bad of attempts) {
      let rejected;
      await el.importHead(new Blob([JSON.stringify(bad)])).catch((e) => (rejected = e));
      expect(rejected?.code, JSON.stringify(bad.backbone) + bad.kind).to.equal('head-mismatch');
    }
    expect((await errEvent).detail.message).to.match(/backbone|face/);
    // The element carries on: the real head still imports and answers.
    await el.importHead(exported);
    const labels = await look(el, 'man-2');
    expect(labels[0].label).to.equal('Man');
    await el.clearHead();
  });
});
