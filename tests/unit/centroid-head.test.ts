// The face-recognition head: nearest centroid on unit-length descriptors, its cosine distances, its file
// round trip, and the enrolment views around a face box. Numbers chosen so the answers follow by hand.
import { expect } from '@esm-bundle/chai';
import { CentroidHead, SoftmaxHead, type HeadFile } from '../../src/tasks/learn/head.js';
import { enrolFace, faceAugmentations } from '../../src/tasks/learn/pipeline.js';
import { mulberry32 } from '../../src/tasks/shared/random.js';

const v = (...x: number[]) => Float32Array.from(x);

describe('CentroidHead', () => {
  it('places one unit centroid per person and measures cosine distance, whatever the descriptor length', () => {
    const head = new CentroidHead(3);
    head.add('ann', v(2, 0, 0));
    head.add('ann', v(0, 5, 0)); // unit vectors averaged: centroid (1,1,0)/√2
    head.add('bob', v(0, 0, 3));
    head.begin();
    expect(head.labels).to.deep.equal(['ann', 'bob']);
    const d = head.distances(v(10, 10, 0));
    expect(d[0]).to.be.closeTo(0, 1e-6);
    expect(d[1]).to.be.closeTo(1, 1e-6);
    // Each example is nearest its own centroid: accuracy 1; loss is the mean distance to it.
    expect(head.summary.accuracy).to.equal(1);
    expect(head.summary.loss).to.be.closeTo((2 * (1 - Math.SQRT1_2) + 0) / 3, 1e-6);
    // Scores are 1 − distance: nothing in common with ann, identical direction to bob.
    const p = head.predict(v(0, 0, 1));
    expect(p[0]).to.be.closeTo(0, 1e-6);
    expect(p[1]).to.be.closeTo(1, 1e-6);
  });

  it('survives its file: kind "centroid" reads back as a CentroidHead with the same distances; an unknown kind is refused', () => {
    const head = new CentroidHead(2);
    head.add('ann', v(1, 0));
    head.add('bob', v(0, 1));
    head.begin();
    const file = JSON.parse(JSON.stringify(head.toFile({ name: 'face-embedding', sha256: 'a'.repeat(64) }))) as HeadFile;
    expect(file.kind).to.equal('centroid');
    const back = SoftmaxHead.fromFile(file);
    expect(back).to.be.instanceOf(CentroidHead);
    expect(Array.from((back as CentroidHead).distances(v(3, 4)))).to.deep.equal(Array.from(head.distances(v(3, 4))));
    expect(() => SoftmaxHead.fromFile({ ...file, kind: 'knn' as never })).to.throw(/kind/);
    expect(SoftmaxHead.fromFile({ ...file, kind: 'softmax' })).not.to.be.instanceOf(CentroidHead);
  });
});

describe('enrolment views', () => {
  it('enrols the largest face, and jitters its crop by at most 10 % in size and 6 % in place', () => {
    const small = { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.99 };
    const big = { box: { x: 100, y: 100, width: 50, height: 50 }, score: 0.6 };
    expect(enrolFace([small, big])).to.equal(big);
    expect(enrolFace([])).to.equal(undefined);
    const views = faceAugmentations(big.box, { width: 640, height: 480 }, 6, mulberry32(1));
    expect(views).to.have.length(6);
    expect(views[0]).to.deep.equal({ crop: { x: 95, y: 95, width: 60, height: 60 }, flip: false, gain: 1 });
    for (const a of views.slice(1)) {
      expect(a.crop.width).to.be.within(60 * 0.9 - 1e-9, 60 * 1.1 + 1e-9);
      expect(a.crop.x + a.crop.width / 2).to.be.within(125 - 3 - 2.5, 125 + 3 + 2.5);
    }
  });
});
