import { defineTask } from '../task.js';
import { findFaces } from './faces.js';
import { runClassify, type ClassifyRequest, type ClassifyResult } from './pipeline.js';

/** `<cv-classify>`: labels for the frame, or for each face with roi="face". */
export const classifyTask = defineTask<ClassifyRequest, ClassifyResult>({
  name: 'classify',
  run: (ctx, frame, req) => runClassify(ctx, (key) => ctx.model(key), frame, req, (detector) => findFaces(ctx, detector, frame)),
  transferables: () => [],
});
