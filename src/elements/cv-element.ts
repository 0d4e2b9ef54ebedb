import { LitElement, html, type CSSResultGroup, type PropertyValues, type TemplateResult } from 'lit';
import { parseResolution } from '../camera/camera-hub.js';
import { AttributeGuard } from '../controllers/attribute-guard.js';
import { CameraController } from '../controllers/camera-controller.js';
import { FaultState } from '../controllers/fault-state.js';
import { closeBitmap, own } from '../page/resources.js';
import { FrameLoopController, type FrameTick } from '../controllers/frame-loop-controller.js';
import { HudController } from '../controllers/hud-controller.js';
import { ProgressController } from '../controllers/progress-controller.js';
import { RecorderController, type RecordLayer, type RecordOptions } from '../controllers/recorder-controller.js';
import { StringsController } from '../controllers/strings-controller.js';
import { CvError, toCvError, type CvErrorDetail } from '../events/cv-error.js';
import type { CvBackendChangeDetail } from '../events/cv-backend-change.js';
import { FaultBackoff } from '../controllers/fault-backoff.js';
import { noteWorkerDeath, type WorkerDeath } from '../worker/watchdog.js';
import type { CvProgressDetail } from '../events/cv-progress.js';
import type { CvPaths, CvReadyDetail } from '../events/cv-ready.js';
import { VideoCapture } from '../page/capture.js';
import { browserName } from '../browser-name.js';
import type { CvResultBase } from '../events/cv-result.js';
import { catalogEntry, loadCatalog, modelFileUrl, parseIntegrity, resolveModel, type CatalogEntry, type Precision } from '../models/catalog.js';
import { markWebgpuFailed, resolveBackend, type BackendChoice } from '../runtime/select-backend.js';
import type { BackendName, EngineName } from '../runtime/types.js';
import type { LoadSpec, PipelineRequest, PipelineResult } from '../worker/protocol.js';
import { InferenceClient } from '../worker/worker-client.js';
import { baseStyles } from './cv-element.styles.js';

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

/** What `element.stats` holds (see there). */
export interface CvStats {
  fps: number;
  latencyMs: number;
  inferenceMs: number;
  dropped: number;
  frames: number;
  phases: { grabMs: number; toWorkerMs: number; waitMs: number; runMs: number; pipelineMs: number; resizeMs: number; compositeMs: number; backMs: number; paintMs: number };
}

const BACKENDS = ['auto', 'wasm', 'webgpu', 'mediapipe'] as const;
const PRECISIONS = ['', 'int8', 'fp16', 'fp32'] as const;

/**
 * The base of every cv-* element: attributes common to all, the camera or source element, model
 * loading with stale-load checks, the frame loop, events and the overlay stage. A task element says
 * which models it needs, what request to send per frame, and how to paint the result.
 *
 * @event {CvProgressEvent} cv-progress - model bytes arriving: `{loaded, total, model}`
 * @event {CvReadyEvent} cv-ready - models loaded: `{model, backend, threads, loadMs, precision, fromCache, cached, timings, paths}`;
 *   `paths` says which browser-dependent path each step takes (docs/browsers.md)
 * @event {CvResultEvent} cv-result - a frame's result: `{frame, timestamp, latencyMs, inferenceMs, …task result}`
 * @event {CvErrorEvent} cv-error - a fault, with `{code, message}`; the element keeps its last good state and recovers.
 *   Each distinct fault fires once until it clears; a worker that dies or hangs fires one `worker` and is restarted
 * @event {CvBackendChangeEvent} cv-backend-change - with `backend="auto"`, WebGPU failed (device lost, no adapter, no session) and the
 *   element moved to WASM by itself: `{from, to, reason}`
 * @csspart stage - the box holding the view and the overlays
 * @csspart video - the live camera video
 * @csspart view - the copy of a `source` image or canvas
 * @csspart overlay - the canvas the result is drawn on
 * @csspart error - the message shown for the last fault
 * @csspart progress - the model download bar (role=progressbar), shown while models download, fed by `cv-progress`
 * @csspart hud - with `hud`, the fps and latency readout
 * @attr hud - show an fps and latency readout over the view (from `element.stats`, a few times a second)
 * @cssprop --cv-progress-color - colour of the download bar
 * @cssprop --cv-focus-color - outline of a focused control (the learn buttons)
 * @cssprop --cv-color - text colour of the messages drawn over the view (`#fff`)
 * @cssprop --cv-background - background of the stage before the first frame and around letterboxed frames (`#111`)
 * @cssprop --cv-radius - corner radius of the stage (`8px`)
 * @cssprop --cv-error-background - background of the fault message (a translucent red)
 */
export abstract class CvElement<R extends PipelineResult = PipelineResult, Public extends object = object> extends LitElement {
  static override styles: CSSResultGroup = baseStyles;

