// Every tag (registered on import) and its result type: generated from the element folders' manifest.
export * from './elements/tags.generated.js';
export { CvElement } from './elements/cv-element.js';
export type { CvStats } from './elements/cv-element.js';
export { setAssetBase } from './asset-base.js';
export type { TrainResult } from './elements/cv-classify/cv-classify.component.js';
export type { CvErrorDetail, CvErrorEvent } from './events/cv-error.js';
export { CvError, ERROR_CODES, type CvErrorCode } from './events/cv-error.js';
export type { CvBackendChangeDetail, CvBackendChangeEvent } from './events/cv-backend-change.js';
export type { CvLearnDetail, CvLearnEvent } from './events/cv-learn.js';
export type { CvProgressDetail, CvProgressEvent } from './events/cv-progress.js';
export type { CvPaths, CvReadyDetail, CvReadyEvent } from './events/cv-ready.js';
export type { BlurPath } from './overlay/blur-fallback.js';
export type { CvResultBase, CvResultEvent } from './events/cv-result.js';
export type { Catalog, CatalogEntry, Precision } from './models/catalog.js';
export type { Label } from './tasks/classify/labels.js';
export type { HeadFile } from './tasks/learn/head.js';
export { InferenceClient } from './page/worker-client.js';
export { setStrings, stringsFor, DEFAULT_STRINGS, type CvStrings } from './i18n/strings.js';
export type { RecordOptions } from './controllers/recorder-controller.js';
export { liveCameraStreams } from './page/camera-hub.js';
// Per-tag attribute, property and event types (CvSegmentEventMap …), generated from custom-elements.json.
export type * from './frameworks/elements.generated.js';
