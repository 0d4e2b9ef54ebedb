import type { CvErrorCode } from '../errors.js';
import type { TestAction, WorkerMask } from './worker-test-hooks.js';
import type { BlurPath } from '../overlay/blur-fallback.js';

export type { TestAction };
import type { HeadFile, TrainSummary } from '../tasks/learn/head.js';
import type { TaskRequest, TaskResult } from '../tasks/registry.js';
import type { ImageInputSpec } from '../tasks/shared/tensor-spec.js';
import type { EngineName, MediapipeKind } from '../runtime/types.js';

/** A frame's request and result, for whichever task of the registry it names. */
export type PipelineRequest = TaskRequest;
export type PipelineResult = TaskResult;

/**
 * Where a frame's time went in the worker. Instants are on the shared clock (timeOrigin + now), so
 * the page can put them next to its own; durations are in ms.
 */
export interface WorkerPhases {
  /** When the frame reached the worker, started (after earlier work), and its result left. */
  receivedAt: number;
  startedAt: number;
  postedAt: number;
  /** Inside the model runtime (onnxruntime's session.run, or MediaPipe's task). */
  runMs: number;
  /** Pre- and post-processing around it: resize, tensor conversion, decoding. */
  pipelineMs: number;
  /** The part of pipelineMs spent cropping and resampling the frame to the model's input. */
  resizeMs: number;
  /** Drawing the composite (`<cv-segment>` in the worker). */
  compositeMs: number;
}

/** Where a model load's time went in the worker, ms: starting the runtime (shared), fetching and checking the bytes, creating the session. */
export interface LoadTimings {
  runtimeMs: number;
  fetchMs: number;
  sessionMs: number;
}

/** What the worker's browser can do, where it differs by engine (sent with every load). */
export interface WorkerEnv {
  /** `VideoFrame` exists in the worker, so the page may send frames as VideoFrames. */
  videoFrame: boolean;
  /** The Cache API opened (false: missing, as in an insecure context, or refused, as in private modes). */
  cache: boolean;
}

/** What the page asks a model to be loaded with. */
export interface LoadSpec {
  url: string;
  sha256: string | null;
  input: ImageInputSpec | null;
  labels: string[] | null;
  outputRange?: [number, number];
  /** `tflite`: a MediaPipe Tasks model (mediapipe workers only), run as the catalog task says. */
  format?: 'onnx' | 'tflite';
  task?: MediapipeKind;
}

/** Where a learned head stands, as the worker reports it after each operation and training chunk. */
export interface LearnStatus {
  /** Captured frames per class (each embedded in several augmented views). */
  counts: Record<string, number>;
  /** Embedded views in all. */
  examples: number;
  /** The current weights' last training, or null before any. */
  trained: TrainSummary | null;
  /** True while a training run continues after this report. */
  training?: boolean;
  /** For `add`: the class and its new count of captured frames. */
  label?: string;
  count?: number;
  /** For `open`: whether a saved head was found. */
  restored?: boolean;
  /** For `open`: why a saved head was found unreadable and removed (reported as `head-invalid`). */
  discarded?: string;
}

/** Operations on an element's learned head, all answered with a LearnStatus (export: a HeadFile). */
export type LearnOp =
  /** `detector`: face recognition; examples are the largest face's identity, the head is nearest-centroid. */
  | { op: 'open'; head: string; backbone: { key: string; name: string; sha256: string | null }; storeKey: string | null; detector?: string }
  | { op: 'add'; head: string; label: string; frame: ImageBitmap }
  | { op: 'clear'; head: string; label?: string }
  /** Forgets examples and weights, and deletes the saved copy. */
  | { op: 'forget'; head: string }
  | { op: 'train'; head: string }
  | { op: 'save'; head: string }
  | { op: 'export'; head: string }
  | { op: 'import'; head: string; file: HeadFile }
  | { op: 'close'; head: string };

export type ToWorker =
  | { type: 'init'; backend: EngineName; assetBase: string | null; maxThreads: number; testHooks?: { noGpuAdapter: boolean; masks?: WorkerMask[] } }
  | { type: 'load'; id: number; key: string; spec: LoadSpec }
  | { type: 'release'; key: string }
  | { type: 'run'; id: number; request: PipelineRequest; frame: ImageBitmap | VideoFrame }
  | { type: 'learn'; id: number; op: LearnOp }
  | { type: 'composite-attach'; id: number; target: string; canvas: OffscreenCanvas }
  | { type: 'composite-background'; id: number; target: string; background: ImageBitmap | [number, number, number] }
  | { type: 'composite-detach'; target: string }
  | { type: 'composite-snapshot'; id: number; target: string }
  /** Liveness probe: answered at once by a worker whose message loop runs. */
  | { type: 'ping'; id: number }
  /** The page gave up on a load (no progress): drop its bytes or session instead of keeping them. */
  | { type: 'cancel-load'; id: number }
  /** Fault injection, honoured only when init had testHooks (see worker-test-hooks.ts). */
  | { type: 'test'; action: TestAction };

export type FromWorker =
  | { type: 'progress'; id: number; loaded: number; total: number }
  | { type: 'loaded'; id: number; key: string; threads: number; fromCache: boolean; cached: boolean; inputNames: string[]; outputNames: string[]; timings: LoadTimings; env: WorkerEnv }
  | { type: 'result'; id: number; result: PipelineResult; inferenceMs: number; phases: WorkerPhases }
  | { type: 'learned'; id: number; value: LearnStatus | HeadFile }
  | { type: 'learn-progress'; head: string; status: LearnStatus }
  | { type: 'attached'; id: number; kind: 'webgl2' | '2d'; blur: BlurPath }
  | { type: 'snapshot'; id: number; bitmap: ImageBitmap | null }
  | { type: 'background-set'; id: number }
  | { type: 'pong'; id: number }
  /** The WebGPU device was lost: every session on it is gone. */
  | { type: 'device-lost'; message: string }
  | { type: 'error'; id: number; code: CvErrorCode; message: string };
