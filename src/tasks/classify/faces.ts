import type { MediapipeDetection } from '../../runtime/mediapipe-runtime.js';
import type { Rect } from '../shared/geometry.js';
import type { FrameImage, ModelInfo } from '../shared/pipeline.js';
import type { TaskContext } from '../task.js';
import { detectFaces } from './pipeline.js';

/** MediaPipe's detections as faces in frame pixels, best first. */
export function facesFromMediapipe(detections: MediapipeDetection[]): Array<{ box: Rect; score: number }> {
  return detections
    .map((d) => ({ box: { x: d.originX, y: d.originY, width: d.width, height: d.height }, score: d.score }))
    .sort((a, b) => b.score - a.score);
}

/**
 * The one place that decides which engine finds faces: MediaPipe's FaceDetector when the detector was
 * loaded into it (backend="mediapipe"), else BlazeFace on onnxruntime.
 */
export async function findFaces(ctx: TaskContext, detector: ModelInfo, frame: FrameImage): Promise<Array<{ box: Rect; score: number }>> {
  const mp = ctx.mediapipe(detector.key, 'detect');
  if (!mp) return detectFaces(ctx, detector, frame);
  const task = await mp;
  return facesFromMediapipe(ctx.timeRun(() => task.detect(frame.image as TexImageSource)));
}
