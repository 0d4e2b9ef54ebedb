import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { CvError, toCvError } from '../errors.js';
import type { CvBackendChangeDetail } from '../events/cv-backend-change.js';
import type { CvProgressDetail } from '../events/cv-progress.js';
import type { CvPaths, CvReadyDetail } from '../events/cv-ready.js';
import { catalogEntry, loadCatalog, modelFileUrl, parseIntegrity, resolveModel, type CatalogEntry, type Precision } from '../models/catalog.js';
import { noteWorkerDeath, type WorkerDeath } from '../page/watchdog.js';
import { InferenceClient } from '../page/worker-client.js';
import { gpuHasF16, markWebgpuFailed, resolveBackend, type BackendChoice } from '../runtime/select-backend.js';
import type { BackendName, EngineName, MediapipeKind } from '../runtime/types.js';
import type { LoadSpec, WorkerEnv } from '../worker/protocol.js';
import { FaultBackoff } from './fault-backoff.js';
import { LatestRun } from './latest-run.js';

/** A model an element needs, by the role it plays in the task's pipeline. */
export interface ModelNeed {
  role: string;
  /** Catalog name or URL. */
  src: string;
}

/** Models loaded for the current attributes: role → worker key, plus what the pipeline was told. */
export interface LoadedModels {
  backend: EngineName;
  keys: Record<string, string>;
  entries: Record<string, CatalogEntry | null>;
  client: InferenceClient;
}

export interface ModelsOptions {
  /** The `backend` attribute as written, and as validated (an invalid value runs as `auto`). */
  backendAttr: () => string;
  backend: () => BackendChoice;
  precision: () => Precision | '';
  catalog: () => string;
  /** `integrity` for the model `src` names; null for every other model. */
  integrityFor: (src: string) => string | null;
  needs: () => ModelNeed[];
  mediapipeRoles: () => Record<string, MediapipeKind> | null;
  /** The task's set-up for new models before they replace the old (throwing fails the load). */
  prepare: (models: LoadedModels) => Promise<void> | void;
  /** The name `cv-ready` reports. */
  modelName: () => string;
  emit: <T>(type: string, detail: T) => void;
  fail: (err: CvError, cause?: string) => void;
  /** New models are in place: the host clears its model faults and fires `cv-ready` with `detail`. */
  onReady: (detail: Omit<CvReadyDetail, 'paths'>, found: { cache: CvPaths['cache']; env: WorkerEnv | undefined }) => void;
  /** The models went with their worker: frames must stop until the reload. */
  onLost: () => void;
}

/**
 * An element's models: resolves them from the catalog, loads them into the shared worker, swaps them in
 * once all are ready, and releases them. Every load is a run of a {@link LatestRun}: a newer load,
 * a disconnect or a worker death aborts it, and an aborted load releases what it took instead of using it.
 * Network failures retry by themselves (2 s doubling to 60 s); a dead worker is restarted with its backoff;
 * WebGPU that fails under `auto` moves the element to WASM, announced by `cv-backend-change`.
 */