  static override properties = {
    src: { type: String },
    backend: { type: String },
    source: { type: String },
    facing: { type: String },
    resolution: { type: String },
    mirrored: { type: Boolean, reflect: true },
    paused: { type: Boolean, reflect: true },
    maxFps: { type: Number, attribute: 'max-fps' },
    integrity: { type: String },
    precision: { type: String },
    catalog: { type: String },
    hud: { type: Boolean, reflect: true },
    errorMessage: { state: true },
  };

  /** Catalog name or URL of an .onnx file; each element has a default. */
  declare src: string;
  /** `auto` (WebGPU on a real GPU, else WASM), `wasm`, `webgpu`, or `mediapipe` where the task has it. */
  declare backend: BackendChoice;
  /** CSS selector of an `<img>`, `<video>` or `<canvas>` to read instead of the camera. */
  declare source: string;
  /** Which camera to ask for: `user` (front, the default) or `environment` (back). */
  declare facing: 'user' | 'environment';
  /** Camera resolution asked for, `640x480` by default. */
  declare resolution: string;
  /** Show the view as in a mirror (labels stay readable). */
  declare mirrored: boolean;
  /** Stop sending frames to the model; the camera keeps running and the last overlay stays. */
  declare paused: boolean;
  /** Upper bound on frames sent to the model per second; 0 = every frame the model can take. */
  declare maxFps: number;
  /**
   * Subresource-integrity hash (`sha256-…`) of the model `src` names, and of it only: the other models an
   * element needs (the face detector of `roi="face"`, a VAE's parts, MediaPipe's `.tflite`) are pinned by
   * the catalog. Catalog models are pinned already.
   */
  declare integrity: string;
  /** Force a model variant: `int8`, `fp16` or `fp32`; empty picks by backend. */
  declare precision: Precision | '';
  /** URL of a models catalog.json; the package's own by default. */
  declare catalog: string;
  /** Show the fps and latency readout (`part="hud"`). */
  declare hud: boolean;
  protected declare errorMessage: string;

  /** The latest result, as in the last `cv-result`. */
  result: (CvResultBase & Public) | null = null;
  /**
   * Live figures for a readout: results per second, latency, inference time and dropped frames, and
   * where the last frame's latency went (`phases`, ms): grabbing it on the page, the trip to the worker,
   * waiting there behind other work, the model runtime, pre/post-processing, compositing, the trip back,
   * and painting on the page.
   */
  readonly stats: CvStats = {
    fps: 0,
    latencyMs: 0,
    inferenceMs: 0,
    dropped: 0,
    frames: 0,
    phases: { grabMs: 0, toWorkerMs: 0, waitMs: 0, runMs: 0, pipelineMs: 0, resizeMs: 0, compositeMs: 0, backMs: 0, paintMs: 0 },
  };

  /**
   * Which path each browser-dependent step takes in this browser (as in `cv-ready`'s `paths`): frame pacing,
   * frame capture, wasm threads, the model cache, and for `<cv-segment>` compositing and blur. See docs/browsers.md.
   */
  get paths(): CvPaths {
    return { engine: browserName(), frames: this.loop.path, capture: this.capture.path, threads: this.loadedPaths.threads, cache: this.loadedPaths.cache, ...this.taskPaths() };
  }

  /** What a task adds to `paths` (`<cv-segment>`: compositing and blur). */
  protected taskPaths(): Partial<CvPaths> {
    return {};
  }

  private readonly capture = new VideoCapture();
  private loadedPaths: Pick<CvPaths, 'threads' | 'cache'> = { threads: 1, cache: 'none' };
  protected models: LoadedModels | null = null;
  protected readonly loop: FrameLoopController;
  /** The built-in strings for this element's language (see `setStrings`). */
  protected readonly i18n = new StringsController(this);
  protected readonly progress = new ProgressController(this);
  protected readonly hudReadout = new HudController(this, () => this.i18n.t);
  private readonly recorder = new RecorderController(this, {
    size: () => (this.sourceEl && !this.stopped ? this.frameSize : { width: 0, height: 0 }),
    layers: () => this.recordLayers(),
  });
  protected frameSize = { width: 0, height: 0 };
  private loadToken = 0;
  private sourceToken = 0;
  /** Validates every attribute where it is read: a warning, one `bad-attribute`, and the default. */
  protected readonly attrs = new AttributeGuard({ localName: this.localName, reportFault: (err, key) => (err ? this.fail(err, key) : this.clearFault(key)) });
  private readonly camera: CameraController;
  private readonly faults = new FaultState();
  /** The code of the fault shown now ('' for none): the message is translated by it. */
  private get errorCode(): string {
    return this.faults.shown?.code ?? '';
  }
  private sourceEl: HTMLImageElement | HTMLVideoElement | HTMLCanvasElement | null = null;
  private stopped = false;
  private frameCount = 0;
  private fpsWindow: number[] = [];
  private sourceRetry = 0;
  private readonly onSourceLoad = () => {
    this.clearError('source-unavailable');
    void this.processStill();
  };
  private readonly onSourceError = () =>
    this.fail(new CvError('source-unavailable', `The source image "${this.source}" failed to load`));

