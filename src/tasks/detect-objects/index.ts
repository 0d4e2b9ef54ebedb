import { frameToInput } from '../shared/image-input.js';
import { imageInput, outputOf } from '../shared/pipeline.js';
import { inputSize } from '../shared/tensor-spec.js';
import { defineTask } from '../task.js';
import { decodeObjects, type DetectedObject } from './objects.js';

export type { DetectedObject } from './objects.js';

export interface DetectObjectsRequest {
  task: 'detect-objects';
  /** Worker key of the detector (a model whose output is decoded rows [x1, y1, x2, y2, score, class]). */
  detector: string;
  threshold: number;
  maxResults: number;
  /** Only these labels; null for all. */
  labels: string[] | null;
}

export interface DetectObjectsResult {
  /** Best first, boxes in frame pixels. */
  objects: DetectedObject[];
}

/** `<cv-detect>`: objects in the frame, stretched whole onto the detector's input as CenterNet was trained. */
export const detectObjectsTask = defineTask<DetectObjectsRequest, DetectObjectsResult>({
  name: 'detect-objects',
  async run(ctx, frame, req) {
    const model = ctx.model(req.detector);
    const input = inputSize(imageInput(model).spec);
    const { name, tensor } = frameToInput(ctx, model, frame, { x: 0, y: 0, width: frame.width, height: frame.height });
    const out = outputOf(model, await ctx.run(model, { [name]: tensor }));
    const objects = decodeObjects(out.data, out.dims, model.labels, input, frame, { threshold: req.threshold, maxResults: req.maxResults, labels: req.labels });
    return { objects };
  },
  transferables: () => [],
});
