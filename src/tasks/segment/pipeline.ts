import { CvError } from '../../errors.js';
import type { Rect } from '../shared/geometry.js';
import { frameToInput } from '../shared/image-input.js';
import { outputOf, type FrameImage, type ModelInfo, type PipelineContext, imageInput } from '../shared/pipeline.js';
import { inputSize } from '../shared/tensor-spec.js';
import { classMask, foregroundShare, maskToBytes, outsideUnit } from './mask.js';

export interface SegmentRequest {
  task: 'segment';
  segmenter: string;
  threshold: number;
  /** Multi-class models: the class indices that count as foreground; null = every class but 0. */
  classes?: number[] | null;
  /**
   * Draw the effect in the worker, on the element's composite canvas (an OffscreenCanvas it handed over),
   * with the very frame the mask was made from; absent when the page composites or shows no effect.
   */
  composite?: { target: string; effect: 'mask' | 'blur' | 'replace'; opacity: number };
}

export interface SegmentResult {
  width: number;
  height: number;
  /** Share of mask pixels at or above the threshold. */
  foreground: number;
  /** Foreground probability 0..255, row-major, width×height. Transferred, not copied. */
  mask: Uint8Array;
  /** The part of the frame the mask covers, in frame pixels. */
  crop: Rect;
  /** Multi-class models only: each pixel's most likely class (or the ArgMax output), for per-class colours. */
  classMap?: Uint8Array;
}

export async function runSegment(
  ctx: PipelineContext,
  models: (key: string) => ModelInfo,
  frame: FrameImage,
  req: SegmentRequest,
): Promise<SegmentResult> {
  const model = models(req.segmenter);
  const { width, height } = inputSize(imageInput(model).spec);
  // The whole frame, stretched to the input as MediaPipe does, so the mask covers every pixel shown.
  const crop: Rect = { x: 0, y: 0, width: frame.width, height: frame.height };
  const { name, tensor } = frameToInput(ctx, model, frame, crop);
  const out = outputOf(model, await ctx.run(model, { [name]: tensor }));
  const pixels = width * height;
  const channels = out.data.length / pixels;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new CvError('model-output', `Mask output [${out.dims}] does not fit the ${width}×${height} input`);
  }
  const nchw = out.dims.length === 4 && out.dims[1] === channels && channels !== out.dims[3];
  if (channels > 1 || (out.integer && channels === 1)) {
    const { mask, classMap } = classMask(out.data, pixels, channels, nchw ? 'NCHW' : 'NHWC', !!out.integer && channels === 1, req.classes ?? null);
    return { width, height, foreground: foregroundShare(mask, req.threshold * 255), mask, crop, classMap };
  }
  const logits = channels === 1 && outsideUnit(out.data);
  const mask = maskToBytes(out.data, pixels, channels, nchw ? 'NCHW' : 'NHWC', logits);
  return { width, height, foreground: foregroundShare(mask, req.threshold * 255), mask, crop };
}