export class ModelsController implements ReactiveController {
  /** The loaded models, or null while none are (first load, after a worker death). */
  current: LoadedModels | null = null;
  private readonly loads = new LatestRun();
  /** Spacing of automatic retries of a load that failed on the network: 2 s, doubling up to 60 s. */
  private readonly loadBackoff = new FaultBackoff(2_000, 60_000);
  private unwatchWorker: (() => void) | null = null;
  private reloadTimer = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: ModelsOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.reloadTimer);
    this.unwatchWorker?.();
    this.unwatchWorker = null;
    this.release(this.current);
    this.current = null;
    this.loads.cancel();
  }

  /** Loads the models the attributes call for; `retry` keeps the network backoff's spacing. */
  async reload(retry = false): Promise<void> {
    if (!this.host.isConnected) return;
    const o = this.options;
    // A load for a new reason (attributes, reconnect, worker restart) starts the retry spacing afresh.
    if (!retry) this.loadBackoff.succeed();
    const signal = this.loads.start();
    const t0 = performance.now();
    let client: InferenceClient | null = null;
    const acquired: string[] = [];
    let attempted: EngineName | null = null;
    const releaseAcquired = () => acquired.forEach((k) => client?.release(k));
    try {
      const backend = await resolveBackend(o.backend());
      attempted = backend;
      let mpRoles: Record<string, MediapipeKind> = {};
      if (backend === 'mediapipe') {
        const roles = o.mediapipeRoles();
        if (!roles) {
          throw new CvError('backend-unavailable', `backend="mediapipe" is not available for <${this.host.localName}> with these attributes (it runs <cv-segment> and <cv-classify roi="face">); use auto, wasm or webgpu`);
        }
        mpRoles = roles;
      }
      const ortBackend: BackendName = backend === 'mediapipe' ? 'wasm' : backend;
      // The worker (and its runtime's start-up) first, so they overlap the catalog and model fetches.
      const c = (client = InferenceClient.for(backend));
      this.watchWorker(c, signal);
      const needs = await this.expandNeeds(o.needs());
      if (signal.aborted) return;
      const keys: Record<string, string> = {};
      const entries: Record<string, CatalogEntry | null> = {};
      let threads = 1;
      let fromCache = true;
      let cached = true;
      let precision: string | null = null;
      let cache: CvPaths['cache'] = 'cache-api';
      let env: WorkerEnv | undefined;
      const timings = { resolveMs: performance.now() - t0, runtimeMs: 0, fetchMs: 0, sessionMs: 0 };
      // When one need fails, Promise.all rejects at once while its siblings are still loading: those
      // release themselves when they arrive (`failed`), or nobody would.
      let failed = false;
      const loadOne = async (need: ModelNeed) => {
        const mpTask = mpRoles[need.role];
        const { spec, entry, precision: p } = mpTask ? await this.mediapipeSpecFor(need.src, mpTask) : await this.loadSpecFor(need.src, ortBackend);
        const key = `${spec.url}#${spec.sha256 ?? ''}`;
        const loaded = await c.load(key, spec, (loaded, total) => !signal.aborted && o.emit<CvProgressDetail>('cv-progress', { loaded, total, model: need.src }));
        if (failed) return c.release(key);
        acquired.push(key);
        keys[need.role] = key;
        entries[need.role] = entry;
        threads = loaded.threads;
        for (const k of ['runtimeMs', 'fetchMs', 'sessionMs'] as const) timings[k] = Math.max(timings[k], loaded.timings[k]);
        fromCache &&= loaded.fromCache;
        cached &&= loaded.cached;
        precision ??= p;
        if (!loaded.env.cache) cache = 'none';
        env = loaded.env;
      };
      await Promise.all(
        needs.map((need) =>
          loadOne(need).catch((e) => {
            failed = true;
            throw e;
          }),
        ),
      );
      if (signal.aborted) return releaseAcquired();
      const next: LoadedModels = { backend, keys, entries, client: c };
      await o.prepare(next);
      if (signal.aborted) return releaseAcquired();
      const previous = this.current;
      this.current = next;
      this.release(previous);
      this.loadBackoff.succeed();
      o.onReady({ model: o.modelName(), backend, threads, loadMs: performance.now() - t0, precision, fromCache, cached, timings }, { cache, env });
    } catch (e) {
      releaseAcquired();
      if (signal.aborted) return;
      const err = toCvError(e, 'model-fetch');
      // WebGPU that would not start, or could not make a session, under `auto`: WASM instead, announced.
      if (attempted === 'webgpu' && o.backendAttr() === 'auto' && ['backend-unavailable', 'model-invalid', 'worker', 'inference'].includes(err.code)) {
        this.fallBackToWasm(err.message);
        return;
      }
      o.fail(err, 'model');
      if (err.code === 'worker') this.reloadAfterDeath(attempted);
      else if (err.code === 'timeout' || err.code === 'model-fetch') this.retryLoad(signal);
    }
  }

  /**
   * A stalled or failed download is usually the network, not the model: try again by itself, spaced.
   * The fault was reported once (fail() de-duplicates); a src change or disconnect starts or cancels a
   * load, which aborts `signal` and so this retry.
   */
  private retryLoad(signal: AbortSignal): void {
    clearTimeout(this.reloadTimer);
    const wait = this.loadBackoff.fault();
    this.reloadTimer = window.setTimeout(() => this.host.isConnected && this.loads.isLatest(signal) && void this.reload(true), wait);
  }

  /** Follows the worker this load uses: if it dies or hangs, the element reports once and loads again. */
  private watchWorker(client: InferenceClient, signal: AbortSignal): void {
    this.unwatchWorker?.();
    this.unwatchWorker = client.onDeath((err, why) => {
      if (signal.aborted && this.current?.client !== client) return;
      this.onWorkerDeath(client, err, why);
    });
  }

  private onWorkerDeath(client: InferenceClient, err: CvError, why: WorkerDeath): void {
    // The worker took its sessions with it: nothing to release, and no frame may go to it any more.
    if (this.current?.client === client) this.current = null;
    this.loads.cancel();
    this.options.onLost();
    if (why === 'device-lost' && this.options.backendAttr() === 'auto') {
      this.fallBackToWasm(err.message);
      return;
    }
    this.options.fail(why === 'device-lost' ? new CvError('backend-unavailable', `${err.message}; backend="webgpu" is retried, use "auto" to fall back to WASM`) : err);
    // No module workers in this browser: a restart would fail the same way.
    if (err.code !== 'not-supported') this.reloadAfterDeath(client.backend);
  }

  private reloadAfterDeath(engine: EngineName | null): void {
    clearTimeout(this.reloadTimer);
    const wait = engine ? noteWorkerDeath(engine) : 1000;
    this.reloadTimer = window.setTimeout(() => this.host.isConnected && void this.reload(), wait);
  }

  private fallBackToWasm(reason: string): void {
    markWebgpuFailed(reason);
    this.options.emit<CvBackendChangeDetail>('cv-backend-change', { from: 'webgpu', to: 'wasm', reason });
    void this.reload();
  }

  private release(models: LoadedModels | null) {
    if (!models) return;
    for (const key of Object.values(models.keys)) models.client.release(key);
  }

  /** Resolves a catalog name or URL into what the worker needs. */
  private async loadSpecFor(src: string, backend: BackendName): Promise<{ spec: LoadSpec; entry: CatalogEntry | null; precision: Precision | null }> {
    const o = this.options;
    const gpuF16 = backend === 'webgpu' ? await gpuHasF16() : false;
    const resolved = await resolveModel(src, backend, { catalogUrl: o.catalog(), precision: o.precision(), integrity: o.integrityFor(src), gpuF16 });
    const entry = resolved.entry;
    const range = (entry?.outputs?.[0] as { range?: [number, number] } | undefined)?.range;
    return {
      spec: { url: resolved.url, sha256: resolved.sha256, input: entry?.input ?? null, labels: entry?.labels ?? null, ...(range ? { outputRange: range } : {}) },
      entry,
      precision: resolved.precision,
    };
  }

  /** A MediaPipe Tasks model: the catalog entry's `.tflite` with metadata, or a `.tflite` URL. */
  private async mediapipeSpecFor(src: string, task: MediapipeKind): Promise<{ spec: LoadSpec; entry: CatalogEntry | null; precision: Precision | null }> {
    const o = this.options;
    if (/\.tflite(\?|#|$)/i.test(src)) {
      const spec: LoadSpec = { url: new URL(src, document.baseURI).href, sha256: parseIntegrity(o.integrityFor(src)), input: null, labels: null, format: 'tflite', task };
      return { spec, entry: null, precision: null };
    }
    const { entry } = await resolveModel(src, 'wasm', { catalogUrl: o.catalog(), precision: o.precision() });
    if (!entry?.mediapipe) {
      throw new CvError('backend-unavailable', `Model "${src}" has no MediaPipe (.tflite) file in the catalog; backend="mediapipe" cannot run it`);
    }
    const spec: LoadSpec = {
      url: modelFileUrl(entry.mediapipe.file, o.catalog()),
      // The catalog's own pin: `integrity` describes the .onnx file `src` names, not this .tflite.
      sha256: entry.mediapipe.sha256,
      input: entry.input ?? null,
      labels: entry.labels ?? null,
      format: 'tflite',
      task,
    };
    return { spec, entry, precision: null };
  }

  /** Expands catalog entries made of parts (a VAE's encoder and decoder) into one need per part. */
  private async expandNeeds(needs: ModelNeed[]): Promise<ModelNeed[]> {
    const out: ModelNeed[] = [];
    for (const need of needs) {
      if (/\.onnx(\?|#|$)/i.test(need.src) || need.src.includes('/')) {
        out.push(need);
        continue;
      }
      const catalog = await loadCatalog(this.options.catalog());
      const parts = catalogEntry(catalog, need.src)?.parts;
      if (parts) for (const [role, name] of Object.entries(parts)) out.push({ role, src: name });
      else out.push(need);
    }
    return out;
  }
}
