import type { ClassifyResult } from '../classify/pipeline.js';
import { findFaces } from '../classify/faces.js';
import { defineTask } from '../task.js';
import { runLearn, type LearnRequest } from './pipeline.js';

/** `<cv-classify learn>` predictions: the backbone's features through the element's learned head (with roi="face", each face's identity through the enrolled people). */
export const learnTask = defineTask<LearnRequest, ClassifyResult>({
  name: 'learn',
  run: (ctx, frame, req) => runLearn(ctx, (key) => ctx.model(key), frame, req, ctx.head(req.head), (detector) => findFaces(ctx, detector, frame)),
  transferables: () => [],
});
