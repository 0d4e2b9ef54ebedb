import { expect } from '@esm-bundle/chai';
import { CvError } from '../../src/errors.js';
import { decodeObjects } from '../../src/tasks/detect-objects/objects.js';
import { countOf, summarizeObjects } from '../../src/elements/cv-detect/summary.js';

const labels = ['person', 'bicycle', 'car', 'dog'];
const input = { width: 512, height: 512 };
const frame = { width: 640, height: 480 };
const all = { threshold: 0.3, maxResults: 20, labels: null };
const rows = (...r: number[][]) => Float32Array.from(r.flat());

describe('decodeObjects', () => {
  it('scales boxes from input to frame pixels, best first', () => {
    const out = decodeObjects(rows([0, 0, 256, 256, 0.5, 3], [256, 128, 512, 512, 0.9, 0]), [1, 2, 6], labels, input, frame, all);
    expect(out.map((o) => o.label)).to.deep.equal(['person', 'dog']);
    expect(out[0]!.box).to.deep.equal({ x: 320, y: 120, width: 320, height: 360 });
    expect(out[1]!.box).to.deep.equal({ x: 0, y: 0, width: 320, height: 240 });
  });

  it('drops low, non-finite and empty rows, and clips boxes to the frame', () => {
    const out = decodeObjects(
      rows([0, 0, 10, 10, 0.2, 0], [0, 0, 10, 10, NaN, 0], [5, 5, 5, 9, 0.9, 0], [-50, -50, 600, 100, 0.8, 2]),
      [1, 4, 6], labels, input, frame, all,
    );
    expect(out).to.have.length(1);
    expect(out[0]!.label).to.equal('car');
    expect(out[0]!.box).to.deep.equal({ x: 0, y: 0, width: 640, height: 93.75 });
  });

  it('suppresses overlapping boxes of one label only, then cuts to maxResults', () => {
    const r = rows([0, 0, 100, 100, 0.9, 0], [5, 5, 100, 100, 0.8, 0], [5, 5, 100, 100, 0.7, 3], [300, 300, 400, 400, 0.6, 0]);
    const out = decodeObjects(r, [1, 4, 6], labels, input, input, all);
    expect(out.map((o) => [o.label, o.score])).to.deep.equal([['person', 0.8999999761581421], ['dog', 0.699999988079071], ['person', 0.6000000238418579]]);
    expect(decodeObjects(r, [1, 4, 6], labels, input, input, { ...all, maxResults: 2 })).to.have.length(2);
  });

  it('keeps only the labels asked for, and names unknown classes by index', () => {
    const r = rows([0, 0, 10, 10, 0.9, 0], [20, 20, 30, 30, 0.8, 3], [40, 40, 50, 50, 0.7, 7]);
    expect(decodeObjects(r, [1, 3, 6], labels, input, input, { ...all, labels: ['dog'] }).map((o) => o.label)).to.deep.equal(['dog']);
    expect(decodeObjects(r, [1, 3, 6], labels, input, input, all).map((o) => o.label)).to.deep.equal(['person', 'dog', '7']);
  });

  it('refuses an output that is not rows of six', () => {
    expect(() => decodeObjects(new Float32Array(10), [1, 2, 5], labels, input, frame, all)).to.throw(CvError, /x1, y1, x2, y2, score, class/);
  });
});

describe('summarizeObjects', () => {
  it('counts per label, most first, with English plurals', () => {
    const objs = ['dog', 'person', 'person', 'bus', 'bus', 'bus'].map((label) => ({ label }));
    expect(summarizeObjects(objs)).to.equal('3 buses, 2 people, 1 dog');
    expect(countOf('knife', 2)).to.equal('2 knives');
    expect(countOf('car', 2)).to.equal('2 cars');
    expect(summarizeObjects([])).to.equal('');
  });
});
