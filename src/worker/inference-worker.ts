/// <reference lib="webworker" />
/**
 * The inference worker: owns the runtime, one session per model key (reference-counted by the page),
 * turns frames into tensors and results. The page never waits on it: it drops frames while a run is busy.
 */
import { CvError, toCvError } from '../errors.js';
import { cacheAvailable, fetchModel } from '../models/fetch-model.js';
import { armedFault, checkFrameUsable, handleTestHook, maskApis, stubNoGpuAdapter, watchDeviceLoss } from './worker-test-hooks.js';
import { browserName } from '../browser-name.js';
import { createMediapipeRuntime, type MediapipeFaceDetector, type MediapipeRuntime, type MediapipeSegmenter } from '../runtime/mediapipe-runtime.js';
import { createOrtRuntime } from '../runtime/ort-runtime.js';
import type { EngineName, InferenceRuntime, InferenceSession } from '../runtime/types.js';
import { detectFaces, runClassify } from '../tasks/classify/pipeline.js';
import { runLearn } from '../tasks/learn/pipeline.js';
import { headFor, learn } from './learn-store.js';
import { runGenerate } from '../tasks/generate/pipeline.js';
import { foregroundShare } from '../tasks/segment/mask.js';
import { runSegment, type SegmentRequest, type SegmentResult } from '../tasks/segment/pipeline.js';
import { createCompositor, type Compositor } from '../overlay/compositor.js';
import type { Rect } from '../tasks/shared/geometry.js';
import { type FrameImage, type ModelInfo, type PipelineContext } from '../tasks/shared/pipeline.js';
import { inputSize } from '../tasks/shared/tensor-spec.js';
import type { FromWorker, LoadSpec, PipelineResult, ToWorker, WorkerEnv } from './protocol.js';

/** What this worker's browser can do, for the page to pick its paths (sent with each load, after the cache was tried). */
const env = (): WorkerEnv => ({ videoFrame: typeof VideoFrame === 'function', cache: cacheAvailable() });

/** Every pipeline resamples frames on an OffscreenCanvas: without one in workers (Safari before 16.4) nothing can run. */
function requireOffscreenCanvas(): void {
  if (typeof OffscreenCanvas !== 'function') {
    throw new CvError('not-supported', `${browserName()} has no OffscreenCanvas in workers, which cv-elements needs to read frames; use a newer browser`);
  }
}

/** The shared clock: timeOrigin differs between the page and a worker, so instants are sent as absolute ms. */
const clock = () => performance.timeOrigin + performance.now();
/** Time spent inside the runtime, and resampling the frame, during the current job. */
const spent = { runMs: 0, resizeMs: 0 };

/** Runs synchronous `work` and adds its duration to `spent[part]`. */
function timed<T>(part: keyof typeof spent, work: () => T): T {
  const t = performance.now();
  try {
    return work();
  } finally {
    spent[part] += performance.now() - t;
  }
}

declare const self: DedicatedWorkerGlobalScope;

type MediapipeTask = { segment: MediapipeSegmenter; detect: MediapipeFaceDetector };
type Entry =
  | { kind: 'onnx'; session: Promise<InferenceSession>; info?: ModelInfo }
  | { kind: 'segment'; task: Promise<MediapipeSegmenter>; info?: ModelInfo }
  | { kind: 'detect'; task: Promise<MediapipeFaceDetector>; info?: ModelInfo };

let engine: EngineName | undefined;
let ortConfig: { assetBase: string | null; maxThreads: number } | undefined;
let runtime: Promise<InferenceRuntime> | undefined;
let assetBase: string | null = null;
let mediapipe: Promise<MediapipeRuntime> | undefined;
const sessions = new Map<string, Entry>();

/** onnxruntime-web: created at init for the ONNX engines; in a MediaPipe worker only when an ONNX model is loaded. */
function ortRuntime(): Promise<InferenceRuntime> {
  if (!ortConfig || !engine) throw new CvError('worker', 'The inference worker was used before it was initialised');
  runtime ??= createOrtRuntime(engine === 'webgpu' ? 'webgpu' : 'wasm', ortConfig.assetBase, ortConfig.maxThreads);
  return runtime;
}

function mediapipeRuntime(): Promise<MediapipeRuntime> {
  if (engine !== 'mediapipe') throw new CvError('backend-unavailable', 'MediaPipe models load only in the MediaPipe worker');
  mediapipe ??= createMediapipeRuntime(assetBase).catch((e) => {
    mediapipe = undefined;
    throw new CvError('backend-unavailable', `MediaPipe Tasks could not start: ${(e as Error).message}`);
  });
  return mediapipe;
}

