/**
 * The element moved to another engine by itself: with `backend="auto"`, WebGPU failed (its device was
 * lost, it would not start, or it could not create a session) and the element now runs on WASM.
 * Results resume on the new backend without anything to do; `cv-ready` follows.
 */
export interface CvBackendChangeDetail {
  from: 'wasm' | 'webgpu' | 'mediapipe';
  to: 'wasm' | 'webgpu' | 'mediapipe';
  /** What went wrong, in words. */
  reason: string;
}
export type CvBackendChangeEvent = CustomEvent<CvBackendChangeDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-backend-change': CvBackendChangeEvent;
  }
}
