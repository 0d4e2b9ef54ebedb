import { CvError } from '../../errors.js';
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
}

/**
 * Throws `model-output` when a tensor holds NaN or ±Infinity (an fp16 overflow, a broken custom model):
 * such values would be painted as garbage or, in NMS, looped on, so they are reported instead.
 */
export function checkFinite(model: ModelInfo, name: string, t: Tensor): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      throw new CvError('model-output', `Model ${model.key} gave a non-finite value (${d[i]}) in output "${name}" at index ${i}`);
    }
  }
  return t;
}

/** The single output of a model, or the one named, checked finite; a clear error when the graph has something else. */
export function outputOf(model: ModelInfo, out: Record<string, Tensor>, name?: string): Tensor {
  const key = name && out[name] ? name : model.outputNames[0]!;
  const t = out[key];
  if (!t) throw new CvError('model-output', `Model has no output "${key}" (it has ${Object.keys(out).join(', ')})`);
  return checkFinite(model, key, t);
}

/** The image input name and spec of a model, with a precise error when the catalog gave none. */
export function imageInput(model: ModelInfo): { name: string; spec: ImageInputSpec } {
  if (!model.input) throw new CvError('model-input', `Model ${model.key} has no image input spec: a bare .onnx URL needs a catalog entry that gives its input (shape, layout, normalisation)`);
  const name = model.inputNames.includes(model.input.name) ? model.input.name : model.inputNames[0]!;
  return { name, spec: model.input };
}