async function mediapipeTask<K extends keyof MediapipeTask>(key: string, kind: K): Promise<MediapipeTask[K]> {
  const entry = sessions.get(key);
  if (!entry) throw new CvError('not-ready', `Model ${key} was released`);
  if (entry.kind !== kind) throw new CvError('model-invalid', `Model ${key} is not a MediaPipe ${kind} model`);
  return (await entry.task) as MediapipeTask[K];
}

async function segmentWithMediapipe(frame: FrameImage, req: SegmentRequest): Promise<SegmentResult> {
  const task = await mediapipeTask(req.segmenter, 'segment');
  const spec = modelInfo(req.segmenter).input;
  const size = spec ? inputSize(spec) : { width: 0, height: 0 };
  const { width, height, mask } = timed('runMs', () => task.segment(frame.image as TexImageSource, size.width, size.height));
  return { width, height, foreground: foregroundShare(mask, req.threshold * 255), mask, crop: { x: 0, y: 0, width: frame.width, height: frame.height } };
}
/**
 * `<cv-segment>` composites here, on the OffscreenCanvas its composite canvas handed over: the frame
 * the mask was made from is at hand, and the page's main thread does no GL work at all.
 */
const compositors = new Map<string, Compositor>();
/** A background that failed to apply, reported by the target's next snapshot. */
let testHooks = false;
/** Loads the page stopped waiting for: their bytes or session are dropped when they arrive. */
const cancelledLoads = new Set<number>();

function composite(frame: FrameImage, req: SegmentRequest, result: SegmentResult): void {
  const c = req.composite && compositors.get(req.composite.target);
  if (!c) return;
  c.setMask(result.mask, result.width, result.height);
  c.draw(frame.image as TexImageSource, frame.width, frame.height, req.composite!.effect, req.threshold, req.composite!.opacity);
}

/**
 * One resampling canvas per input size, kept: a face pipeline resamples to the detector's 128×128 and
 * the classifier's size every frame, and making a canvas and context each time cost ~5 ms a frame.
 */
const resamplers = new Map<string, OffscreenCanvasRenderingContext2D>();

const post = (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, transfer);

function pixels(frame: FrameImage, crop: Rect, width: number, height: number): Uint8ClampedArray {
  return timed('resizeMs', () => resample(frame, crop, width, height));
}

function resample(frame: FrameImage, crop: Rect, width: number, height: number): Uint8ClampedArray {
  const key = `${width}x${height}`;
  let ctx2d = resamplers.get(key);
  if (!ctx2d) {
    if (resamplers.size >= 8) resamplers.clear(); // sizes come from the loaded models: a handful at most
    ctx2d = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true })!;
    ctx2d.imageSmoothingQuality = 'high';
    resamplers.set(key, ctx2d);
  }
  ctx2d.clearRect(0, 0, width, height);
  ctx2d.drawImage(frame.image, crop.x, crop.y, crop.width, crop.height, 0, 0, width, height);
  return ctx2d.getImageData(0, 0, width, height).data;
}

const context: PipelineContext = {
  pixels,
  async run(model, feeds) {
    const entry = sessions.get(model.key);
    if (!entry) throw new CvError('not-ready', `Model ${model.key} was released`);
    if (entry.kind !== 'onnx') throw new CvError('model-invalid', `Model ${model.key} is a MediaPipe model, not an ONNX graph`);
    const session = await entry.session;
    const t = performance.now();
    try {
      return await session.run(feeds);
    } finally {
      spent.runMs += performance.now() - t; // asynchronous, so not through timed()
    }
  },
  async detectFaces(detector, frame) {
    if (sessions.get(detector.key)?.kind !== 'detect') return detectFaces(context, detector, frame);
    const task = await mediapipeTask(detector.key, 'detect');
    return timed('runMs', () => task.detect(frame.image as TexImageSource));
  },
};

function modelInfo(key: string): ModelInfo {
  const info = sessions.get(key)?.info;
  if (!info) throw new CvError('not-ready', `Model ${key} is not loaded`);
  return info;
}

/** Any fault as the protocol's error fields: a listed code (DOMExceptions by name), else `inference`. */
function errorOf(e: unknown): { code: CvError['code']; message: string } {
  const err = toCvError(e, 'inference');
  return { code: err.code, message: err.message };
}

