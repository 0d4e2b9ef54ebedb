/** Every model the element needs is loaded and the first frame can run. */
export interface CvReadyDetail {
  model: string;
  backend: 'wasm' | 'webgpu' | 'mediapipe';
  /** wasm threads (1 without cross-origin isolation). */
  threads: number;
  /** Milliseconds from the start of the load to ready. */
  loadMs: number;
  /** Which file variant runs: int8, fp16, fp32, or null for a URL `src`. */
  precision: string | null;
  fromCache: boolean;
  /**
   * Every model is stored in the Cache API for the next load. false when storage failed (quota, blocked):
   * the element runs uncached, with a console warning, and no cv-error (nothing is wrong with what runs).
   */
  cached: boolean;
  /**
   * Where `loadMs` went, ms: resolving the backend and catalog on the page, then in the worker starting the
   * runtime, fetching and checking the model bytes, and creating the session (the slowest model's, when
   * several load side by side).
   */
  timings: { resolveMs: number; runtimeMs: number; fetchMs: number; sessionMs: number };
}
export type CvReadyEvent = CustomEvent<CvReadyDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-ready': CvReadyEvent;
  }
}
