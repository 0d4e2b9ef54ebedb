/**
 * A fault the element could not hide. The element keeps what it had (last model, last result) and
 * recovers by itself once the cause is fixed (an attribute changes, the camera is allowed, the image loads).
 *
 * `code` is one of `ERROR_CODES` in `src/errors.ts`, which documents each; the type is closed, so a
 * listener can switch on it exhaustively.
 */
import type { CvErrorCode } from '../errors.js';

export { CvError, ERROR_CODES, isErrorCode, toCvError, type CvErrorCode } from '../errors.js';

export interface CvErrorDetail {
  code: CvErrorCode;
  message: string;
}
export type CvErrorEvent = CustomEvent<CvErrorDetail>;
declare global {
  interface HTMLElementEventMap {
    'cv-error': CvErrorEvent;
  }
}