/** Loads a .tflite model into a MediaPipe task (ImageSegmenter or FaceDetector, as the catalog's task says). */
async function loadMediapipe(id: number, key: string, spec: LoadSpec): Promise<void> {
  const t0 = performance.now();
  const rt = await mediapipeRuntime();
  const t1 = performance.now();
  const { bytes, fromCache, cached } = await fetchModel(spec.url, spec.sha256, (p) => post({ type: 'progress', id, ...p }));
  const t2 = performance.now();
  const kind = spec.task;
  if (kind !== 'segment' && kind !== 'detect') throw new CvError('backend-unavailable', `MediaPipe runs segmentation and face detection models; ${spec.url} is a "${kind}" model`);
  const task: Promise<MediapipeSegmenter | MediapipeFaceDetector> = kind === 'segment' ? rt.createSegmenter(bytes) : rt.createFaceDetector(bytes);
  const entry = { kind, task } as Entry;
  sessions.set(key, entry);
  try {
    await task;
  } catch (e) {
    sessions.delete(key);
    throw new CvError('model-invalid', `MediaPipe could not load ${spec.url}: ${(e as Error).message}`);
  }
  if (sessions.get(key) !== entry) {
    // Released while loading.
    (await task).close();
  }
  entry.info = { key, input: spec.input, labels: spec.labels, inputNames: [], outputNames: [], inputDims: {} };
  post({ type: 'loaded', id, key, threads: 1, fromCache, cached, inputNames: [], outputNames: [], timings: { runtimeMs: t1 - t0, fetchMs: t2 - t1, sessionMs: performance.now() - t2 }, env: env() });
}