  constructor() {
    super();
    this.src = '';
    this.backend = 'auto';
    this.source = '';
    this.facing = 'user';
    this.resolution = '640x480';
    this.mirrored = false;
    this.paused = false;
    this.maxFps = 0;
    this.integrity = '';
    this.precision = '';
    this.catalog = '';
    this.hud = false;
    this.errorMessage = '';
    this.loop = new FrameLoopController(this, {
      onFrame: (tick) => this.processFrame(tick),
      maxFps: () => this.maxFps,
      enabled: () => !this.paused && !this.stopped && this.models !== null && this.sourceEl !== null && !(this.sourceEl instanceof HTMLImageElement),
    });
    this.camera = new CameraController(this, {
      wanted: () => this.isConnected && !this.stopped && !this.source && this.hasUpdated,
      running: () => !this.paused,
      request: () => ({ facing: this.attrs.oneOf('facing', this.facing, ['user', 'environment'] as const, 'user'), ...this.cameraSize() }),
      onStream: (stream) => void this.showStream(stream),
      onError: (err) => this.fail(err),
    });
  }

  // ---- what a task element provides ----------------------------------------------------------

  /** Models to load for the current attributes. */
  protected abstract modelNeeds(): ModelNeed[];
  /** Attribute names (besides the common ones) whose change means other models. */
  protected modelAttributes(): string[] {
    return [];
  }
  /** The request for one frame, given the loaded models. */
  protected abstract buildRequest(models: LoadedModels): PipelineRequest;
  /** Paints a result on the overlay; called on the main thread, so keep it light. */
  protected abstract paint(result: R): void;
  /** The part of a result that goes into `cv-result` and `element.result`. */
  protected abstract publicResult(result: R): Public;
  /**
   * With backend="mediapipe": the roles MediaPipe Tasks runs, and as which task; the other roles run on ONNX
   * WASM in the same worker. null (the default) when this element, with its current attributes, has no
   * MediaPipe path, which makes backend="mediapipe" fail with `backend-unavailable`.
   */
  protected mediapipeRoles(): Record<string, 'segment' | 'detect'> | null {
    return null;
  }
  /** Extra template inside the stage (overlays, controls). */
  protected renderExtras(): TemplateResult | string {
    return '';
  }
  /** Extra template after the stage (controls that must not cover the view). */
  protected renderControls(): TemplateResult | string {
    return '';
  }
  /**
   * Called with newly loaded models before they replace the old ones and `cv-ready` fires; a task
   * that keeps state in the worker for them sets it up here. Throwing fails the load.
   */
  protected prepareModels(_models: LoadedModels): Promise<void> | void {}

  // ---- public methods --------------------------------------------------------------------------

  /** Starts (or restarts after `stop()`) the camera or source and the frame loop. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connectSource();
  }

  /** Stops the frame loop and lets go of the camera; models stay loaded for a quick `start()`. */
  stop(): void {
    this.stopped = true;
    this.disconnectSource();
    this.loop.reschedule();
  }

  /** The current frame with the overlay drawn on it, as a PNG. */
  async snapshot(): Promise<Blob> {
    const { width, height } = this.frameSize;
    if (!width || !height || !this.sourceEl) throw new CvError('no-frame', 'There is no frame to take a snapshot of yet');
    const canvas = new OffscreenCanvas(width, height);
    const ctx = canvas.getContext('2d')!;
    const layers = await this.snapshotLayers();
    try {
      for (const layer of layers) ctx.drawImage(layer, 0, 0, width, height);
    } finally {
      // Bitmaps among the layers (the worker's composite) were made for this snapshot alone.
      for (const layer of layers) if (layer instanceof ImageBitmap) closeBitmap(layer);
    }
    return canvas.convertToBlob({ type: 'image/png' });
  }

  /**
   * Starts recording what the element shows (the video or source with the overlay and, for
   * `<cv-segment>`, the effect) as WebM. Rejects with `not-supported` where the browser has no
   * MediaRecorder or canvas captureStream, and `not-ready` before the first frame or after `stop()`.
   * Recording ends when the element is removed.
   */
  async record(options?: RecordOptions): Promise<void> {
    try {
      this.recorder.start(options);
    } catch (e) {
      throw this.methodError(e);
    }
  }

  /** Stops recording and resolves with the WebM Blob; `not-ready` when nothing is being recorded. */
  async stopRecording(): Promise<Blob> {
    return this.recorder.stop().catch((e) => {
      throw this.methodError(e);
    });
  }

  /** Whether `record()` is running. */
  get recording(): boolean {
    return this.recorder.recording;
  }

