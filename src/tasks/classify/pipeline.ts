import { CvError } from '../../errors.js';
import { coverCrop, squareAround, type Rect } from '../shared/geometry.js';
import { frameToInput } from '../shared/image-input.js';
import { outputOf, type FrameImage, type ModelInfo, type PipelineContext, imageInput } from '../shared/pipeline.js';
import { inputSize } from '../shared/tensor-spec.js';
import { BLAZEFACE_SHORT_RANGE, decodeBlazeFace, ssdAnchors } from '../detect/blazeface.js';
import { isDistribution, softmax, topK, type Label } from './labels.js';

export interface ClassifyRequest {
  task: 'classify';
  classifier: string;
  /** Face detector key when roi = face. */
  detector?: string;
  topK: number;
  threshold: number;
  roi: 'full' | 'face';
}

export interface ClassifyResult {
  labels: Label[];
  /** Faces found when roi = face, in frame pixels. */
  faces?: Array<{ box: Rect; score: number }>;
}

let anchors: Float32Array | undefined;

/** Runs BlazeFace on the whole frame (cover-cropped to its square input) and returns faces in frame pixels. */
export async function detectFaces(ctx: PipelineContext, detector: ModelInfo, frame: FrameImage): Promise<Array<{ box: Rect; score: number }>> {
  const { width } = inputSize(imageInput(detector).spec);
  // Letterbox rather than crop, so faces near the frame's edges are still seen.
  const side = Math.max(frame.width, frame.height);
  const crop: Rect = { x: (frame.width - side) / 2, y: (frame.height - side) / 2, width: side, height: side };
  const { name, tensor } = frameToInput(ctx, detector, frame, crop);
  const out = await ctx.run(detector, { [name]: tensor });
  const [regName, scoreName] = pickDetectorOutputs(detector, out);
  anchors ??= ssdAnchors({ ...BLAZEFACE_SHORT_RANGE, inputSize: width });
  const faces = decodeBlazeFace(out[regName]!.data, out[scoreName]!.data, anchors, width);
  return faces.map((f) => ({
    score: f.score,
    box: { x: crop.x + f.box.x * side, y: crop.y + f.box.y * side, width: f.box.width * side, height: f.box.height * side },
  }));
}

/** BlazeFace has a 16-wide regressor output and a 1-wide score output; tell them apart by size. */
function pickDetectorOutputs(model: ModelInfo, out: Record<string, { data: Float32Array; dims: number[] }>): [string, string] {
  const names = model.outputNames.filter((n) => out[n]);
  const reg = names.find((n) => out[n]!.dims.at(-1) === 16);
  const score = names.find((n) => out[n]!.dims.at(-1) === 1 || out[n]!.dims.length === 2);
  if (!reg || !score || reg === score) {
    throw new CvError('model-output', `Face detector outputs not recognised: ${names.map((n) => `${n}[${out[n]!.dims}]`).join(', ')}`);
  }
  return [reg, score];
}

/** The best labels of one crop of the frame (also used for the expression beside a recognised face). */
export async function classifyCrop(ctx: PipelineContext, model: ModelInfo, frame: FrameImage, crop: Rect, req: Pick<ClassifyRequest, 'topK' | 'threshold'>): Promise<Label[]> {
  const { name, tensor } = frameToInput(ctx, model, frame, crop);
  const out = await ctx.run(model, { [name]: tensor });
  const raw = outputOf(model, out).data;
  const scores = isDistribution(raw) ? raw : softmax(raw);
  return topK(scores, model.labels, req.topK, req.threshold);
}

export async function runClassify(
  ctx: PipelineContext,
  models: (key: string) => ModelInfo,
  frame: FrameImage,
  req: ClassifyRequest,
  /** Finds the faces for roi="face" (the engine is chosen in faces.ts); ONNX BlazeFace by default. */
  faces: (detector: ModelInfo) => Promise<Array<{ box: Rect; score: number }>> = (detector) => detectFaces(ctx, detector, frame),
): Promise<ClassifyResult> {
  const classifier = models(req.classifier);
  if (req.roi === 'face') {
    if (!req.detector) throw new CvError('not-ready', 'roi="face" needs a face detector');
    const detector = models(req.detector);
    const found = await faces(detector);
    const labels: Label[] = [];
    for (const face of found) {
      // Expression models are trained on loose face crops: grow the tight BlazeFace box a little.
      const crop = squareAround(face.box, 1.2, frame.width, frame.height);
      const best = await classifyCrop(ctx, classifier, frame, crop, req);
      for (const l of best) labels.push({ ...l, box: face.box });
    }
    labels.sort((a, b) => b.score - a.score);
    return { labels, faces: found };
  }
  const { width, height } = inputSize(imageInput(classifier).spec);
  return { labels: await classifyCrop(ctx, classifier, frame, coverCrop(frame.width, frame.height, width, height), req) };
}
