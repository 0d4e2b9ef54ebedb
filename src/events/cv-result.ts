/** Fields every `cv-result` carries; each element adds its task's result (labels, mask, images). */
export interface CvResultBase {
  /** Running count of frames that produced a result. */
  frame: number;
  /** performance.now() when the frame was captured. */
  timestamp: number;
  /** Capture to overlay painted, in ms. */
  latencyMs: number;
  /** Time spent in the worker: preprocessing, inference, postprocessing. */
  inferenceMs: number;
}
export type CvResultEvent<T = unknown> = CustomEvent<CvResultBase & T>;
declare global {
  interface HTMLElementEventMap {
    'cv-result': CvResultEvent;
  }
}