  /** What a recording draws each frame, bottom first: the source, then every canvas shown over it. */
  protected recordLayers(): RecordLayer[] {
    const el = this.sourceEl;
    if (!el) return [];
    const layers: RecordLayer[] = [{ image: el, flip: this.mirrored }];
    for (const c of this.renderRoot.querySelectorAll<HTMLCanvasElement>('canvas:not([part~="view"])')) {
      if (!c.hidden && c.width) layers.push({ image: c, flip: this.mirrored && !c.matches('[part~="overlay"]') });
    }
    return layers;
  }

  /** A public method's fault: `cv-error` fires for listeners, the caller gets the rejection. */
  private methodError(e: unknown): CvError {
    const err = toCvError(e, 'not-ready');
    this.emit<CvErrorDetail>('cv-error', { code: err.code, message: err.message });
    return err;
  }

  /** What a snapshot stacks, bottom first. */
  protected async snapshotLayers(): Promise<CanvasImageSource[]> {
    const layers: CanvasImageSource[] = [this.sourceEl!];
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]');
    if (overlay) layers.push(overlay);
    return layers;
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.hasUpdated) return;
    void this.reloadModels();
    if (!this.stopped) void this.connectSource();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.reloadTimer);
    this.unwatchWorker?.();
    this.unwatchWorker = null;
    this.disconnectSource();
    this.releaseModels(this.models);
    this.models = null;
    this.loadToken++;
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('backend') || !this.hasUpdated) this.attrs.oneOf('backend', this.backend, BACKENDS, 'auto');
    if (changed.has('precision') || !this.hasUpdated) this.attrs.oneOf('precision', this.precision, PRECISIONS, '');
    if (changed.has('maxFps') || !this.hasUpdated) this.attrs.number('max-fps', this.maxFps, 0, { min: 0 });
  }

  protected override updated(changed: PropertyValues): void {
    const modelKeys = ['src', 'backend', 'integrity', 'precision', 'catalog', ...this.modelAttributes()];
    if (modelKeys.some((k) => changed.has(k))) void this.reloadModels();
    if (['source', 'facing', 'resolution'].some((k) => changed.has(k)) && !this.stopped) void this.connectSource();
    if (changed.has('paused') || changed.has('maxFps')) {
      this.loop.reschedule();
      this.camera.update();
      if (!this.paused) void this.processStill();
    }
  }

  override render(): TemplateResult {
    const { width, height } = this.frameSize;
    return html`
      <div part="stage" class="stage ${this.mirrored ? 'mirrored' : ''}" style=${width ? `aspect-ratio: ${width} / ${height}` : ''}>
        <video part="video" muted playsinline ?hidden=${!!this.source}></video>
        <canvas part="view" ?hidden=${!this.source}></canvas>
        ${this.renderExtras()}
        <canvas part="overlay" class="overlay"></canvas>
        ${this.progress.render(this.i18n.t)} ${this.hudReadout.render()}
        <div part="error" class="error" role="alert" ?hidden=${!this.errorMessage}>${this.errorMessage && this.i18n.t.error(this.errorCode, this.errorMessage)}</div>
      </div>
      ${this.renderControls()}
    `;
  }

  // ---- models ----------------------------------------------------------------------------------

  /** Resolves a catalog name or URL into what the worker needs. */
  protected async loadSpecFor(src: string, backend: BackendName): Promise<{ spec: LoadSpec; entry: CatalogEntry | null; precision: Precision | null }> {
    const resolved = await resolveModel(src, backend, { catalogUrl: this.catalog, precision: this.validPrecision(), integrity: this.integrityFor(src) });
    const entry = resolved.entry;
    const range = (entry?.outputs?.[0] as { range?: [number, number] } | undefined)?.range;
    return {
      spec: { url: resolved.url, sha256: resolved.sha256, input: entry?.input ?? null, labels: entry?.labels ?? null, ...(range ? { outputRange: range } : {}) },
      entry,
      precision: resolved.precision,
    };
  }

  /** `integrity` for the model `src` names; null for every other model the element needs. */
  private integrityFor(src: string): string | null {
    return this.integrity && src === this.src ? this.integrity : null;
  }

  /** A MediaPipe Tasks model: the catalog entry's `.tflite` with metadata, or a `.tflite` URL. */
  protected async mediapipeSpecFor(src: string, task: 'segment' | 'detect'): Promise<{ spec: LoadSpec; entry: CatalogEntry | null; precision: Precision | null }> {
    if (/\.tflite(\?|#|$)/i.test(src)) {
      const spec: LoadSpec = { url: new URL(src, document.baseURI).href, sha256: parseIntegrity(this.integrityFor(src)), input: null, labels: null, format: 'tflite', task };
      return { spec, entry: null, precision: null };
    }
    const { entry } = await resolveModel(src, 'wasm', { catalogUrl: this.catalog, precision: this.validPrecision() });
    if (!entry?.mediapipe) {
      throw new CvError('backend-unavailable', `Model "${src}" has no MediaPipe (.tflite) file in the catalog; backend="mediapipe" cannot run it`);
    }
    const spec: LoadSpec = {
      url: modelFileUrl(entry.mediapipe.file, this.catalog),
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
      const catalog = await loadCatalog(this.catalog);
      const parts = catalogEntry(catalog, need.src)?.parts;
      if (parts) for (const [role, name] of Object.entries(parts)) out.push({ role, src: name });
      else out.push(need);
    }
    return out;
  }

  private async reloadModels(retry = false): Promise<void> {
    if (!this.isConnected) return;
    // A load for a new reason (attributes, reconnect, worker restart) starts the retry spacing afresh.
    if (!retry) this.loadBackoff.succeed();
    const token = ++this.loadToken;
    const t0 = performance.now();
    const client: { c: InferenceClient | null } = { c: null };
    const acquired: string[] = [];
    let attempted: EngineName | null = null;
    try {
      // An invalid value is reported (bad-attribute) and runs as `auto`, never as a worker of its own.
      const backend = await resolveBackend(this.attrs.oneOf('backend', this.backend, BACKENDS, 'auto'));
      attempted = backend;
      let mpRoles: Record<string, 'segment' | 'detect'> = {};
      if (backend === 'mediapipe') {
        const roles = this.mediapipeRoles();
        if (!roles) {
          throw new CvError('backend-unavailable', `backend="mediapipe" is not available for <${this.localName}> with these attributes (it runs <cv-segment> and <cv-classify roi="face">); use auto, wasm or webgpu`);
        }
        mpRoles = roles;
      }
      const ortBackend: BackendName = backend === 'mediapipe' ? 'wasm' : backend;
      // The worker (and its runtime's start-up) first, so they overlap the catalog and model fetches.
      client.c = InferenceClient.for(backend);
      this.watchWorker(client.c, token);
      const needs = await this.expandNeeds(this.modelNeeds());
      if (token !== this.loadToken) return;
      const keys: Record<string, string> = {};
      const entries: Record<string, CatalogEntry | null> = {};
      let threads = 1;
      let fromCache = true;
      let cached = true;
      let precision: string | null = null;
      let cache: CvPaths['cache'] = 'cache-api';
      const timings = { resolveMs: performance.now() - t0, runtimeMs: 0, fetchMs: 0, sessionMs: 0 };
      // When one need fails, Promise.all rejects at once while its siblings are still loading: those
      // release themselves when they arrive (`failed`), or nobody would.
      let failed = false;
      const loadOne = async (need: ModelNeed) => {
        const mpTask = mpRoles[need.role];
        const { spec, entry, precision: p } = mpTask ? await this.mediapipeSpecFor(need.src, mpTask) : await this.loadSpecFor(need.src, ortBackend);
        const key = `${spec.url}#${spec.sha256 ?? ''}`;
        const loaded = await client.c!.load(key, spec, (loaded, total) =>
          token === this.loadToken && this.emit<CvProgressDetail>('cv-progress', { loaded, total, model: need.src }),
        );
        if (failed) return client.c!.release(key);
        acquired.push(key);
        keys[need.role] = key;
        entries[need.role] = entry;
        threads = loaded.threads;
        for (const k of ['runtimeMs', 'fetchMs', 'sessionMs'] as const) timings[k] = Math.max(timings[k], loaded.timings[k]);
        fromCache &&= loaded.fromCache;
        cached &&= loaded.cached;
        precision ??= p;
        if (!loaded.env.cache) cache = 'none';
        this.capture.setWorker(loaded.env);
      };
      await Promise.all(
        needs.map((need) =>
          loadOne(need).catch((e) => {
            failed = true;
            throw e;
          }),
        ),
      );
      if (token !== this.loadToken) {
        acquired.forEach((k) => client.c!.release(k));
        return;
      }
      const next: LoadedModels = { backend, keys, entries, client: client.c };
      await this.prepareModels(next);
      if (token !== this.loadToken) {
        acquired.forEach((k) => client.c!.release(k));
        return;
      }
      const previous = this.models;
      this.models = next;
      this.releaseModels(previous);
      // New models answer for model and run faults only: a camera or attribute fault still stands.
      this.clearFault('model');
      this.clearFault('run');
      this.loadBackoff.succeed();
      this.loadedPaths = { threads, cache };
      const detail: CvReadyDetail = { model: this.src || this.modelNeeds().map((n) => n.src).join('+'), backend, threads, loadMs: performance.now() - t0, precision, fromCache, cached, timings, paths: this.paths };
      this.emit('cv-ready', detail);
      this.loop.reschedule();
      void this.processStill();
    } catch (e) {
      acquired.forEach((k) => client.c?.release(k));
      if (token !== this.loadToken) return;
      const err = toCvError(e, 'model-fetch');
      // WebGPU that would not start, or could not make a session, under `auto`: WASM instead, announced.
      if (attempted === 'webgpu' && this.backend === 'auto' && ['backend-unavailable', 'model-invalid', 'worker', 'inference'].includes(err.code)) {
        this.fallBackToWasm(err.message);
        return;
      }
      this.fail(err, 'model');
      if (err.code === 'worker') this.reloadAfterDeath(attempted);
      else if (err.code === 'timeout' || err.code === 'model-fetch') this.retryLoad(token);
    }
  }

  /** Spacing of automatic retries of a load that failed on the network: 2 s, doubling up to 60 s. */
  private readonly loadBackoff = new FaultBackoff(2_000, 60_000);

  /**
   * A stalled or failed download is usually the network, not the model: try again by itself, spaced.
   * The fault was reported once (fail() de-duplicates); a src change or disconnect moves `loadToken`
   * on, which cancels this retry.
   */
  private retryLoad(token: number): void {
    clearTimeout(this.reloadTimer);
    const wait = this.loadBackoff.fault();
    this.reloadTimer = window.setTimeout(() => this.isConnected && token === this.loadToken && void this.reloadModels(true), wait);
  }

  // ---- worker faults ---------------------------------------------------------------------------

  private unwatchWorker: (() => void) | null = null;
  private reloadTimer = 0;

  /** Follows the worker this load uses: if it dies or hangs, the element reports once and loads again. */
  private watchWorker(client: InferenceClient, token: number): void {
    this.unwatchWorker?.();
    this.unwatchWorker = client.onDeath((err, why) => {
      if (token !== this.loadToken && this.models?.client !== client) return;
      this.onWorkerDeath(client, err, why);
    });
  }

  private onWorkerDeath(client: InferenceClient, err: CvError, why: WorkerDeath): void {
    // The worker took its sessions with it: nothing to release, and no frame may go to it any more.
    if (this.models?.client === client) this.models = null;
    this.loadToken++;
    this.loop.reschedule();
    if (why === 'device-lost' && this.backend === 'auto') {
      this.fallBackToWasm(err.message);
      return;
    }
    this.fail(why === 'device-lost' ? new CvError('backend-unavailable', `${err.message}; backend="webgpu" is retried, use "auto" to fall back to WASM`) : err);
    // No module workers in this browser: a restart would fail the same way.
    if (err.code !== 'not-supported') this.reloadAfterDeath(client.backend);
  }

  private reloadAfterDeath(engine: EngineName | null): void {
    clearTimeout(this.reloadTimer);
    const wait = engine ? noteWorkerDeath(engine) : 1000;
    this.reloadTimer = window.setTimeout(() => this.isConnected && void this.reloadModels(), wait);
  }

  private fallBackToWasm(reason: string): void {
    markWebgpuFailed(reason);
    this.emit<CvBackendChangeDetail>('cv-backend-change', { from: 'webgpu', to: 'wasm', reason });
    void this.reloadModels();
  }

  private releaseModels(models: LoadedModels | null) {
    if (!models) return;
    for (const key of Object.values(models.keys)) models.client.release(key);
  }

  // ---- source ----------------------------------------------------------------------------------

  private get video(): HTMLVideoElement {
    return this.renderRoot.querySelector('video')!;
  }

  private disconnectSource() {
    this.sourceToken++;
    if (this.sourceRetry) own('timer', -1);
    clearTimeout(this.sourceRetry);
    this.sourceRetry = 0;
    this.camera.stop();
    if (this.sourceEl instanceof HTMLImageElement) {
      this.sourceEl.removeEventListener('load', this.onSourceLoad);
      this.sourceEl.removeEventListener('error', this.onSourceError);
      own('listener', -2);
    }
    if (this.hasUpdated) this.video.srcObject = null;
    this.sourceEl = null;
    this.loop.follow(null);
  }

  private async connectSource(): Promise<void> {
    await this.updateComplete;
    this.disconnectSource();
    if (!this.isConnected || this.stopped) return;
    const token = this.sourceToken;
    try {
      if (this.source) {
        const root = this.getRootNode() as Document | ShadowRoot;
        let el: Element | null;
        try {
          el = root.querySelector?.(this.source) ?? document.querySelector(this.source);
        } catch {
          // Not a selector at all: no element will ever match, so no retry.
          throw new CvError('source-not-found', `source="${this.source}" is not a valid CSS selector`);
        }
        if (!el) {
          // The element may be added later: look again shortly, and say why nothing shows meanwhile.
          own('timer');
          this.sourceRetry = window.setTimeout(() => {
            own('timer', -1);
            this.sourceRetry = 0;
            if (token === this.sourceToken) void this.connectSource();
          }, 500);
          throw new CvError('source-not-found', `source="${this.source}" matches no element on the page`);
        }
        if (!(el instanceof HTMLImageElement || el instanceof HTMLVideoElement || el instanceof HTMLCanvasElement)) {
          throw new CvError('bad-attribute', `source must select an <img>, <video> or <canvas>; "${this.source}" is a <${el.localName}>`);
        }
        this.sourceEl = el;
        // A new source element: faults about the one before (not found, failed, tainted) are moot.
        this.clearFault('source');
        if (el instanceof HTMLImageElement) {
          el.addEventListener('load', this.onSourceLoad);
          el.addEventListener('error', this.onSourceError);
          own('listener', 2);
          if (el.complete && el.naturalWidth === 0 && el.src) this.onSourceError();
          this.loop.follow(null);
          void this.processStill();
        } else {
          this.loop.follow(el instanceof HTMLVideoElement ? el : null);
        }
        return;
      }
      // The camera: the controller takes it while the element is watched and calls showStream().
      this.clearError('source-');
      this.camera.restart();
    } catch (e) {
      if (token === this.sourceToken) this.fail(toCvError(e, 'camera-unavailable'), 'source');
    }
  }

  /** The camera's resolution: the attribute when it parses, else the default (with a warning). */
  private cameraSize(): { width: number; height: number } {
    let size: { width: number; height: number } | null = null;
    try {
      size = parseResolution(this.resolution);
    } catch {
      size = null;
    }
    // check() hands back the attribute string when it is valid: the size is the parsed one.
    this.attrs.check('resolution', this.resolution, size !== null, { width: 640, height: 480 }, 'like "640x480"');
    return size ?? { width: 640, height: 480 };
  }

  private validPrecision(): Precision | '' {
    return this.attrs.oneOf('precision', this.precision, PRECISIONS, '');
  }

  /** The camera controller's stream arrives (or goes: null). */
  private async showStream(stream: MediaStream | null): Promise<void> {
    const token = this.sourceToken;
    if (!this.hasUpdated) await this.updateComplete;
    const video = this.video;
    if (!stream) {
      if (video.srcObject) video.srcObject = null;
      if (this.sourceEl === video) this.sourceEl = null;
      this.loop.follow(null);
      return;
    }
    video.srcObject = stream;
    await video.play().catch(() => {});
    if (token !== this.sourceToken || video.srcObject !== stream) return;
    this.sourceEl = video;
    this.clearError('camera');
    this.loop.follow(video);
  }

  // ---- frames ----------------------------------------------------------------------------------

  /** A still copy of the current camera or source frame, or null when there is none yet. */
  protected async captureFrame(): Promise<ImageBitmap | null> {
    const el = this.sourceEl;
    if (!el) return null;
    if (el instanceof HTMLVideoElement && (el.readyState < 2 || !el.videoWidth)) return null;
    if (el instanceof HTMLImageElement && (!el.complete || !el.naturalWidth)) return null;
    if (el instanceof HTMLCanvasElement && (!el.width || !el.height)) return null;
    return createImageBitmap(el);
  }

  /** Runs the model once on a still source (an image), when there is one and nothing else drives it. */
  protected async processStill(): Promise<void> {
    if (this.sourceEl instanceof HTMLImageElement && this.models && !this.paused && !this.stopped) {
      await this.processFrame({ now: performance.now(), mediaTime: 0 });
    }
  }

  private async grab(el: HTMLImageElement | HTMLVideoElement | HTMLCanvasElement, mediaTime: number): Promise<VideoFrame | ImageBitmap | null> {
    if (el instanceof HTMLVideoElement) {
      if (el.readyState < 2 || !el.videoWidth) return null;
      this.setFrameSize(el.videoWidth, el.videoHeight);
      return this.capture.grab(el, mediaTime);
    }
    if (el instanceof HTMLImageElement && (!el.complete || !el.naturalWidth)) return null;
    this.checkOrigin(el);
    const w = el instanceof HTMLImageElement ? el.naturalWidth : el.width;
    const h = el instanceof HTMLImageElement ? el.naturalHeight : el.height;
    if (!w || !h) return null;
    this.setFrameSize(w, h);
    const view = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="view"]')!;
    if (view.width !== w || view.height !== h) Object.assign(view, { width: w, height: h });
    view.getContext('2d')!.drawImage(el, 0, 0);
    return createImageBitmap(el);
  }

  /** What the last origin check passed: an image by its URL, a canvas once per element. */
  private originChecked: WeakMap<object, string> = new WeakMap();

  /**
   * A cross-origin image without CORS (or a canvas it was drawn on) cannot be read: say so as
   * `source-tainted` instead of letting the worker fail on every frame. A 1×1 read, once per image URL.
   */
  private checkOrigin(el: HTMLImageElement | HTMLCanvasElement) {
    const id = el instanceof HTMLImageElement ? el.currentSrc || el.src : 'canvas';
    if (this.originChecked.get(el) === id) return;
    const ctx = new OffscreenCanvas(1, 1).getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(el, 0, 0, 1, 1);
    try {
      ctx.getImageData(0, 0, 1, 1);
    } catch {
      throw new CvError('source-tainted', `source="${this.source}" is cross-origin without CORS (add crossorigin and an Access-Control-Allow-Origin header), so its pixels cannot be read`);
    }
    this.originChecked.set(el, id);
    this.clearError('source-tainted');
  }

  private setFrameSize(width: number, height: number) {
    if (this.frameSize.width === width && this.frameSize.height === height) return;
    this.frameSize = { width, height };
    const overlay = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]');
    if (overlay) Object.assign(overlay, { width, height });
    this.requestUpdate();
  }

  private async processFrame(tick: FrameTick): Promise<void> {
    const models = this.models;
    const el = this.sourceEl;
    if (!models || !el || this.runBackoff.waiting) return;
    let frame: VideoFrame | ImageBitmap | null = null;
    try {
      frame = await this.grab(el, tick.mediaTime);
      if (!frame) return;
      own('videoFrame');
      const request = this.buildRequest(models);
      const sent = frame;
      frame = null; // the worker owns and closes it now
      const sentAt = performance.now();
      own('videoFrame', -1); // transferred
      let answer;
      try {
        answer = await models.client.run(request, sent);
      } catch (e) {
        // A VideoFrame this engine cannot send or use in the worker: the next frame goes as an ImageBitmap.
        if (toCvError(e, 'inference').code === 'inference' && this.capture.runFailed(sent)) return;
        throw e;
      }
      this.capture.sent(sent);
      const { result, inferenceMs, phases } = answer;
      const bitmaps = (result as { bitmaps?: ImageBitmap[] }).bitmaps;
      own('imageBitmap', bitmaps?.length ?? 0);
      if (this.models !== models || !this.isConnected) {
        bitmaps?.forEach(closeBitmap); // a result nobody will paint: its bitmaps are ours to free
        return;
      }
      const receivedAt = performance.now();
      this.paint(result as R);
      const latencyMs = performance.now() - tick.now;
      this.frameCount++;
      this.updateStats(latencyMs, inferenceMs);
      const origin = performance.timeOrigin;
      Object.assign(this.stats.phases, {
        grabMs: sentAt - tick.now,
        toWorkerMs: phases.receivedAt - origin - sentAt,
        waitMs: phases.startedAt - phases.receivedAt,
        runMs: phases.runMs,
        pipelineMs: phases.pipelineMs,
        resizeMs: phases.resizeMs,
        compositeMs: phases.compositeMs,
        backMs: receivedAt - (phases.postedAt - origin),
        paintMs: performance.now() - receivedAt,
      });
      const detail = { frame: this.frameCount, timestamp: tick.now, latencyMs, inferenceMs, ...this.publicResult(result as R) } as CvResultBase & Public;
      this.result = detail;
      this.runBackoff.succeed();
      this.clearFault('run');
      this.emit('cv-result', detail);
    } catch (e) {
      if (frame) {
        frame.close();
        own('videoFrame', -1);
      }
      if (this.models !== models) return;
      const err = toCvError(e, 'inference');
      // A learn head with no examples yet is a state, not a fault: predictions start with the first example.
      if (err.code !== 'no-examples') this.runBackoff.fault();
      this.fail(err, 'run');
    }
  }

  private updateStats(latencyMs: number, inferenceMs: number) {
    const now = performance.now();
    this.fpsWindow.push(now);
    while (this.fpsWindow.length && this.fpsWindow[0]! < now - 1000) this.fpsWindow.shift();
    const s = this.stats;
    s.fps = this.fpsWindow.length;
    s.latencyMs = latencyMs;
    s.inferenceMs = inferenceMs;
    s.dropped = this.loop.dropped;
    s.frames = this.frameCount;
  }

  // ---- events and errors -----------------------------------------------------------------------

  protected emit<T>(type: string, detail: T): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  private readonly runBackoff = new FaultBackoff();

  /**
   * Shows the fault in the element and fires `cv-error`; what was running keeps running. `cause` files it
   * (by default from its code: source, model, run, attribute) so that only a fix of the same cause clears it.
   */
  protected fail(err: CvError, cause?: string): void {
    // Codes are strings from the closed list, never a DOMException's number.
    const coded = toCvError(err, 'inference');
    // The same fault again (every frame of a broken run) is not news: one event until it clears.
    if (!this.faults.set(coded, cause)) return;
    this.errorMessage = this.faults.shown?.message ?? '';
    const detail: CvErrorDetail = { code: coded.code, message: coded.message };
    this.emit('cv-error', detail);
  }

  /** Clears the shown faults whose code starts with `prefix` (all for ''). */
  protected clearError(prefix = ''): void {
    if (this.faults.clearCode(prefix)) this.errorMessage = this.faults.shown?.message ?? '';
  }

  /** Clears the faults filed under `cause`. */
  protected clearFault(cause: string): void {
    if (this.faults.clear(cause)) this.errorMessage = this.faults.shown?.message ?? '';
  }
}
