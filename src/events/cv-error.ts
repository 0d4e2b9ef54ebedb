/**
 * A fault the element could not hide. The element keeps what it had (last model, last result) and
 * recovers by itself once the cause is fixed (an attribute changes, the camera is allowed, the image loads).
 *
 * Codes: `camera-denied`, `camera-not-found`, `camera-unavailable`, `source-not-found`, `source-unavailable`,
 * `model-not-found`, `model-fetch`, `integrity`, `model-invalid`, `model-input`, `model-output`,
 * `backend-unavailable`, `bad-attribute`, `inference`, `worker`; with `learn`: `no-examples` (predicting,
 * training or exporting before any example), `head-mismatch` (importing a head trained on another
 * backbone), `head-invalid`, `no-head-name` (saveHead without `head-name` or `id`), `not-ready`,
 * `no-frame`, `bad-argument`.
 */
export interface CvErrorDetail {
  code: string;
  message: string;
}
export type CvErrorEvent = CustomEvent<CvErrorDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-error': CvErrorEvent;
  }
}

/** An error with a stable machine-readable code, as carried by `cv-error`. */
export class CvError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CvError';
  }
}

/** Any thrown value as a CvError, keeping a `code` it already had. */
export function toCvError(e: unknown, fallbackCode = 'inference'): CvError {
  if (e instanceof CvError) return e;
  const err = e as { code?: unknown; message?: unknown };
  return new CvError(typeof err?.code === 'string' ? err.code : fallbackCode, typeof err?.message === 'string' ? err.message : String(e));
}
