import { CvError } from '../errors.js';
import { FaceDetector, ImageSegmenter } from '@mediapipe/tasks-vision';
import { runtimeFile } from './runtime-files.js';
import type { MediapipeKind } from './types.js';

/**
 * MediaPipe Tasks (tasks-vision 0.10.35) as the second engine, inside the inference worker.
 *
 * Its JavaScript (`vision_bundle.mjs`) is bundled into the worker; the module flavour of the wasm glue
 * (`vision_wasm_module_internal.js`, which a module worker can `import()`; the classic glue needs `importScripts`)
 * and its wasm come from the package's own files (runtime-files.ts). Models are handed over as bytes
 * (`modelAssetBuffer`), so tasks-vision itself fetches nothing but its wasm.
 *
 * Privacy (checked in 0.10.35): the bundle's only `fetch(` calls load `modelAssetPath` and `initializeGraph`
 * URLs (we use neither); the emscripten glue fetches/XHRs only the wasm file it is pointed at; there is no
 * `sendBeacon`, WebSocket or hard-coded host (the http(s) strings are comments and protobuf type URLs).
 * The web-test-runner network guard checks this at run time.
 *
 * CPU delegate (XNNPACK inference). tasks-vision still makes a WebGL2 context on an OffscreenCanvas in this worker
 * for its image conversion and the segmenter's mask post-processing; the GPU inference delegate is not used
 * (not tried on a real GPU here: the test machine only has software GL).
 */
export interface MediapipeRuntime {
  createSegmenter(model: Uint8Array): Promise<MediapipeSegmenter>;
  createFaceDetector(model: Uint8Array): Promise<MediapipeFaceDetector>;
}

/** One confidence mask per category as MediaPipe gives it, copied out of its memory (the result is closed). */
export interface MediapipeMasks {
  width: number;
  height: number;
  masks: Float32Array[];
}

/** A detection in MediaPipe's own terms: its bounding box in frame pixels and its first category's score. */
export interface MediapipeDetection {
  originX: number;
  originY: number;
  width: number;
  height: number;
  score: number;
}

export interface MediapipeSegmenter {
  readonly kind: 'segment';
  segment(frame: TexImageSource): MediapipeMasks;
  close(): void;
}

export interface MediapipeFaceDetector {
  readonly kind: 'detect';
  detect(frame: TexImageSource): MediapipeDetection[];
  close(): void;
}

/** The engine object each MediaPipe kind is loaded as. */
export type MediapipeTaskOf<K extends MediapipeKind> = Extract<MediapipeSegmenter | MediapipeFaceDetector, { kind: K }>;

/** Makes the engine object for `kind`; the only place the kinds are mapped to tasks-vision classes. */
export function createMediapipeTask<K extends MediapipeKind>(rt: MediapipeRuntime, kind: K, model: Uint8Array): Promise<MediapipeTaskOf<K>> {
  const make = { segment: () => rt.createSegmenter(model), detect: () => rt.createFaceDetector(model) } satisfies Record<MediapipeKind, () => Promise<unknown>>;
  return make[kind]() as Promise<MediapipeTaskOf<K>>;
}

/** VIDEO running mode wants strictly increasing timestamps; frames from several elements share one clock. */
let lastTimestamp = 0;
function nextTimestamp(): number {
  lastTimestamp = Math.max(lastTimestamp + 1, Math.round(performance.now()));
  return lastTimestamp;
}

/**
 * tasks-vision's graphs ask for a GPU service (a WebGL2 context on an OffscreenCanvas) even on the CPU
 * delegate; without one every task fails to load with an INTERNAL "kGpuService" error that reads like a bad
 * model. Headless Firefox without a GPU and WebKitGTK (no WebGL on OffscreenCanvas) are such browsers.
 */
function checkWorkerWebgl2(): void {
  let gl: WebGL2RenderingContext | null = null;
  try {
    gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  } catch {
    gl = null;
  }
  if (!gl) throw new CvError('backend-unavailable', 'it needs WebGL2 on an OffscreenCanvas in a worker, which this browser does not offer; use backend="wasm" or "auto"');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
}

export async function createMediapipeRuntime(assetBase: string | null): Promise<MediapipeRuntime> {
  checkWorkerWebgl2();
  // An explicit fileset rather than FilesetResolver's folder: a folder is invisible to bundlers.
  // Every task instantiates its own wasm module from the glue's global `ModuleFactory`, and clears that global
  // afterwards. A module worker's `import()` of the glue runs it only once, so a second task would find no
  // factory: keep the glue's export and put it back before each task is created. The fileset then names no
  // loader, so tasks-vision never loads the glue itself (its importScripts-then-import() would fail in a worker
  // that a bundler turned into a classic one, as webpack does).
  const glue = (await import(/* @vite-ignore */ /* webpackIgnore: true */ runtimeFile('mediapipeGlue', assetBase))) as { default?: unknown };
  if (typeof glue.default !== 'function') throw new CvError('backend-unavailable', 'MediaPipe\'s wasm glue exported no module factory');
  const fileset = { wasmLoaderPath: '', wasmBinaryPath: runtimeFile('mediapipeBinary', assetBase) };
  const baseOptions = (model: Uint8Array) => ({ modelAssetBuffer: model, delegate: 'CPU' as const });
  const scope = self as unknown as { ModuleFactory?: unknown };
  // Creations are serialised so one task's clean-up cannot pull the factory from under another's start.
  let creating: Promise<unknown> = Promise.resolve();
  const withFactory = <T>(create: () => Promise<T>): Promise<T> => {
    const next = creating.catch(() => {}).then(() => {
      scope.ModuleFactory = glue.default;
      return create();
    });
    creating = next;
    return next;
  };

  return {
    async createSegmenter(model) {
      const task = await withFactory(() => ImageSegmenter.createFromOptions(fileset, {
        baseOptions: baseOptions(model),
        runningMode: 'VIDEO',
        outputConfidenceMasks: true,
        outputCategoryMask: false,
      }));
      return {
        kind: 'segment',
        segment(frame) {
          const result = task.segmentForVideo(frame, nextTimestamp());
          try {
            const masks = result.confidenceMasks;
            if (!masks?.length) throw new CvError('model-output', 'MediaPipe returned no confidence mask');
            return { width: masks[0]!.width, height: masks[0]!.height, masks: masks.map((m) => m.getAsFloat32Array().slice()) };
          } finally {
            result.close();
          }
        },
        close: () => task.close(),
      };
    },
    async createFaceDetector(model) {
      const task = await withFactory(() => FaceDetector.createFromOptions(fileset, { baseOptions: baseOptions(model), runningMode: 'VIDEO' }));
      return {
        kind: 'detect',
        detect(frame) {
          const r = task.detectForVideo(frame, nextTimestamp());
          return r.detections.flatMap((d) => (d.boundingBox ? [{ ...pick(d.boundingBox), score: d.categories[0]?.score ?? 0 }] : []));
        },
        close: () => task.close(),
      };
    },
  };
}

function pick(b: { originX: number; originY: number; width: number; height: number }) {
  return { originX: b.originX, originY: b.originY, width: b.width, height: b.height };
}
