import { assetBase } from '../asset-base.js';
import { CvError, toCvError } from '../errors.js';
import { probe } from '../page/resources.js';
import { startTrustedWorker } from '../page/trusted-types.js';
import { moduleWorkersSupported as probeModuleWorkers } from '../page/capabilities.js';
import { browserName } from '../browser-name.js';
import type { EngineName } from '../runtime/types.js';
import type { HeadFile } from '../tasks/learn/head.js';
import type { FromWorker, LearnOp, LearnStatus, LoadSpec, LoadTimings, PipelineRequest, PipelineResult, ToWorker, WorkerEnv, WorkerPhases } from './protocol.js';
import type { BlurPath } from '../overlay/blur-fallback.js';
import { Deadline, RecentDurations, noteWorkerHealthy, runBudget, testConfig, watchdogLimits, type TestConfig, type WorkerDeath } from './watchdog.js';
import type { TestAction } from './worker-test-hooks.js';

export interface RunAnswer {
  result: PipelineResult;
  inferenceMs: number;
  phases: WorkerPhases;
}

export interface LoadedModel {
  key: string;
  threads: number;
  fromCache: boolean;
  /** The bytes are in the Cache API for next time (false when storage failed or no sha256 pins them). */
  cached: boolean;
  inputNames: string[];
  outputNames: string[];
  timings: LoadTimings;
  /** What the worker's browser can do (VideoFrame, Cache API). */
  env: WorkerEnv;
}

/** Known once a worker failed to start: false where the browser has no module workers. */
let moduleWorkers: boolean | undefined;

/** Probed only after a worker failed before its first message: the probe is a Worker construction that fails by design. */
function moduleWorkersSupported(): boolean {
  return (moduleWorkers = probeModuleWorkers());
}

type Pending = {
  resolve: (v: never) => void;
  reject: (e: CvError) => void;
  onProgress?: (loaded: number, total: number) => void;
  deadline: Deadline;
  /** For learn requests: their head, whose training progress counts as progress. */
  head?: string;
};

/**
 * The page side of one inference worker. There is one per backend per page, shared by every element;
 * sessions inside it are keyed by model and reference-counted, so two elements on one model share it.
 *
 * Every request has a deadline (see watchdog.ts). A worker that fails, hangs past a deadline or loses
 * its GPU device is terminated and this client is dead for good: its pending and later requests reject
 * with `worker`, its death listeners are told once, and `InferenceClient.for()` makes a fresh one, which
 * the elements reload their models into. A worker with no models left is terminated after a short grace.
 */
export class InferenceClient {
  private static clients = new Map<EngineName, InferenceClient>();

