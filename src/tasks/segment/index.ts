import type { MediapipeMasks } from '../../runtime/mediapipe-runtime.js';
import { inputSize } from '../shared/tensor-spec.js';
import { defineTask } from '../task.js';
import { foregroundShare, resampleMask } from './mask.js';
import { runSegment, type SegmentRequest, type SegmentResult } from './pipeline.js';

/**
 * MediaPipe's confidence masks as the ONNX path's result: person probability bytes on the model's input grid
 * (0 = the mask's own size). One mask per category; with several, category 0 is background.
 */
export function maskFromMediapipe(m: MediapipeMasks, width: number, height: number): { width: number; height: number; mask: Uint8Array } {
  if (!width || !height) [width, height] = [m.width, m.height];
  return { width, height, mask: resampleMask(m.masks[0]!, m.width, m.height, width, height, m.masks.length > 1) };
}

/** `<cv-segment>`: a person mask, composited in the worker on the element's canvas. */
export const segmentTask = defineTask<SegmentRequest, SegmentResult>({
  name: 'segment',
  async run(ctx, frame, req) {
    const mp = ctx.mediapipe(req.segmenter, 'segment');
    if (!mp) return runSegment(ctx, (key) => ctx.model(key), frame, req);
    const task = await mp;
    const spec = ctx.model(req.segmenter).input;
    const size = spec ? inputSize(spec) : { width: 0, height: 0 };
    const masks = ctx.timeRun(() => task.segment(frame.image as TexImageSource));
    const { width, height, mask } = maskFromMediapipe(masks, size.width, size.height);
    return { width, height, foreground: foregroundShare(mask, req.threshold * 255), mask, crop: { x: 0, y: 0, width: frame.width, height: frame.height } };
  },
  composite(ctx, frame, req, result) {
    const c = req.composite && ctx.compositor(req.composite.target);
    if (!c) return;
    c.setMask(result.mask, result.width, result.height, result.classMap);
    c.draw(frame.image as TexImageSource, frame.width, frame.height, req.composite!.effect, req.threshold, req.composite!.opacity);
  },
  transferables: (result) => (result.classMap ? [result.mask.buffer, result.classMap.buffer] : [result.mask.buffer]),
});
