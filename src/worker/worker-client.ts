import { assetBase } from '../asset-base.js';
import { CvError } from '../events/cv-error.js';
import { probe } from '../page/resources.js';
import { workerScriptUrl } from '../page/trusted-types.js';
import type { EngineName } from '../runtime/types.js';
import type { HeadFile } from '../tasks/learn/head.js';
import type { FromWorker, LearnOp, LearnStatus, LoadSpec, LoadTimings, PipelineRequest, PipelineResult, ToWorker, WorkerPhases } from './protocol.js';

export interface RunAnswer {
  result: PipelineResult;
  inferenceMs: number;
  phases: WorkerPhases;
}


export interface LoadedModel {
  key: string;
  threads: number;
  fromCache: boolean;
  inputNames: string[];
  outputNames: string[];
  timings: LoadTimings;
}

type Pending = {
  resolve: (v: never) => void;
  reject: (e: CvError) => void;
  onProgress?: (loaded: number, total: number) => void;
};

/**
 * The page side of one inference worker. There is one per backend per page, shared by every element;
 * sessions inside it are keyed by model and reference-counted, so two elements on one model share it.
 */
export class InferenceClient {
  private static clients = new Map<EngineName, InferenceClient>();

  static for(backend: EngineName): InferenceClient {
    let c = InferenceClient.clients.get(backend);
    if (!c) InferenceClient.clients.set(backend, (c = new InferenceClient(backend)));
    return c;
  }

  /** Sessions open in any worker, by key: what tests and devtools read to see nothing leaks. */
  static openSessions(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of InferenceClient.clients.values()) for (const [k, m] of c.models) out[`${c.backend}:${k}`] = m.refs;
    return out;
  }

  static {
    // The resource accounting reads open sessions (by reference) and live workers from here.
    probe('session', () => Object.values(InferenceClient.openSessions()).reduce((a, b) => a + b, 0));
    probe('worker', () => InferenceClient.clients.size);
  }

  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private models = new Map<string, { refs: number; loaded: Promise<LoadedModel>; progress: Set<(l: number, t: number) => void> }>();
  private learnListeners = new Map<string, (status: LearnStatus) => void>();

  private constructor(readonly backend: EngineName) {
    this.worker = new Worker(workerScriptUrl(new URL('./inference-worker.js', import.meta.url)), { type: 'module', name: `cv-elements-${backend}` });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      const err = new CvError('worker', `The inference worker failed: ${ev.message || 'could not start'}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    const maxThreads = Math.min(4, navigator.hardwareConcurrency || 2);
    this.post({ type: 'init', backend, assetBase: assetBase(), maxThreads });
  }

  private post(msg: ToWorker, transfer: Transferable[] = []) {
    this.worker.postMessage(msg, transfer);
  }

  private receive(msg: FromWorker) {
    if (msg.type === 'learn-progress') {
      this.learnListeners.get(msg.head)?.(msg.status);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.onProgress?.(msg.loaded, msg.total);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.type === 'error') p.reject(new CvError(msg.code, msg.message));
    else if (msg.type === 'loaded') (p.resolve as (v: LoadedModel) => void)(msg);
    else if (msg.type === 'learned') (p.resolve as (v: unknown) => void)(msg.value);
    else if (msg.type === 'attached') (p.resolve as (v: 'webgl2' | '2d') => void)(msg.kind);
    else if (msg.type === 'snapshot') (p.resolve as (v: ImageBitmap | null) => void)(msg.bitmap);
    else (p.resolve as (v: RunAnswer) => void)({ result: msg.result, inferenceMs: msg.inferenceMs, phases: msg.phases });
  }

  private request<T>(build: (id: number) => ToWorker, transfer: Transferable[] = [], onProgress?: Pending['onProgress']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, ...(onProgress ? { onProgress } : {}) });
      this.post(build(id), transfer);
    });
  }

  /** Loads (or shares) a model. Every successful call must be paired with one `release(key)`. */
  load(key: string, spec: LoadSpec, onProgress?: (loaded: number, total: number) => void): Promise<LoadedModel> {
    let m = this.models.get(key);
    if (!m) {
      const progress = new Set<(l: number, t: number) => void>();
      const loaded = this.request<LoadedModel>((id) => ({ type: 'load', id, key, spec }), [], (l, t) => progress.forEach((f) => f(l, t)));
      m = { refs: 0, loaded, progress };
      this.models.set(key, m);
      loaded.catch(() => this.models.get(key) === m && this.models.delete(key));
    }
    m.refs++;
    if (onProgress) m.progress.add(onProgress);
    const entry = m;
    return entry.loaded.finally(() => onProgress && entry.progress.delete(onProgress));
  }

  release(key: string): void {
    const m = this.models.get(key);
    if (!m || --m.refs > 0) return;
    this.models.delete(key);
    this.post({ type: 'release', key });
  }

  /**
   * An operation on a learned head in the worker (`add` transfers its frame). Resolves with the head's
   * status, or the head file for `export`.
   */
  learn(op: Exclude<LearnOp, { op: 'export' }>): Promise<LearnStatus>;
  learn(op: Extract<LearnOp, { op: 'export' }>): Promise<HeadFile>;
  learn(op: LearnOp): Promise<LearnStatus | HeadFile> {
    return this.request((id) => ({ type: 'learn', id, op }), op.op === 'add' ? [op.frame] : []);
  }

  /** Receives a head's training progress (null stops). */
  onLearnProgress(head: string, listener: ((status: LearnStatus) => void) | null): void {
    if (listener) this.learnListeners.set(head, listener);
    else this.learnListeners.delete(head);
  }

  /** Hands a canvas's drawing to the worker (`<cv-segment>`'s composite); rejects when it cannot draw there. */
  attachCompositor(target: string, canvas: OffscreenCanvas): Promise<'webgl2' | '2d'> {
    return this.request((id) => ({ type: 'composite-attach', id, target, canvas }), [canvas]);
  }

  /** The `replace` background: an image (transferred) or 0..1 RGB. */
  setCompositorBackground(target: string, background: ImageBitmap | [number, number, number]): void {
    this.post({ type: 'composite-background', target, background }, background instanceof ImageBitmap ? [background] : []);
  }

  detachCompositor(target: string): void {
    this.post({ type: 'composite-detach', target });
  }

  /** The composite as last drawn, or null when the worker has none for `target`. */
  compositorSnapshot(target: string): Promise<ImageBitmap | null> {
    return this.request((id) => ({ type: 'composite-snapshot', id, target }));
  }

  /** Sends a frame (transferred: the caller must not use it afterwards) and resolves with the result. */
  run(request: PipelineRequest, frame: ImageBitmap | VideoFrame): Promise<RunAnswer> {
    return this.request((id) => ({ type: 'run', id, request, frame }), [frame]);
  }
}
