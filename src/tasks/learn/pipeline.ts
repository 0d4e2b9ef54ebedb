import { CvError } from '../../errors.js';
import { topK, type Label } from '../classify/labels.js';
import { classifyCrop } from '../classify/pipeline.js';
import type { ClassifyResult } from '../classify/pipeline.js';
import { coverCrop, type Rect } from '../shared/geometry.js';
import { imageInput, outputOf, type FrameImage, type ModelInfo, type PipelineContext } from '../shared/pipeline.js';
import { inputSize, rgbaToTensor } from '../shared/tensor-spec.js';
import { squareAround } from '../shared/geometry.js';
import { CentroidHead, type SoftmaxHead } from './head.js';

/** Recognised faces farther than this (cosine distance) from every enrolled person are `unknown`. */
export const DEFAULT_DISTANCE_THRESHOLD = 0.35;
/** The label of a face that matches nobody enrolled. */
export const UNKNOWN = 'unknown';
/** How much the identity crop grows the tight detector box (forehead, chin and ears in view). */
const FACE_CROP = 1.2;
type Face = { box: Rect; score: number };

/** One live frame through the backbone and a learned head. */
export interface LearnRequest {
  task: 'learn';
  /** Worker key of the feature extractor. */
  backbone: string;
  /** The head's id in the worker (one per element). */
  head: string;
  topK: number;
  threshold: number;
  /** Face recognition: the face detector's key; each face crop is embedded instead of the frame. */
  detector?: string;
  /** With `detector`: the cosine distance beyond which a face is `unknown`. */
  distanceThreshold?: number;
  /** With `detector`: the expression classifier's key, for an expression beside each identity. */
  expression?: string;
}

/** How one view of a captured frame is altered before it is embedded. */
export interface Augmentation {
  crop: Rect;
  flip: boolean;
  /** Brightness multiplier. */
  gain: number;
}

/** The view predictions see: the centred crop with the backbone's aspect ratio. */
export function plainView(frame: { width: number; height: number }, model: ModelInfo): Augmentation {
  const { width, height } = inputSize(imageInput(model).spec);
  return { crop: coverCrop(frame.width, frame.height, width, height), flip: false, gain: 1 };
}

/**
 * `n` views of a frame for one captured example: the plain view first, then random crops of 70–100 %
 * of it anywhere inside it, mirrored half the time, with brightness ×0.75–1.25.
 */
export function augmentations(frame: { width: number; height: number }, model: ModelInfo, n: number, rand: () => number): Augmentation[] {
  const plain = plainView(frame, model);
  const out = [plain];
  for (let i = 1; i < n; i++) {
    const s = 0.7 + 0.3 * rand();
    const w = plain.crop.width * s;
    const h = plain.crop.height * s;
    out.push({
      crop: { x: plain.crop.x + rand() * (plain.crop.width - w), y: plain.crop.y + rand() * (plain.crop.height - h), width: w, height: h },
      flip: rand() < 0.5,
      gain: 0.75 + 0.5 * rand(),
    });
  }
  return out;
}

/** The square crop of a face the identity model sees. */
export function faceView(face: Rect, frame: { width: number; height: number }): Augmentation {
  return { crop: squareAround(face, FACE_CROP, frame.width, frame.height), flip: false, gain: 1 };
}

/**
 * `n` views of one face for enrolment: the plain crop first, then crops 90–110 % of its size shifted by up
 * to 6 % of it (a detector box never sits twice in the same place), mirrored half the time, brightness ×0.8–1.2.
 */
export function faceAugmentations(face: Rect, frame: { width: number; height: number }, n: number, rand: () => number): Augmentation[] {
  const out = [faceView(face, frame)];
  for (let i = 1; i < n; i++) {
    const s = 0.9 + 0.2 * rand();
    const side = Math.max(face.width, face.height);
    const box = { x: face.x + (rand() - 0.5) * 0.12 * side, y: face.y + (rand() - 0.5) * 0.12 * side, width: face.width * s, height: face.height * s };
    out.push({ ...faceView(box, frame), flip: rand() < 0.5, gain: 0.8 + 0.4 * rand() });
  }
  return out;
}

