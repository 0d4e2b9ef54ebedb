// <cv-detect> with its shipped model (object-detection: CenterNet MobileNetV3, COCO-80, converted from
// @vladmandic/human 3.3.6) on Debian's darknet photos, answers checked against what the photos show, at
// the score threshold the model's catalog verification used (0.2).
import { expect } from '@esm-bundle/chai';
import { mount, nextEvent } from './helpers.js';

afterEach(() => document.querySelectorAll('cv-detect, img').forEach((el) => el.remove()));

async function photo(name, id) {
  const img = new Image();
  img.id = id;
  img.src = `/tests/.fixtures/${name}`;
  await img.decode();
  document.body.append(img);
  return img;
}

/** Each photo: labels that must all be found, as alternatives ([car, truck]: either). */
const PHOTOS = {
  'dog.jpg': [['dog'], ['bicycle'], ['car', 'truck']],
  'person.jpg': [['person'], ['horse'], ['dog']],
  'horses.jpg': [['horse']],
  'eagle.jpg': [['bird']],
};

describe('<cv-detect> on real photos', () => {
  for (const [name, wanted] of Object.entries(PHOTOS)) {
    it(`${name}: finds ${wanted.map((w) => w.join(' or ')).join(', ')}, boxes inside the photo, best first`, async () => {
      const img = await photo(name, name.replace('.jpg', ''));
      const el = mount(`<cv-detect source="#${img.id}" backend="wasm" threshold="0.2"></cv-detect>`);
      const ready = await nextEvent(el, 'cv-ready', 120000);
      expect(ready.detail.model).to.equal('object-detection');
      const { detail } = await nextEvent(el, 'cv-result', 120000);
      const labels = detail.objects.map((o) => o.label);
      console.log(`${name}: ${detail.objects.map((o) => `${o.label} ${o.score.toFixed(2)}`).join(', ')} (${detail.inferenceMs.toFixed(0)} ms)`);
      for (const alternatives of wanted) expect(labels.some((l) => alternatives.includes(l)), `${alternatives.join('/')} in ${labels}`).to.equal(true);
      const scores = detail.objects.map((o) => o.score);
      expect(scores).to.deep.equal([...scores].sort((a, b) => b - a));
      for (const { box } of detail.objects) {
        expect(box.x).to.be.at.least(0);
        expect(box.y).to.be.at.least(0);
        expect(box.x + box.width).to.be.at.most(img.naturalWidth + 0.01);
        expect(box.y + box.height).to.be.at.most(img.naturalHeight + 0.01);
      }
      await el.updateComplete;
      const summary = el.shadowRoot.querySelector('[part~="objects"]').textContent;
      expect(summary).to.contain(wanted[0][0] === 'person' ? '1 person' : wanted[0][0]);
    });
  }

  it('labels="dog" keeps only the dog in dog.jpg; its box is in the lower left', async () => {
    const img = await photo('dog.jpg', 'dogonly');
    const el = mount(`<cv-detect source="#dogonly" backend="wasm" labels="dog"></cv-detect>`);
    const { detail } = await nextEvent(el, 'cv-result', 120000);
    expect(detail.objects.map((o) => o.label)).to.deep.equal(['dog']);
    const { box } = detail.objects[0];
    expect(box.x + box.width / 2).to.be.lessThan(img.naturalWidth / 2);
    expect(box.y + box.height / 2).to.be.greaterThan(img.naturalHeight / 2);
  });
});
