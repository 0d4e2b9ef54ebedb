import { CvError } from '../../errors.js';
import { iou, type Rect } from '../shared/geometry.js';

/** A face found by BlazeFace, in normalised [0, 1] coordinates of the model input. */
export interface FaceDetection {
  box: Rect;
  score: number;
  /** Six keypoints (eyes, nose tip, mouth, ear tragions), normalised. */
  keypoints: Array<{ x: number; y: number }>;
}

export interface AnchorOptions {
  inputSize: number;
  strides: number[];
  anchorsPerLayer: number;
}

/** MediaPipe's SSD anchor options for the short-range BlazeFace (128×128 input, 896 anchors). */
export const BLAZEFACE_SHORT_RANGE: AnchorOptions = { inputSize: 128, strides: [8, 16, 16, 16], anchorsPerLayer: 2 };

/**
 * Anchor centres as [x0, y0, x1, y1, …], normalised. Layers sharing a stride share a grid, as MediaPipe's
 * SsdAnchorsCalculator does with fixed_anchor_size: every anchor is 1×1 and only its centre matters.
 */
export function ssdAnchors(opts: AnchorOptions): Float32Array {
  const centres: number[] = [];
  let layer = 0;
  while (layer < opts.strides.length) {
    const stride = opts.strides[layer]!;
    let sameStride = 0;
    while (layer < opts.strides.length && opts.strides[layer] === stride) {
      sameStride++;
      layer++;
    }
    const grid = Math.ceil(opts.inputSize / stride);
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        for (let a = 0; a < sameStride * opts.anchorsPerLayer; a++) centres.push((x + 0.5) / grid, (y + 0.5) / grid);
      }
    }
  }
  return Float32Array.from(centres);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, v))));

/**
 * Decodes raw BlazeFace outputs (regressors [N, 16], logits [N]) into detections above `minScore`,
 * then merges overlapping ones by weighted non-maximum suppression.
 */
export function decodeBlazeFace(
  regressors: Float32Array,
  logits: Float32Array,
  anchors: Float32Array,
  inputSize: number,
  minScore = 0.5,
  iouThreshold = 0.3,
): FaceDetection[] {
  const count = anchors.length / 2;
  const stride = regressors.length / count;
  if (!Number.isInteger(stride) || stride < 4 || logits.length !== count) {
    throw new CvError('model-output', `BlazeFace outputs do not match ${count} anchors: regressors ${regressors.length}, scores ${logits.length}`);
  }
  const found: FaceDetection[] = [];
  for (let i = 0; i < count; i++) {
    const score = sigmoid(logits[i]!);
    if (score < minScore) continue;
    const r = i * stride;
    const ax = anchors[i * 2]!;
    const ay = anchors[i * 2 + 1]!;
    const cx = regressors[r]! / inputSize + ax;
    const cy = regressors[r + 1]! / inputSize + ay;
    const w = regressors[r + 2]! / inputSize;
    const h = regressors[r + 3]! / inputSize;
    const keypoints = [];
    for (let k = 4; k + 1 < stride; k += 2) {
      keypoints.push({ x: regressors[r + k]! / inputSize + ax, y: regressors[r + k + 1]! / inputSize + ay });
    }
    found.push({ box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h }, score, keypoints });
  }
  return weightedNms(found, iouThreshold);
}

/** True when every coordinate of a detection is a finite number. */
function finiteDetection(d: FaceDetection): boolean {
  const b = d.box;
  return [d.score, b.x, b.y, b.width, b.height].every(Number.isFinite) && d.keypoints.every((k) => Number.isFinite(k.x) && Number.isFinite(k.y));
}

/**
 * Weighted NMS: each kept detection is the score-weighted mean of the ones it suppresses.
 * Every pass removes at least the best box (it is in its own group by construction, whatever its area),
 * so this ends after at most `dets.length` passes. Non-finite detections are a model fault, thrown as
 * `model-output` rather than averaged into the result.
 */
export function weightedNms(dets: FaceDetection[], iouThreshold: number): FaceDetection[] {
  const bad = dets.find((d) => !finiteDetection(d));
  if (bad) throw new CvError('model-output', `The face detector gave a non-finite box (${JSON.stringify(bad.box)}, score ${bad.score})`);
  let rest = [...dets].sort((a, b) => b.score - a.score);
  const kept: FaceDetection[] = [];
  while (rest.length) {
    const best = rest[0]!;
    const group = [best];
    const others: FaceDetection[] = [];
    for (let i = 1; i < rest.length; i++) {
      const d = rest[i]!;
      (iou(best.box, d.box) >= iouThreshold ? group : others).push(d);
    }
    const total = group.reduce((s, d) => s + d.score, 0);
    // A zero total (all scores 0) would make every mean NaN: keep the best box as it is then.
    const avg = (f: (d: FaceDetection) => number) => (total > 0 ? group.reduce((s, d) => s + f(d) * d.score, 0) / total : f(best));
    kept.push({
      score: best.score,
      box: { x: avg((d) => d.box.x), y: avg((d) => d.box.y), width: avg((d) => d.box.width), height: avg((d) => d.box.height) },
      keypoints: best.keypoints.map((_, k) => ({ x: avg((d) => d.keypoints[k]?.x ?? best.keypoints[k]!.x), y: avg((d) => d.keypoints[k]?.y ?? best.keypoints[k]!.y) })),
    });
    rest = others;
  }
  return kept;
}