/** The face to enrol from a captured frame: the largest one, since the person being taught is nearest. */
export function enrolFace(faces: Face[]): Face | undefined {
  return [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
}

/** Mirrors and brightens RGBA pixels in place. */
export function applyPixelAugmentation(rgba: Uint8ClampedArray, width: number, height: number, aug: Pick<Augmentation, 'flip' | 'gain'>): void {
  if (aug.flip) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width / 2; x++) {
        const a = (y * width + x) * 4;
        const b = (y * width + (width - 1 - x)) * 4;
        for (let c = 0; c < 4; c++) {
          const t = rgba[a + c]!;
          rgba[a + c] = rgba[b + c]!;
          rgba[b + c] = t;
        }
      }
    }
  }
  if (aug.gain !== 1) {
    for (let i = 0; i < rgba.length; i += 4) {
      rgba[i] = rgba[i]! * aug.gain; // Uint8ClampedArray rounds and clamps
      rgba[i + 1] = rgba[i + 1]! * aug.gain;
      rgba[i + 2] = rgba[i + 2]! * aug.gain;
    }
  }
}

/** The backbone's feature vector for one view of the frame. */
export async function embed(ctx: PipelineContext, model: ModelInfo, frame: FrameImage, aug: Augmentation): Promise<Float32Array> {
  const { name, spec } = imageInput(model);
  const { width, height, channels } = inputSize(spec);
  const rgba = ctx.pixels(frame, aug.crop, width, height);
  applyPixelAugmentation(rgba, width, height, aug);
  const data = rgbaToTensor(rgba, width, height, spec);
  const dims = spec.layout === 'NCHW' ? [1, channels, height, width] : [1, height, width, channels];
  const out = await ctx.run(model, { [name]: { data, dims } });
  return Float32Array.from(outputOf(model, out).data);
}

/** Labels for the live frame from the element's head; a `no-examples` error while it has no classes. */
export async function runLearn(
  ctx: PipelineContext,
  models: (key: string) => ModelInfo,
  frame: FrameImage,
  req: LearnRequest,
  head: SoftmaxHead | undefined,
  /** Finds faces for face recognition (the engine is chosen in classify/faces.ts). */
  findFaces?: (detector: ModelInfo) => Promise<Face[]>,
): Promise<ClassifyResult> {
  if (!head || !head.ready) {
    throw new CvError('no-examples', 'Nothing learned yet: add examples of at least one class (addExample or the class buttons) before predicting');
  }
  const backbone = models(req.backbone);
  if (req.detector && findFaces) {
    if (!(head instanceof CentroidHead)) throw new CvError('head-mismatch', 'This head was not made for face recognition: learn the people again with roi="face"');
    const faces = await findFaces(models(req.detector));
    const limit = req.distanceThreshold ?? DEFAULT_DISTANCE_THRESHOLD;
    const expression = req.expression ? models(req.expression) : null;
    const labels: Label[] = [];
    for (const face of faces) {
      const view = faceView(face.box, frame);
      const d = head.distances(await embed(ctx, backbone, frame, view));
      const k = d.indexOf(Math.min(...d));
      const distance = d[k]!;
      const label: Label = { label: distance <= limit ? head.labels[k]! : UNKNOWN, score: Math.max(0, 1 - distance), distance, box: face.box };
      // The expression model is trained on the same loose crop (classify's roi="face" grows the box 1.2× too).
      if (expression) {
        const [best] = await classifyCrop(ctx, expression, frame, view.crop, { topK: 1, threshold: 0 });
        if (best) label.expression = best.label;
      }
      labels.push(label);
    }
    return { labels, faces };
  }
  const x = await embed(ctx, backbone, frame, plainView(frame, backbone));
  return { labels: topK(head.predict(x), head.labels, req.topK, req.threshold) };
}
