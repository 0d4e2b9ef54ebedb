import { CvError } from '../errors.js';
import { FaceDetector, ImageSegmenter } from '@mediapipe/tasks-vision';
import { runtimeFile } from './runtime-files.js';
import type { Rect } from '../tasks/shared/geometry.js';

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

export interface MediapipeSegmenter {
  /** Person probability over the whole frame as bytes 0..255, resampled to width×height (0 = the mask's own size). */
  segment(frame: TexImageSource, width: number, height: number): { width: number; height: number; mask: Uint8Array };
  close(): void;
}

export interface MediapipeFaceDetector {
  /** Faces in frame pixels. */
  detect(frame: TexImageSource): Array<{ box: Rect; score: number }>;
  close(): void;
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
        segment(frame, width, height) {
          const result = task.segmentForVideo(frame, nextTimestamp());
          try {
            const masks = result.confidenceMasks;
            if (!masks?.length) throw new CvError('model-output', 'MediaPipe returned no confidence mask');
            // One mask per category; the selfie models have one (person). With several, category 0 is background.
            const m = masks[0]!;
            const data = m.getAsFloat32Array();
            if (!width || !height) [width, height] = [m.width, m.height];
            return { width, height, mask: resampleMask(data, m.width, m.height, width, height, masks.length > 1) };
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
        detect(frame) {
          const r = task.detectForVideo(frame, nextTimestamp());
          return r.detections
            .filter((d) => d.boundingBox)
            .map((d) => {
              const b = d.boundingBox!;
              return { box: { x: b.originX, y: b.originY, width: b.width, height: b.height }, score: d.categories[0]?.score ?? 0 };
            })
            .sort((a, b) => b.score - a.score);
        },
        close: () => task.close(),
      };
    },
  };
}

/**
 * Bilinear resample (half-pixel centres) of a probability mask to w×h bytes, so results have the size of the
 * ONNX path's (the model's input grid) whatever the frame size. `inverse` turns a background mask into person.
 */
export function resampleMask(src: Float32Array, sw: number, sh: number, w: number, h: number, inverse = false): Uint8Array {
  const out = new Uint8Array(w * h);
  const sx = sw / w, sy = sh / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), sh - 1);
    const y0 = Math.floor(fy), y1 = Math.min(y0 + 1, sh - 1), wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), sw - 1);
      const x0 = Math.floor(fx), x1 = Math.min(x0 + 1, sw - 1), wx = fx - x0;
      const top = src[y0 * sw + x0]! * (1 - wx) + src[y0 * sw + x1]! * wx;
      const bottom = src[y1 * sw + x0]! * (1 - wx) + src[y1 * sw + x1]! * wx;
      let p = top * (1 - wy) + bottom * wy;
      if (inverse) p = 1 - p;
      out[y * w + x] = Math.round(Math.min(1, Math.max(0, p)) * 255);
    }
  }
  return out;
}
