// Pre- and post-processing on real numbers. These modules never touch the DOM (they run in the worker).
import { expect } from '@esm-bundle/chai';
import { CvError } from '../../src/errors.js';
import { coverCrop, centerSquare, iou, squareAround } from '../../src/tasks/shared/geometry.js';
import { isDistribution, softmax, topK } from '../../src/tasks/classify/labels.js';
import { foregroundShare, maskIoU, maskToBytes } from '../../src/tasks/segment/mask.js';
import { BLAZEFACE_SHORT_RANGE, decodeBlazeFace, ssdAnchors, weightedNms } from '../../src/tasks/detect/blazeface.js';
import { inputSize, rgbaToTensor } from '../../src/tasks/shared/tensor-spec.js';
import { gaussian, mulberry32 } from '../../src/tasks/shared/random.js';

describe('geometry', () => {
  it('coverCrop takes the centred 4:3 → 1:1 square', () => {
    expect(coverCrop(640, 480, 256, 256)).to.deep.equal({ x: 80, y: 0, width: 480, height: 480 });
    expect(coverCrop(480, 640, 16, 9)).to.deep.equal({ x: 0, y: 185, width: 480, height: 270 });
  });
  it('centerSquare and squareAround', () => {
    expect(centerSquare(640, 480, 0.5)).to.deep.equal({ x: 200, y: 120, width: 240, height: 240 });
    // A 40×20 box grown 1.5× about its centre (120, 110) is a 60×60 square.
    expect(squareAround({ x: 100, y: 100, width: 40, height: 20 }, 1.5, 640, 480)).to.deep.equal({ x: 90, y: 80, width: 60, height: 60 });
    // Clipped at the image edge.
    expect(squareAround({ x: 0, y: 0, width: 20, height: 20 }, 2, 640, 480)).to.deep.equal({ x: 0, y: 0, width: 30, height: 30 });
  });
  it('iou', () => {
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 })).to.be.closeTo(50 / 150, 1e-9);
    expect(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 20, y: 20, width: 5, height: 5 })).to.equal(0);
    expect(iou({ x: 0, y: 0, width: 0, height: 0 }, { x: 0, y: 0, width: 0, height: 0 })).to.equal(0);
  });
});

describe('classification post-processing', () => {
  it('softmax is stable for large logits and sums to one', () => {
    const p = softmax([1000, 1001, 1002]);
    expect(p[2]).to.be.closeTo(0.66524, 1e-4);
    expect(p[0]! + p[1]! + p[2]!).to.be.closeTo(1, 1e-6);
    expect(isDistribution(p)).to.equal(true);
    expect(isDistribution([2, -1])).to.equal(false);
  });
  it('topK sorts, thresholds and names', () => {
    const top = topK([0.1, 0.6, 0.3], ['a', 'b', 'c'], 2, 0.2);
    expect(top).to.deep.equal([{ label: 'b', score: 0.6 }, { label: 'c', score: 0.3 }]);
    expect(topK([0.5, 0.5], null, 5)).to.deep.equal([{ label: 'class 0', score: 0.5 }, { label: 'class 1', score: 0.5 }]);
  });
});

describe('masks', () => {
  it('maskToBytes: sigmoid logits, probabilities and two-class softmax in both layouts', () => {
    expect([...maskToBytes(new Float32Array([0, 100, -100]), 3, 1, 'NCHW', true)]).to.deep.equal([128, 255, 0]);
    expect([...maskToBytes(new Float32Array([0.25, 1]), 2, 1, 'NHWC', false)]).to.deep.equal([64, 255]);
    // Two pixels, classes [background, person]: pixel 0 is background-heavy, pixel 1 person-heavy.
    const nchw = new Float32Array([2, -2, /* person: */ -2, 2]);
    const nhwc = new Float32Array([2, -2, -2, 2]);
    const a = maskToBytes(nchw, 2, 2, 'NCHW', false);
    expect(a[0]).to.equal(Math.round(255 / (1 + Math.exp(4))));
    expect(a[1]).to.equal(Math.round(255 / (1 + Math.exp(-4))));
    // NHWC: pixel 0 = [2, -2] (background), pixel 1 = [-2, 2] (person): the same answer.
    expect([...maskToBytes(nhwc, 2, 2, 'NHWC', false)]).to.deep.equal([...a]);
  });
  it('foregroundShare and maskIoU', () => {
    expect(foregroundShare([0, 200, 255, 100], 128)).to.equal(0.5);
    expect(maskIoU([1, 1, 0, 0], [1, 0, 1, 0])).to.be.closeTo(1 / 3, 1e-9);
    expect(() => maskIoU([1], [1, 1])).to.throw(CvError, /Mask sizes differ/);
  });
});

