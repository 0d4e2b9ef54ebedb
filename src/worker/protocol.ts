import type { ClassifyRequest, ClassifyResult } from '../tasks/classify/pipeline.js';
import type { GenerateRequest, GenerateResult } from '../tasks/generate/pipeline.js';
import type { SegmentRequest, SegmentResult } from '../tasks/segment/pipeline.js';
import type { ImageInputSpec } from '../tasks/shared/tensor-spec.js';
import type { EngineName } from '../runtime/types.js';

export type PipelineRequest = ClassifyRequest | SegmentRequest | GenerateRequest;
export type PipelineResult = ClassifyResult | SegmentResult | GenerateResult;

/** What the page asks a model to be loaded with. */
export interface LoadSpec {
  url: string;
  sha256: string | null;
  input: ImageInputSpec | null;
  labels: string[] | null;
  outputRange?: [number, number];
  /** `tflite`: a MediaPipe Tasks model (mediapipe workers only), run as the catalog task says. */
  format?: 'onnx' | 'tflite';
  task?: 'segment' | 'detect';
}

export type ToWorker =
  | { type: 'init'; backend: EngineName; ortBase: string; mediapipeBase: string; maxThreads: number }
  | { type: 'load'; id: number; key: string; spec: LoadSpec }
  | { type: 'release'; key: string }
  | { type: 'run'; id: number; request: PipelineRequest; frame: ImageBitmap | VideoFrame };

export type FromWorker =
  | { type: 'progress'; id: number; loaded: number; total: number }
  | { type: 'loaded'; id: number; key: string; threads: number; fromCache: boolean; inputNames: string[]; outputNames: string[] }
  | { type: 'result'; id: number; result: PipelineResult; inferenceMs: number }
  | { type: 'error'; id: number; code: string; message: string };
