/**
 * The one error type of cv-elements, and the closed list of codes `cv-error` can carry.
 * Every fault, on the page or in the worker, becomes a `CvError` with one of these codes before it
 * reaches a listener: a code is part of the public API, so a new one is added here and documented,
 * never spelled as a free string elsewhere.
 */
export const ERROR_CODES = [
  // camera and source
  'camera-denied', // the user or a policy refused the camera
  'camera-not-found', // no camera, or none matching the constraints
  'camera-unavailable', // the camera exists but could not start (in use, hardware fault)
  'camera-ended', // the camera stopped mid-stream (unplugged, revoked)
  'source-not-found', // the `source` selector matches nothing
  'source-unavailable', // the `source` element has no decodable frame yet, or failed to load
  'source-tainted', // the `source` is cross-origin without CORS, so its pixels cannot be read
  // models and catalog
  'model-not-found', // `src` is no catalog name and no usable URL
  'model-fetch', // the model could not be downloaded
  'integrity', // the downloaded bytes do not match the expected sha256
  'model-invalid', // the bytes are not a model the engine can load
  'model-input', // the model's inputs are not what the task needs
  'model-output', // the model gave outputs the task cannot read (shape, or non-finite values)
  'catalog-invalid', // the catalog is not a cv-elements catalog
  // runtime
  'backend-unavailable', // the engine or backend cannot run in this browser
  'inference', // a run failed
  'worker', // the inference worker died, hung or could not start; it is restarted
  'timeout', // a load, run or learn step did not finish in time
  'storage', // the browser refused storage (quota, blocked); the element keeps working uncached
  // attributes and API
  'bad-attribute', // an attribute value is invalid; the default is used
  'bad-argument', // a method got an invalid argument
  'not-ready', // a method needs a loaded model
  'no-frame', // a method needs a frame and none has arrived
  'not-supported', // the browser lacks what the method needs (e.g. MediaRecorder)
  // learning
  'no-examples',
  'head-mismatch',
  'head-invalid',
  'no-head-name',
  'no-face', // learn with roi="face": the captured frame shows no face to enrol
] as const;

export type CvErrorCode = (typeof ERROR_CODES)[number];

const CODES = new Set<string>(ERROR_CODES);

export function isErrorCode(code: unknown): code is CvErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/** An error with a stable machine-readable code, as carried by `cv-error`. */
export class CvError extends Error {
  constructor(
    readonly code: CvErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CvError';
  }
}

/**
 * DOMException names, mapped to our codes by name: never by their legacy numeric `code`
 * (18, 22, 0), which is what leaked into `cv-error` before.
 */
const DOM_EXCEPTION_CODES: Record<string, CvErrorCode> = {
  NotAllowedError: 'camera-denied',
  SecurityError: 'source-tainted',
  NotFoundError: 'camera-not-found',
  OverconstrainedError: 'camera-not-found',
  NotReadableError: 'camera-unavailable',
  AbortError: 'camera-unavailable',
  QuotaExceededError: 'storage',
  InvalidStateError: 'source-unavailable',
  SyntaxError: 'bad-attribute',
  TimeoutError: 'timeout',
  NotSupportedError: 'not-supported',
};

/**
 * Any thrown value as a CvError. A known string `code` is kept; a DOMException is mapped by name
 * (its numeric `code` is ignored); anything else gets `fallback`.
 */
export function toCvError(e: unknown, fallback: CvErrorCode = 'inference'): CvError {
  if (e instanceof CvError) return e;
  const err = e as { code?: unknown; name?: unknown; message?: unknown } | null | undefined;
  const message = typeof err?.message === 'string' && err.message ? err.message : String(e);
  if (isErrorCode(err?.code)) return new CvError(err.code, message);
  const byName = typeof err?.name === 'string' ? DOM_EXCEPTION_CODES[err.name] : undefined;
  return new CvError(byName ?? fallback, message);
}