// Runs are serialised: sessions are not re-entrant, and several elements may share this worker.
let chain: Promise<unknown> = Promise.resolve();
let creating: Promise<InferenceSession> = Promise.resolve(null as unknown as InferenceSession);

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
      testHooks = !!msg.testHooks;
      if (msg.testHooks?.noGpuAdapter) stubNoGpuAdapter();
      if (msg.testHooks?.masks) maskApis(msg.testHooks.masks);
      engine = msg.backend;
      assetBase = msg.assetBase;
      ortConfig = { assetBase, maxThreads: msg.maxThreads };
      if (engine !== 'mediapipe') ortRuntime().catch(() => {}); // reported on the first load
      return;
    case 'load': {
      try {
        requireOffscreenCanvas();
        if (msg.spec.format === 'tflite') {
          await loadMediapipe(msg.id, msg.key, msg.spec);
          return;
        }
        const t0 = performance.now();
        const rt = await ortRuntime();
        const t1 = performance.now();
        const { bytes, fromCache, cached } = await fetchModel(msg.spec.url, msg.spec.sha256, (p) => post({ type: 'progress', id: msg.id, ...p }));
        if (cancelledLoads.delete(msg.id)) return;
        const t2 = performance.now();
        // One session is created at a time: onnxruntime's WebGPU provider refuses a second creation while one
        // is in flight ("another WebGPU EP inference session is being created"), e.g. for roi="face".
        const session = (creating = creating.catch(() => {}).then(() => rt.createSession(bytes)));
        const entry: Entry = { kind: 'onnx', session };
        sessions.set(msg.key, entry);
        let s: InferenceSession;
        try {
          s = await session;
          if (engine === 'webgpu') void watchDeviceLoss(rt, (message) => post({ type: 'device-lost', message }));
        } catch (e) {
          sessions.delete(msg.key);
          throw new CvError('model-invalid', `onnxruntime could not load ${msg.spec.url}: ${(e as Error).message}`);
        }
        if (cancelledLoads.delete(msg.id)) {
          if (sessions.get(msg.key) === entry) sessions.delete(msg.key);
          await s.release().catch(() => {});
          return;
        }
        entry.info = {
          key: msg.key,
          input: msg.spec.input,
          labels: msg.spec.labels,
          inputNames: s.inputNames,
          outputNames: s.outputNames,
          inputDims: s.inputDims,
          ...(msg.spec.outputRange ? { outputRange: msg.spec.outputRange } : {}),
        };
        const timings = { runtimeMs: t1 - t0, fetchMs: t2 - t1, sessionMs: performance.now() - t2 };
        post({ type: 'loaded', id: msg.id, key: msg.key, threads: rt.threads, fromCache, cached, inputNames: [...s.inputNames], outputNames: [...s.outputNames], timings, env: env() });
      } catch (e) {
        post({ type: 'error', id: msg.id, ...errorOf(e) });
      }
      return;
    }
    case 'release': {
      const entry = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (!entry) return;
      if (entry.kind === 'onnx') chain = chain.then(() => entry.session.then((s) => s.release()).catch(() => {}));
      else chain = chain.then(() => (entry.task as Promise<{ close(): void }>).then((t) => t.close()).catch(() => {}));
      return;
    }
    case 'run': {
      const receivedAt = clock();
      const frame = msg.frame;
      const image: FrameImage =
        'displayWidth' in frame
          ? { image: frame, width: frame.displayWidth, height: frame.displayHeight }
          : { image: frame, width: frame.width, height: frame.height };
      const job = chain.then(async () => {
        const startedAt = clock();
        const t0 = performance.now();
        spent.runMs = 0;
        spent.resizeMs = 0;
        let compositeMs = 0;
        try {
          if (testHooks) checkFrameUsable(frame);
          let result: PipelineResult;
          const req = msg.request;
          if (req.task === 'classify') result = await runClassify(context, modelInfo, image, req);
          else if (req.task === 'learn') result = await runLearn(context, modelInfo, image, req, headFor(req.head));
          else if (req.task === 'segment') {
            result = sessions.get(req.segmenter)?.kind === 'segment' ? await segmentWithMediapipe(image, req) : await runSegment(context, modelInfo, image, req);
            const tc = performance.now();
            composite(image, req, result);
            compositeMs = performance.now() - tc;
          }
          else {
            const generated = await runGenerate(context, modelInfo, image, req);
            // Decoded here, so painting on the page is a drawImage per image (ESRGAN's 256×256 upscales cost
            // the page 2.5 ms a frame as putImageData).
            generated.bitmaps = await Promise.all(generated.images.map((px) => createImageBitmap(new ImageData(px as Uint8ClampedArray<ArrayBuffer>, generated.width, generated.height))));
            result = generated;
          }
          const transfer: Transferable[] = [];
          if ('mask' in result) transfer.push(result.mask.buffer);
          if ('images' in result) for (const img of result.images) transfer.push(img.buffer);
          if ('bitmaps' in result && result.bitmaps) transfer.push(...result.bitmaps);
          const inferenceMs = performance.now() - t0;
          const phases = { receivedAt, startedAt, postedAt: clock(), ...spent, pipelineMs: inferenceMs - spent.runMs - compositeMs, compositeMs };
          post({ type: 'result', id: msg.id, result, inferenceMs, phases }, transfer);
        } catch (e) {
          post({ type: 'error', id: msg.id, ...errorOf(e) });
        } finally {
          frame.close();
        }
      });
      chain = job;
      return;
    }
    case 'composite-attach': {
      try {
        compositors.get(msg.target)?.dispose();
        const c = createCompositor(msg.canvas);
        compositors.set(msg.target, c);
        post({ type: 'attached', id: msg.id, kind: c.kind, blur: c.blur });
      } catch (e) {
        post({ type: 'error', id: msg.id, code: 'backend-unavailable', message: `The mask cannot be drawn in the worker: ${(e as Error).message}` });
      }
      return;
    }
    case 'composite-background': {
      const c = compositors.get(msg.target);
      try {
        armedFault('background');
        if (c) c.setBackground(msg.background);
        else if (msg.background instanceof ImageBitmap) msg.background.close();
        post({ type: 'background-set', id: msg.id });
      } catch (e) {
        // The compositor keeps its old background; the element reports the fault (cv-error) and runs on.
        if (msg.background instanceof ImageBitmap) msg.background.close();
        post({ type: 'error', id: msg.id, ...errorOf(e) });
      }
      return;
    }
    case 'composite-detach':
      compositors.get(msg.target)?.dispose();
      compositors.delete(msg.target);
      return;
    case 'composite-snapshot': {
      try {
        armedFault('snapshot');
        const c = compositors.get(msg.target);
        const bitmap = c ? await c.snapshot() : null;
        post({ type: 'snapshot', id: msg.id, bitmap }, bitmap ? [bitmap] : []);
      } catch (e) {
        post({ type: 'error', id: msg.id, ...errorOf(e) });
      }
      return;
    }
    case 'ping':
      post({ type: 'pong', id: msg.id });
      return;
    case 'cancel-load':
      cancelledLoads.add(msg.id);
      return;
    case 'test':
      // Fault injection for the test suite; refused unless the page asked for hooks at init.
      if (testHooks) await handleTestHook(msg.action, runtime);
      return;
    case 'learn': {
      try {
        const value = await learn(msg.op, {
          context,
          modelInfo,
          runExclusive: (work) => {
            const job = chain.then(work);
            chain = job.catch(() => {});
            return job;
          },
          notify: (head, status) => post({ type: 'learn-progress', head, status }),
        });
        post({ type: 'learned', id: msg.id, value });
      } catch (e) {
        if (msg.op.op === 'add') msg.op.frame.close();
        post({ type: 'error', id: msg.id, ...errorOf(e) });
      }
      return;
    }
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) =>
  void handle(ev.data).catch((e) => {
    // Every request gets an answer, even from a branch that threw where nobody expected it.
    const id = (ev.data as { id?: number }).id;
    if (typeof id === 'number') post({ type: 'error', id, ...errorOf(e) });
  });
