import type { Rect } from './geometry.js';
import type { ImageInputSpec } from './tensor-spec.js';
import type { Tensor } from '../../runtime/types.js';

/** What a pipeline knows about a loaded model. */
export interface ModelInfo {
  key: string;
  input: ImageInputSpec | null;
  labels: string[] | null;
  inputNames: readonly string[];
  outputNames: readonly string[];
  inputDims: Readonly<Record<string, number[]>>;
  /** Value range of image outputs, from the catalog: [0, 1], [-1, 1] or [0, 255]. */
  outputRange?: [number, number];
}

/** A frame as pipelines see it: anything drawImage takes, with its size. */
export interface FrameImage {
  image: CanvasImageSource;
  width: number;
  height: number;
}

/** The services a pipeline needs, supplied by the worker. Pipelines never touch the DOM themselves. */
export interface PipelineContext {
  /** RGBA pixels of `crop` of the frame, resampled to width×height. */
  pixels(frame: FrameImage, crop: Rect, width: number, height: number): Uint8ClampedArray;
  run(model: ModelInfo, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  /** Faces in frame pixels, when the engine has its own face detector (MediaPipe); else the ONNX BlazeFace runs. */
  detectFaces?(detector: ModelInfo, frame: FrameImage): Promise<Array<{ box: Rect; score: number }>>;
}

export class PipelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The single output of a model, or the one named; a clear error when the graph has something else. */
export function outputOf(model: ModelInfo, out: Record<string, Tensor>, name?: string): Tensor {
  const key = name && out[name] ? name : model.outputNames[0]!;
  const t = out[key];
  if (!t) throw new PipelineError('model-output', `Model has no output "${key}" (it has ${Object.keys(out).join(', ')})`);
  return t;
}

/** The image input name and spec of a model, with a precise error when the catalog gave none. */
export function imageInput(model: ModelInfo): { name: string; spec: ImageInputSpec } {
  if (!model.input) throw new PipelineError('model-input', `Model ${model.key} has no image input spec`);
  const name = model.inputNames.includes(model.input.name) ? model.input.name : model.inputNames[0]!;
  return { name, spec: model.input };
}
