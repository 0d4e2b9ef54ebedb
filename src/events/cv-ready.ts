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
  /** Which path each browser-dependent step takes here (see {@link CvPaths} and docs/browsers.md). */
  paths: CvPaths;
}

/**
 * The path each browser-dependent step takes in this browser, so users and tests can see which fallback
 * ran (docs/browsers.md lists them per engine). Also `element.paths`.
 */
export interface CvPaths {
  /** The browser, short: "Chromium 156", "Firefox 153", "Safari 18.4", "WebKitGTK". */
  engine: string;
  /**
   * How a video source is paced: `video-frame-callback` (requestVideoFrameCallback), or `animation-frame`
   * (requestAnimationFrame, running only when the video's currentTime moved, so no frame runs twice).
   */
  frames: 'video-frame-callback' | 'animation-frame';
  /**
   * How a video frame goes to the worker: `video-frame` (a VideoFrame, no copy), `image-bitmap`
   * (createImageBitmap, where VideoFrame is missing on the page or in the worker), or `canvas` (drawn on a
   * canvas first, where createImageBitmap refuses the video). Images and canvases always go as `image-bitmap`.
   */
  capture: 'video-frame' | 'image-bitmap' | 'canvas';
  /** wasm threads (1 without cross-origin isolation or SharedArrayBuffer, and for MediaPipe). */
  threads: number;
  /** `cache-api`: models are kept in the Cache API; `none`: it is missing or refused (insecure context, private mode), models load uncached. */
  cache: 'cache-api' | 'none';
  /**
   * `<cv-segment>` only: where and how the effect is drawn: in the worker on a handed-over canvas
   * (`worker-webgl`, `worker-2d`), or on the page where a canvas cannot be handed over (`page-webgl`, `page-2d`).
   * `2d` is used where WebGL2 is missing or software-rendered.
   */
  compositing?: 'worker-webgl' | 'worker-2d' | 'page-webgl' | 'page-2d';
  /** `<cv-segment>` only: how `effect="blur"` blurs: a `webgl` mip chain, the 2D canvas `filter` (`canvas-filter`), or a `downscale` chain where `filter` is missing (Safari). */
  blur?: 'webgl' | 'canvas-filter' | 'downscale';
}
export type CvReadyEvent = CustomEvent<CvReadyDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-ready': CvReadyEvent;
  }
}
