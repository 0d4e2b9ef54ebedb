// The learned head and the augmentation of captured frames: pure code that runs in the worker.
import { expect } from '@esm-bundle/chai';
import { CvError } from '../../src/errors.js';
import { SoftmaxHead, type HeadFile } from '../../src/tasks/learn/head.js';
import { applyPixelAugmentation, augmentations, plainView } from '../../src/tasks/learn/pipeline.js';
import { gaussian, mulberry32 } from '../../src/tasks/shared/random.js';
import type { ModelInfo } from '../../src/tasks/shared/pipeline.js';

/** Points around three well-separated centres in 8-D, labelled by the centre they came from. */
function blobs(n: number, seed: number): Array<{ label: string; x: Float32Array }> {
  const rand = mulberry32(seed);
  const centres: Record<string, number[]> = { a: [3, 0, 0, 0, 1, 0, 0, 0], b: [0, 3, 0, 0, 0, 1, 0, 0], c: [0, 0, 3, 0, 0, 0, 1, 0] };
  const out: Array<{ label: string; x: Float32Array }> = [];
  for (const [label, c] of Object.entries(centres)) {
    for (let i = 0; i < n; i++) {
      const noise = gaussian(rand, 8);
      out.push({ label, x: Float32Array.from(c, (v, j) => v + noise[j]! * 0.8 + 10) });
    }
  }
  return out;
}

function argmaxLabel(head: SoftmaxHead, x: Float32Array): string {
  const p = head.predict(x);
  let k = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[k]!) k = i;
  return head.labels[k]!;
}

describe('SoftmaxHead', () => {
  it('learns three Gaussian blobs and generalises to fresh points from them', () => {
    const head = new SoftmaxHead(8);
    for (const e of blobs(30, 1)) head.add(e.label, e.x);
    expect(head.counts()).to.deep.equal({ a: 30, b: 30, c: 30 });
    expect(head.ready).to.equal(false);
    head.begin();
    const first = head.trainEpochs(1);
    const last = head.trainEpochs(149);
    expect(last.epochs).to.equal(150);
    expect(last.loss).to.be.lessThan(first.loss / 3);
    expect(last.accuracy).to.be.greaterThan(0.95);
    const test = blobs(50, 2);
    const right = test.filter((e) => argmaxLabel(head, e.x) === e.label).length;
    expect(right / test.length).to.be.greaterThan(0.95);
    const p = head.predict(test[0]!.x);
    expect(p.reduce((s, v) => s + v, 0)).to.be.closeTo(1, 1e-5);
  });

  it('keeps predicting with the last published weights while a new fit starts', () => {
    const head = new SoftmaxHead(8);
    for (const e of blobs(10, 3)) head.add(e.label, e.x);
    head.begin();
    head.trainEpochs(100);
    const x = blobs(1, 4)[0]!.x;
    const before = Array.from(head.predict(x));
    head.add('d', Float32Array.from({ length: 8 }, () => -5));
    head.begin();
    expect(Array.from(head.predict(x))).to.deep.equal(before);
    head.trainEpochs(1);
    expect(head.labels).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('round-trips through its file with identical predictions, and rejects malformed files', () => {
    const head = new SoftmaxHead(8);
    for (const e of blobs(10, 5)) head.add(e.label, e.x);
    head.begin();
    head.trainEpochs(60);
    const file: HeadFile = JSON.parse(JSON.stringify(head.toFile({ name: 'features', sha256: 'ab' })));
    expect(file.backbone).to.deep.equal({ name: 'features', sha256: 'ab', dim: 8 });
    const copy = SoftmaxHead.fromFile(file);
    for (const e of blobs(5, 6)) expect(Array.from(copy.predict(e.x))).to.deep.equal(Array.from(head.predict(e.x)));
    expect(copy.counts()).to.deep.equal(head.counts());
    expect(() => SoftmaxHead.fromFile({ ...file, weights: file.weights.slice(1) })).to.throw(/weights has/);
    expect(() => SoftmaxHead.fromFile({ ...file, format: 'other' } as unknown as HeadFile)).to.throw(/format/);
  });

  it('refuses embeddings of the wrong size and predicting before training', () => {
    const head = new SoftmaxHead(4);
    expect(() => head.add('a', new Float32Array(3))).to.throw(CvError, /this head takes 4/);
    expect(() => head.predict(new Float32Array(4))).to.throw(/no trained classes/);
  });
});

describe('learn augmentation', () => {
  const model = { key: 'm', inputNames: ['x'], input: { name: 'x', shape: [1, 256, 256, 3], layout: 'NHWC', color: 'rgb', mean: [0], std: [1] } } as unknown as ModelInfo;

  it('starts with the plain centred view and keeps every crop inside it', () => {
    const frame = { width: 640, height: 480 };
    const views = augmentations(frame, model, 20, mulberry32(9));
    expect(views[0]).to.deep.equal(plainView(frame, model));
    expect(views[0]!.crop).to.deep.equal({ x: 80, y: 0, width: 480, height: 480 });
    for (const v of views.slice(1)) {
      expect(v.crop.x).to.be.at.least(80);
      expect(v.crop.x + v.crop.width).to.be.at.most(560 + 1e-9);
      expect(v.crop.width).to.be.within(0.7 * 480, 480);
      expect(v.gain).to.be.within(0.75, 1.25);
    }
    expect(views.some((v) => v.flip) && views.some((v) => !v.flip)).to.equal(true);
  });

  it('mirrors rows and scales brightness with clamping', () => {
    // 3×1 pixels: red, green, blue.
    const rgba = Uint8ClampedArray.from([200, 0, 0, 255, 0, 100, 0, 255, 0, 0, 50, 255]);
    applyPixelAugmentation(rgba, 3, 1, { flip: true, gain: 1.5 });
    expect(Array.from(rgba)).to.deep.equal([0, 0, 75, 255, 0, 150, 0, 255, 255, 0, 0, 255]);
  });
});