  static for(backend: EngineName): InferenceClient {
    if (moduleWorkers === false) throw new CvError('not-supported', `${browserName()} cannot start module workers, which cv-elements runs its models in; use a newer browser`);
    installTestHooks(InferenceClient.clients, (c, msg) => c.post(msg), (c) => c.worker);
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

  /** The engines that have a live worker now: one per backend in use, none when no element is. */
  static liveWorkers(): EngineName[] {
    return [...InferenceClient.clients.keys()];
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
  private deathListeners = new Set<(err: CvError, why: WorkerDeath) => void>();
  private durations = new RecentDurations();
  private runsInFlight = 0;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** The worker has sent something, so it started as a module. */
  private heard = false;
  /** Set once the worker is gone: every request after that rejects with it. */
  private dead: CvError | null = null;

  private constructor(readonly backend: EngineName) {
    this.worker = startTrustedWorker(() => new Worker(new URL('./inference-worker.js', import.meta.url), { type: 'module', name: `cv-elements-${backend}` }));
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => this.receive(ev.data);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      // A browser without module workers ran ours as a classic script, which fails on its first import.
      if (!this.heard && !moduleWorkersSupported()) {
        this.die(new CvError('not-supported', `${browserName()} cannot start module workers (new Worker(url, {type: 'module'})), which cv-elements runs its models in; use a newer browser`), 'crashed');
        return;
      }
      this.die(new CvError('worker', `The inference worker failed (${ev.message || 'it could not start'}); it is being restarted`), 'crashed');
    };
    this.worker.onmessageerror = () => this.die(new CvError('worker', 'The inference worker sent a message that could not be read; it is being restarted'), 'crashed');
    const maxThreads = Math.min(4, navigator.hardwareConcurrency || 2);
    const test = testConfig();
    this.post({
      type: 'init',
      backend,
      assetBase: assetBase(),
      maxThreads,
      ...(test ? { testHooks: { noGpuAdapter: !!test.noGpuAdapter, ...(test.workerMasks ? { masks: test.workerMasks } : {}) } } : {}),
    });
  }

  /** Called once if this client's worker dies; the listener should drop its models and load again. */
  onDeath(listener: (err: CvError, why: WorkerDeath) => void): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Terminates the worker and settles everything that waited on it. */
  private die(err: CvError, why: WorkerDeath | 'idle'): void {
    if (this.dead) return;
    this.dead = err;
    clearTimeout(this.idleTimer);
    this.worker.terminate();
    if (InferenceClient.clients.get(this.backend) === this) InferenceClient.clients.delete(this.backend);
    const pending = [...this.pending.values()];
    this.pending.clear();
    this.models.clear();
    // Listeners first, synchronously: an element drops its models before its rejected run reports,
    // so the page sees one `worker` error per element, not one per request.
    if (why !== 'idle') for (const l of [...this.deathListeners]) l(err, why);
    this.deathListeners.clear();
    this.learnListeners.clear();
    for (const p of pending) {
      p.deadline.clear();
      p.reject(err);
    }
  }

  private post(msg: ToWorker, transfer: Transferable[] = []) {
    if (this.dead) {
      for (const t of transfer) (t as Partial<ImageBitmap>).close?.();
      return;
    }
    this.worker.postMessage(msg, transfer);
  }

  private receive(msg: FromWorker) {
    this.heard = true;
    if (msg.type === 'learn-progress') {
      for (const p of this.pending.values()) if (p.head === msg.head) p.deadline.touch();
      this.learnListeners.get(msg.head)?.(msg.status);
      return;
    }
    if (msg.type === 'pong') {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.deadline.clear();
      p?.resolve(undefined as never);
      return;
    }
    if (msg.type === 'device-lost') {
      this.die(new CvError('worker', msg.message), 'device-lost');
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'progress') {
      p.deadline.touch();
      p.onProgress?.(msg.loaded, msg.total);
      return;
    }
    this.pending.delete(msg.id);
    p.deadline.clear();
    // Codes from the worker pass through the closed list: an unknown one becomes `inference`.
    if (msg.type === 'error') p.reject(toCvError({ code: msg.code, message: msg.message }, 'inference'));
    else if (msg.type === 'loaded') (p.resolve as (v: LoadedModel) => void)(msg);
    else if (msg.type === 'learned') (p.resolve as (v: unknown) => void)(msg.value);
    else if (msg.type === 'attached') (p.resolve as (v: { kind: 'webgl2' | '2d'; blur: BlurPath }) => void)({ kind: msg.kind, blur: msg.blur });
    else if (msg.type === 'snapshot') (p.resolve as (v: ImageBitmap | null) => void)(msg.bitmap);
    else if (msg.type === 'background-set') (p.resolve as () => void)();
    else (p.resolve as (v: RunAnswer) => void)({ result: msg.result, inferenceMs: msg.inferenceMs, phases: msg.phases });
  }

  /** True when the worker answers a ping within `ms`: its message loop runs, so a stall is elsewhere. */
  private probe(ms: number): Promise<boolean> {
    if (this.dead) return Promise.resolve(false);
    const id = this.nextId++;
    return new Promise<boolean>((resolve) => {
      const deadline = new Deadline(ms, () => {
        this.pending.delete(id);
        resolve(false);
      });
      this.pending.set(id, { resolve: () => resolve(true), reject: () => resolve(false), deadline });
      this.post({ type: 'ping', id });
    });
  }

  /**
   * A load made no progress within its bound. A worker that still answers a ping is fine and only the
   * download stalled (a server that never answers): that load alone fails with `timeout` and the other
   * elements keep their worker. A worker that does not answer is hung: it is restarted.
   */
  private async loadStalled(id: number, ms: number): Promise<void> {
    const alive = await this.probe(Math.min(5_000, watchdogLimits().otherMs));
    const p = this.pending.get(id);
    if (!p) return;
    if (!alive) {
      this.die(new CvError('worker', `The inference worker did not answer a model load within ${(ms / 1000).toFixed(1)} s; it is being restarted`), 'hung');
      return;
    }
    this.pending.delete(id);
    this.post({ type: 'cancel-load', id });
    p.reject(new CvError('timeout', `The model load made no progress for ${(ms / 1000).toFixed(1)} s (the download stalled); it will be tried again when the attributes change or the element reconnects`));
  }

  /** Posts a request that must be answered within `budgetMs` (renewed on each progress report). */
  private request<T>(what: string, budgetMs: number, build: (id: number) => ToWorker, transfer: Transferable[] = [], extra: Partial<Pick<Pending, 'onProgress' | 'head'>> = {}): Promise<T> {
    if (this.dead) {
      for (const t of transfer) (t as Partial<ImageBitmap>).close?.();
      return Promise.reject(this.dead);
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const deadline = new Deadline(budgetMs, (ms) => {
        if (what === 'model load') void this.loadStalled(id, ms);
        else this.die(new CvError('worker', `The inference worker did not answer a ${what} within ${(ms / 1000).toFixed(1)} s; it is being restarted`), 'hung');
      });
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, deadline, ...extra });
      try {
        this.post(build(id), transfer);
      } catch (e) {
        // Not sendable here (a VideoFrame some engines cannot transfer): this request fails, not the worker.
        this.pending.delete(id);
        deadline.clear();
        for (const t of transfer) (t as Partial<ImageBitmap>).close?.();
        reject(new CvError('inference', `The ${what} could not be sent to the inference worker: ${(e as Error).message}`));
      }
    });
  }

  /** Loads (or shares) a model. Every successful call must be paired with one `release(key)`. */
  load(key: string, spec: LoadSpec, onProgress?: (loaded: number, total: number) => void): Promise<LoadedModel> {
    clearTimeout(this.idleTimer);
    let m = this.models.get(key);
    if (!m) {
      const progress = new Set<(l: number, t: number) => void>();
      const loaded = this.request<LoadedModel>('model load', watchdogLimits().loadStallMs, (id) => ({ type: 'load', id, key, spec }), [], {
        onProgress: (l, t) => progress.forEach((f) => f(l, t)),
      });
      m = { refs: 0, loaded, progress };
      this.models.set(key, m);
      loaded.catch(() => {
        if (this.models.get(key) !== m) return;
        this.models.delete(key);
        this.retireWhenIdle();
      });
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
    this.retireWhenIdle();
  }

  /** The last element using this worker has gone: terminate it after a grace (StrictMode re-appends at once). */
  private retireWhenIdle(): void {
    if (this.models.size || this.dead) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (!this.models.size && !this.pending.size) this.die(new CvError('worker', 'The inference worker was retired: no element uses it'), 'idle');
    }, watchdogLimits().idleMs);
  }

  /**
   * An operation on a learned head in the worker (`add` transfers its frame). Resolves with the head's
   * status, or the head file for `export`.
   */
  learn(op: Exclude<LearnOp, { op: 'export' }>): Promise<LearnStatus>;
  learn(op: Extract<LearnOp, { op: 'export' }>): Promise<HeadFile>;
  learn(op: LearnOp): Promise<LearnStatus | HeadFile> {
    return this.request(`learn "${op.op}"`, watchdogLimits().learnStallMs, (id) => ({ type: 'learn', id, op }), op.op === 'add' ? [op.frame] : [], { head: op.head });
  }

  /** Receives a head's training progress (null stops). */
  onLearnProgress(head: string, listener: ((status: LearnStatus) => void) | null): void {
    if (listener) this.learnListeners.set(head, listener);
    else this.learnListeners.delete(head);
  }

  /** Hands a canvas's drawing to the worker (`<cv-segment>`'s composite); rejects when it cannot draw there. */
  attachCompositor(target: string, canvas: OffscreenCanvas): Promise<{ kind: 'webgl2' | '2d'; blur: BlurPath }> {
    return this.request('compositor attach', watchdogLimits().otherMs, (id) => ({ type: 'composite-attach', id, target, canvas }), [canvas]);
  }

  /** The `replace` background: an image (transferred) or 0..1 RGB; rejects when the worker could not set it. */
  setCompositorBackground(target: string, background: ImageBitmap | [number, number, number]): Promise<void> {
    return this.request('background', watchdogLimits().otherMs, (id) => ({ type: 'composite-background', id, target, background }), background instanceof ImageBitmap ? [background] : []);
  }

  detachCompositor(target: string): void {
    this.post({ type: 'composite-detach', target });
  }

  /** The composite as last drawn, or null when the worker has none for `target`. */
  compositorSnapshot(target: string): Promise<ImageBitmap | null> {
    return this.request('snapshot', watchdogLimits().otherMs, (id) => ({ type: 'composite-snapshot', id, target }));
  }

  /** Sends a frame (transferred: the caller must not use it afterwards) and resolves with the result. */
  run(request: PipelineRequest, frame: ImageBitmap | VideoFrame): Promise<RunAnswer> {
    const key = runKey(request);
    const budget = runBudget(watchdogLimits(), this.durations.median(key), this.runsInFlight);
    const t0 = performance.now();
    this.runsInFlight++;
    const answer = this.request<RunAnswer>('frame', budget, (id) => ({ type: 'run', id, request, frame }), [frame]);
    return answer.then(
      (a) => {
        this.runsInFlight--;
        this.durations.record(key, performance.now() - t0);
        noteWorkerHealthy(this.backend);
        return a;
      },
      (e) => {
        this.runsInFlight--;
        throw e;
      },
    );
  }

}

/**
 * Fault injection for the test suite, on `__CV_ELEMENTS_TEST__.hooks` and only when the page set that
 * object before the first worker started: `inject` asks the worker to hang, throw or lose its device;
 * `terminate` kills it behind the client's back (no error event: only the watchdog can notice).
 */
function installTestHooks(clients: Map<EngineName, InferenceClient>, post: (c: InferenceClient, msg: ToWorker) => void, worker: (c: InferenceClient) => Worker): void {
  const config = testConfig() as (TestConfig & { hooks?: unknown }) | null;
  if (!config || config.hooks) return;
  config.hooks = {
    inject: (backend: EngineName, action: TestAction) => {
      const c = clients.get(backend);
      if (c) post(c, { type: 'test', action });
      return !!c;
    },
    terminate: (backend: EngineName) => {
      const c = clients.get(backend);
      if (c) worker(c).terminate();
      return !!c;
    },
  };
}

/** What a run's duration depends on: its task and models (the values that are model keys). */
function runKey(request: PipelineRequest): string {
  return `${request.task}:${Object.values(request).filter((v) => typeof v === 'string' && v.includes('#')).join('+')}`;
}
