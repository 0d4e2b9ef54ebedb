/// <reference lib="webworker" />
/**
 * The inference worker: owns the runtime, one session per model key (reference-counted by the page),
 * turns frames into tensors and results. The page never waits on it: it drops frames while a run is busy.
 */
import { fetchModel } from '../models/fetch-model.js';
import { createOrtRuntime } from '../runtime/ort-runtime.js';
import type { InferenceRuntime, InferenceSession } from '../runtime/types.js';
import { runClassify } from '../tasks/classify/pipeline.js';
import { runLearn } from '../tasks/learn/pipeline.js';
import { headFor, learn } from './learn-store.js';
import { runGenerate } from '../tasks/generate/pipeline.js';
import { runSegment } from '../tasks/segment/pipeline.js';
import type { Rect } from '../tasks/shared/geometry.js';
import type { FrameImage, ModelInfo, PipelineContext } from '../tasks/shared/pipeline.js';
import type { FromWorker, PipelineResult, ToWorker } from './protocol.js';

declare const self: DedicatedWorkerGlobalScope;

let runtime: Promise<InferenceRuntime> | undefined;
const sessions = new Map<string, { session: Promise<InferenceSession>; info?: ModelInfo }>();
let canvas: OffscreenCanvas | undefined;
let ctx2d: OffscreenCanvasRenderingContext2D | undefined;

const post = (msg: FromWorker, transfer: Transferable[] = []) => self.postMessage(msg, transfer);

function pixels(frame: FrameImage, crop: Rect, width: number, height: number): Uint8ClampedArray {
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    canvas = new OffscreenCanvas(width, height);
    ctx2d = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx2d.imageSmoothingQuality = 'high';
  }
  ctx2d!.clearRect(0, 0, width, height);
  ctx2d!.drawImage(frame.image, crop.x, crop.y, crop.width, crop.height, 0, 0, width, height);
  return ctx2d!.getImageData(0, 0, width, height).data;
}

const context: PipelineContext = {
  pixels,
  async run(model, feeds) {
    const entry = sessions.get(model.key);
    if (!entry) throw Object.assign(new Error(`Model ${model.key} was released`), { code: 'model-released' });
    return (await entry.session).run(feeds);
  },
};

function modelInfo(key: string): ModelInfo {
  const info = sessions.get(key)?.info;
  if (!info) throw Object.assign(new Error(`Model ${key} is not loaded`), { code: 'model-not-loaded' });
  return info;
}

function errorOf(e: unknown): { code: string; message: string } {
  const err = e as { code?: string; message?: string };
  return { code: err?.code ?? 'inference', message: err?.message ?? String(e) };
}

// Runs are serialised: sessions are not re-entrant, and several elements may share this worker.
let chain: Promise<unknown> = Promise.resolve();

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'init':
      runtime = createOrtRuntime(msg.backend, msg.ortBase, msg.maxThreads);
      runtime.catch(() => {}); // reported on the first load
      return;
    case 'load': {
      try {
        if (!runtime) throw new Error('worker used before init');
        const rt = await runtime;
        const { bytes, fromCache } = await fetchModel(msg.spec.url, msg.spec.sha256, (p) => post({ type: 'progress', id: msg.id, ...p }));
        const session = rt.createSession(bytes);
        const entry = { session } as { session: Promise<InferenceSession>; info?: ModelInfo };
        sessions.set(msg.key, entry);
        let s: InferenceSession;
        try {
          s = await session;
        } catch (e) {
          sessions.delete(msg.key);
          throw Object.assign(new Error(`onnxruntime could not load ${msg.spec.url}: ${(e as Error).message}`), { code: 'model-invalid' });
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
        post({ type: 'loaded', id: msg.id, key: msg.key, threads: rt.threads, fromCache, inputNames: [...s.inputNames], outputNames: [...s.outputNames] });
      } catch (e) {
        post({ type: 'error', id: msg.id, ...errorOf(e) });
      }
      return;
    }
    case 'release': {
      const entry = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (entry) chain = chain.then(() => entry.session.then((s) => s.release()).catch(() => {}));
      return;
    }
    case 'run': {
      const frame = msg.frame;
      const image: FrameImage =
        'displayWidth' in frame
          ? { image: frame, width: frame.displayWidth, height: frame.displayHeight }
          : { image: frame, width: frame.width, height: frame.height };
      const job = chain.then(async () => {
        const t0 = performance.now();
        try {
          let result: PipelineResult;
          const req = msg.request;
          if (req.task === 'classify') result = await runClassify(context, modelInfo, image, req);
          else if (req.task === 'learn') result = await runLearn(context, modelInfo, image, req, headFor(req.head));
          else if (req.task === 'segment') result = await runSegment(context, modelInfo, image, req);
          else result = await runGenerate(context, modelInfo, image, req);
          const transfer: Transferable[] = [];
          if ('mask' in result) transfer.push(result.mask.buffer);
          if ('images' in result) for (const img of result.images) transfer.push(img.buffer);
          post({ type: 'result', id: msg.id, result, inferenceMs: performance.now() - t0 }, transfer);
        } catch (e) {
          post({ type: 'error', id: msg.id, ...errorOf(e) });
        } finally {
          frame.close();
        }
      });
      chain = job;
      return;
    }
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

self.onmessage = (ev: MessageEvent<ToWorker>) => void handle(ev.data);
