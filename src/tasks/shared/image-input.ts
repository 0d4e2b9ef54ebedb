import type { Rect } from './geometry.js';
import { imageInput, type FrameImage, type ModelInfo, type PipelineContext } from './pipeline.js';
import { inputSize, rgbaToTensor } from './tensor-spec.js';
import type { Tensor } from '../../runtime/types.js';

/** Crops, resizes and normalises a region of the frame into the model's image input tensor. */
export function frameToInput(ctx: PipelineContext, model: ModelInfo, frame: FrameImage, crop: Rect): { name: string; tensor: Tensor } {
  const { name, spec } = imageInput(model);
  const { width, height, channels } = inputSize(spec);
  const rgba = ctx.pixels(frame, crop, width, height);
  const data = rgbaToTensor(rgba, width, height, spec);
  const dims = spec.layout === 'NCHW' ? [1, channels, height, width] : [1, height, width, channels];
  return { name, tensor: { data, dims } };
}