describe('BlazeFace decoding', () => {
  it('makes MediaPipe\'s 896 short-range anchors', () => {
    const a = ssdAnchors(BLAZEFACE_SHORT_RANGE);
    expect(a.length / 2).to.equal(896); // 16×16×2 + 8×8×6
    expect([a[0], a[1]]).to.deep.equal([0.5 / 16, 0.5 / 16]);
    // The first anchor of the stride-16 layers sits at the centre of an 8×8 grid cell.
    expect([a[512 * 2], a[512 * 2 + 1]]).to.deep.equal([0.5 / 8, 0.5 / 8]);
  });
  it('decodes a box around its anchor and merges overlapping detections', () => {
    const anchors = ssdAnchors(BLAZEFACE_SHORT_RANGE);
    const n = anchors.length / 2;
    const reg = new Float32Array(n * 16);
    const logits = new Float32Array(n).fill(-10);
    // Two neighbouring anchors see the same face, 32×32 px at 128 px input; a third, weak one sees nothing.
    for (const [i, dx, score] of [[100, 0, 3], [101, 1, 1]] as const) {
      logits[i] = score;
      reg.set([dx, 0, 32, 32], i * 16);
    }
    const faces = decodeBlazeFace(reg, logits, anchors, 128);
    expect(faces).to.have.length(1);
    expect(faces[0]!.score).to.be.closeTo(1 / (1 + Math.exp(-3)), 1e-6);
    expect(faces[0]!.box.width).to.be.closeTo(0.25, 1e-6);
    expect(faces[0]!.keypoints).to.have.length(6);
    // The merged centre is the score-weighted mean of both anchors' centres.
    const s0 = 1 / (1 + Math.exp(-3)), s1 = 1 / (1 + Math.exp(-1));
    const cx = (s0 * anchors[200]! + s1 * (anchors[202]! + 1 / 128)) / (s0 + s1);
    expect(faces[0]!.box.x + faces[0]!.box.width / 2).to.be.closeTo(cx, 1e-6);
    expect(() => decodeBlazeFace(reg.subarray(0, 100), logits, anchors, 128)).to.throw(CvError, /do not match/);
  });
  it('weightedNms keeps separate faces apart', () => {
    const face = (x: number, score: number) => ({ box: { x, y: 0, width: 0.1, height: 0.1 }, score, keypoints: [] });
    expect(weightedNms([face(0, 0.9), face(0.5, 0.8)], 0.3)).to.have.length(2);
  });
});

describe('tensor input', () => {
  it('NCHW rgb with mean/std, gray with inversion (Fashion-MNIST style)', () => {
    const rgba = new Uint8ClampedArray([255, 0, 51, 255, 0, 255, 102, 255]);
    const t = rgbaToTensor(rgba, 2, 1, { layout: 'NCHW', color: 'rgb', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    expect([...t].map((v) => +v.toFixed(4))).to.deep.equal([1, -1, -1, 1, -0.6, -0.2]);
    const g = rgbaToTensor(new Uint8ClampedArray([255, 255, 255, 255]), 1, 1, { layout: 'NCHW', color: 'gray', mean: [0], std: [1], invert: true });
    expect(g[0]).to.be.closeTo(0, 1e-6);
    const nhwc = rgbaToTensor(rgba, 2, 1, { layout: 'NHWC', color: 'rgb', mean: [0], std: [1] });
    expect([...nhwc].map((v) => +v.toFixed(4))).to.deep.equal([1, 0, 0.2, 0, 1, 0.4]);
    expect(() => rgbaToTensor(rgba, 3, 1, { layout: 'NCHW', color: 'rgb', mean: [0], std: [1] })).to.throw(CvError, /RGBA bytes/);
  });
  it('reads the input size from shape and layout', () => {
    expect(inputSize({ name: 'x', shape: [1, 256, 144, 3], layout: 'NHWC', color: 'rgb', mean: [0], std: [1] })).to.deep.equal({ width: 144, height: 256, channels: 3 });
    expect(() => inputSize({ name: 'x', shape: [1, 3, 'h', 'w'], layout: 'NCHW', color: 'rgb', mean: [0], std: [1] })).to.throw(/fixed height/);
  });
});

describe('seeded randomness', () => {
  it('is repeatable and roughly standard normal', () => {
    const a = mulberry32(7), b = mulberry32(7);
    expect([a(), a(), a()]).to.deep.equal([b(), b(), b()]);
    const xs = [...gaussian(mulberry32(42), 20000)];
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    expect(mean).to.be.closeTo(0, 0.03);
    expect(variance).to.be.closeTo(1, 0.05);
  });
});
