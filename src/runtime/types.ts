/** The one interface every inference engine sits behind. Nothing here touches the DOM. */

export type BackendName = 'wasm' | 'webgpu';

/** An inference worker's engine: onnxruntime-web's backends, or MediaPipe Tasks (which also hosts ORT WASM for
 * the ONNX models a MediaPipe pipeline still needs, such as the expression classifier). */
export type EngineName = BackendName | 'mediapipe';

/** What a model can be loaded into MediaPipe Tasks as: an ImageSegmenter or a FaceDetector. Spelled here only. */
export type MediapipeKind = 'segment' | 'detect';

export interface Tensor {
  data: Float32Array;
  dims: number[];
  /** The graph gave integers (e.g. ArgMax class indices), converted to float here. */
  integer?: boolean;
}

export interface InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Static input dims when the graph declares them (free dims as -1). */
  readonly inputDims: Readonly<Record<string, number[]>>;
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

export interface InferenceRuntime {
  readonly backend: BackendName;
  /** wasm threads in use (1 without cross-origin isolation). */
  readonly threads: number;
  createSession(model: Uint8Array): Promise<InferenceSession>;
  /** The WebGPU device sessions run on, once one exists (webgpu only): watched for loss. */
  gpuDevice?(): Promise<GPUDevice | null>;
}
