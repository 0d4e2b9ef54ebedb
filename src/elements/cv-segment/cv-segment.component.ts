import { html, type PropertyValues, type TemplateResult } from 'lit';
import { LatestRun } from '../../controllers/latest-run.js';
import type { MediapipeKind } from '../../runtime/types.js';
import { keyed } from 'lit/directives/keyed.js';
import { CvError } from '../../events/cv-error.js';
import { toCvError } from '../../errors.js';
import { own } from '../../page/resources.js';
import { createCompositor, cssColorToRgb, isCssColor, type Compositor, type SegmentEffect } from '../../overlay/compositor.js';
import type { BlurPath } from '../../overlay/blur-fallback.js';
import type { CvPaths } from '../../events/cv-ready.js';
import type { SegmentResult } from '../../tasks/segment/pipeline.js';
import type { PipelineRequest } from '../../worker/protocol.js';
import type { InferenceClient } from '../../page/worker-client.js';
import { CvElement } from '../cv-element.js';
import type { LoadedModels, ModelNeed } from '../../controllers/models-controller.js';
import type { CvResultBase } from '../../events/cv-result.js';
import type { CvSegmentEventMap } from '../../frameworks/elements.generated.js';

export interface SegmentOutput {
  width: number;
  height: number;
  /** Share of the mask's pixels that are foreground (person). */
  foreground: number;
}

export const DEFAULT_SEGMENTER = 'selfie-segmentation';
const EFFECTS: SegmentEffect[] = ['mask', 'blur', 'replace', 'none'];

let nextTarget = 1;

/**
 * `<cv-segment>`: a person mask for the live frame, composited on the GPU.
 *
 * The composite is drawn in the inference worker: the composite canvas is handed over as an
 * OffscreenCanvas, and the worker draws the frame the mask was made from right after inference, so
 * mask and picture always match and the page's main thread does no GL work. Where a browser cannot
 * hand a canvas over (no `transferControlToOffscreen`, or no WebGL2 in workers) the page composites.
 *
 * @attr effect - `mask` (tint the person, default), `blur` (blur the background), `replace`, `none`
 * @attr background - for `replace`: an image URL or a CSS colour
 * @attr threshold - mask probability that counts as foreground, 0.5 by default
 * @attr opacity - tint strength for `mask`, 0.5 by default
 * @attr classes - multi-class segmenters (a softmax/logits output with one channel per class, or an ArgMax
 *   output of class indices): the class indices that count as foreground, comma-separated (`15`, `1,2,3`);
 *   empty counts every class but 0 (background). With `effect="mask"` each class is tinted in its own
 *   colour (class k: green, red, blue, yellow, violet, cyan, pink, lime for k mod 8). One-class models ignore it
 * @event {CvResultEvent<SegmentOutput>} cv-result - a frame's mask summary: `{frame, timestamp, latencyMs, inferenceMs, width, height, foreground}`
 * @csspart composite - the WebGL2 canvas with the effect
 */
export class CvSegment extends CvElement<SegmentResult, SegmentOutput> {
  static override properties = {
    ...CvElement.properties,
    effect: { type: String, reflect: true },
    background: { type: String },
    threshold: { type: Number },
    opacity: { type: Number },
    classes: { type: String },
  };

  /** The latest result, as in the last `cv-result`. */
  declare result: (CvResultBase & SegmentOutput) | null;

  declare effect: SegmentEffect;
  declare background: string;
  declare threshold: number;
  declare opacity: number;
  /** Multi-class models: foreground class indices, comma-separated (`"15"`, `"1,2,3"`); empty = every class but 0. */
  declare classes: string;

  /** The page-side compositor, used only where the worker cannot draw. */
  private compositor: Compositor | null = null;
  private lastMask: SegmentResult | null = null;
  /** The background being loaded: a newer `background` aborts the one before. */
  private readonly backgroundRun = new LatestRun();
  /** This element's compositor in the worker. */
  private readonly target = `cv-segment-${nextTarget++}`;
  /** Where compositing happens now: in a worker, on the page, or not decided yet. */
  private compositeMode: { kind: 'worker'; client: InferenceClient } | { kind: 'page' } | null = null;
  private workerKind: { kind: 'webgl2' | '2d'; blur: BlurPath } | null = null;

  /**
   * Where the composite is drawn (`worker`, or `page` where a canvas cannot be handed over), how
   * (`webgl2`, or `2d` where WebGL is missing or software-rendered), and how `blur` blurs (`webgl`, the 2D
   * `canvas-filter`, or a `downscale` chain where the browser has no canvas filter); null before there is a compositor.
   */
  get compositing(): { where: 'worker' | 'page'; kind: 'webgl2' | '2d'; blur: BlurPath } | null {
    const mode = this.compositeMode;
    if (mode?.kind === 'worker' && this.workerKind) return { where: 'worker', ...this.workerKind };
    if (mode?.kind === 'page' && this.compositor) return { where: 'page', kind: this.compositor.kind, blur: this.compositor.blur };
    return null;
  }

  protected override taskPaths(): Partial<CvPaths> {
    const c = this.compositing;
    return c ? { compositing: `${c.where}-${c.kind === 'webgl2' ? 'webgl' : '2d'}`, blur: c.blur } : {};
  }
  /** The page composites from now on: the worker could not draw on a handed-over canvas. */
  private pageOnly = false;
  /** A canvas handed over (or given a context) cannot be reused: a new generation renders a fresh one. */
  private canvasGen = 0;
  private canvasUsed = false;

  constructor() {
    super();
    this.effect = 'mask';
    this.background = '';
    this.threshold = 0.5;
    this.opacity = 0.5;
    this.classes = '';
  }

  protected override modelNeeds(): ModelNeed[] {
    return [{ role: 'segmenter', src: this.src || DEFAULT_SEGMENTER }];
  }

  protected override mediapipeRoles(): Record<string, MediapipeKind> {
    return { segmenter: 'segment' };
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    const mode = this.compositeMode;
    const effect = this.validEffect();
    const inWorker = mode?.kind === 'worker' && mode.client === models.client && effect !== 'none';
    return {
      task: 'segment',
      segmenter: models.keys.segmenter!,
      threshold: this.validThreshold(),
      classes: this.validClasses(),
      ...(inWorker ? { composite: { target: this.target, effect, opacity: this.validOpacity() } } : {}),
    };
  }

  /** New models may live in a new worker: the composite canvas goes with them. */
  protected override async prepareModels(models: LoadedModels): Promise<void> {
    await this.placeCompositor(models.client);
  }

  private async placeCompositor(client: InferenceClient): Promise<void> {
    const mode = this.compositeMode;
    if (mode?.kind === 'worker' && mode.client === client) return;
    if (mode?.kind === 'page') return;
    this.releaseCompositor();
    await this.freshCanvas();
    const canvas = this.compositeCanvas();
    if (this.pageOnly || !canvas || typeof canvas.transferControlToOffscreen !== 'function') {
      this.compositeMode = { kind: 'page' };
      this.ensureCompositor(); // now, so cv-ready can say how it draws
      return;
    }
    this.canvasUsed = true;
    try {
      this.workerKind = await client.attachCompositor(this.target, canvas.transferControlToOffscreen());
      this.compositeMode = { kind: 'worker', client };
      void this.loadBackground();
    } catch {
      // No WebGL2 in workers here: composite on the page, on a canvas that was never handed over.
      this.pageOnly = true;
      await this.freshCanvas();
      this.compositeMode = { kind: 'page' };
      this.ensureCompositor();
    }
  }

  private async freshCanvas(): Promise<void> {
    if (!this.canvasUsed) return;
    this.canvasGen++;
    this.canvasUsed = false;
    this.requestUpdate();
    await this.updateComplete;
  }

  private releaseCompositor(): void {
    const mode = this.compositeMode;
    if (mode?.kind === 'worker') mode.client.detachCompositor(this.target);
    this.compositor?.dispose();
    this.compositor = null;
    this.compositeMode = null;
  }

  private compositeCanvas(): HTMLCanvasElement | null {
    return this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="composite"]');
  }

  /** The last mask as ImageData: foreground probability in every channel, alpha 255. */
  async readMask(): Promise<ImageData> {
    const m = this.lastMask;
    if (!m) throw new CvError('no-frame', 'No mask yet: wait for the first cv-result');
    const data = new Uint8ClampedArray(m.width * m.height * 4);
    for (let i = 0; i < m.mask.length; i++) {
      data[i * 4] = data[i * 4 + 1] = data[i * 4 + 2] = m.mask[i]!;
      data[i * 4 + 3] = 255;
    }
    return new ImageData(data, m.width, m.height);
  }

  private validEffect(): SegmentEffect {
    return this.attrs.oneOf('effect', this.effect, EFFECTS, 'mask');
  }

  private validThreshold(): number {
    return this.attrs.number('threshold', this.threshold, 0.5, { min: 0, max: 1 });
  }

  /** `classes` as indices: non-negative integers, comma-separated; a bad list falls back to null (every class but 0). */
  private validClasses(): number[] | null {
    const text = (this.classes ?? '').trim();
    if (!text) {
      this.attrs.check('classes', text, true, null, ''); // clears an earlier bad value
      return null;
    }
    const parts = text.split(',').map((p) => p.trim());
    const ok = parts.every((p) => /^\d+$/.test(p) && Number(p) < 256);
    return this.attrs.check('classes', text, ok, null, 'comma-separated class indices 0…255 (e.g. "15" or "1,2,3")') ? parts.map(Number) : null;
  }

  private validOpacity(): number {
    return this.attrs.number('opacity', this.opacity, 0.5, { min: 0, max: 1 });
  }

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (changed.has('effect')) this.validEffect();
    if (changed.has('background')) void this.loadBackground();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.releaseCompositor();
  }

  private ensureCompositor(): Compositor | null {
    if (this.compositor) return this.compositor;
    const canvas = this.compositeCanvas();
    if (!canvas) return null;
    try {
      this.canvasUsed = true;
      this.compositor = createCompositor(canvas);
      void this.loadBackground();
    } catch (e) {
      this.fail(new CvError('backend-unavailable', `The mask cannot be drawn: ${(e as Error).message}`));
    }
    return this.compositor;
  }

  private async loadBackground() {
    const run = this.backgroundRun.start();
    const mode = this.compositeMode;
    const comp = this.compositor;
    const set = (bg: HTMLImageElement | [number, number, number]) => {
      if (mode?.kind === 'worker') {
        // A background the worker could not set is reported once; the old one stays and frames keep coming.
        const failed = (e: unknown) => this.fail(toCvError(e, 'inference'), 'background');
        if (Array.isArray(bg)) mode.client.setCompositorBackground(this.target, bg).catch(failed);
        else void createImageBitmap(bg).then((b) => mode.client.setCompositorBackground(this.target, b)).catch(failed); // transferred: the worker frees it
      } else comp?.setBackground(bg);
    };
    if (mode?.kind !== 'worker' && !comp) return;
    const value = this.background.trim();
    if (!value) return set([0.1, 0.1, 0.12]);
    // Any CSS colour (oklch(), color-mix(), named, #abc) is a colour, by the browser's own parser: never a URL to fetch.
    if (isCssColor(value)) {
      const color = cssColorToRgb(value);
      if (color) {
        this.clearFault('background');
        return set(color);
      }
    }
    try {
      const img = new Image();
      img.crossOrigin = 'anonymous';
      img.src = new URL(value, document.baseURI).href;
      await img.decode();
      if (!run.aborted) set(img);
      this.clearFault('background');
    } catch {
      if (!run.aborted) this.fail(new CvError('source-unavailable', `background "${value}" is neither a CSS colour nor an image that loads`), 'background');
    }
  }

  protected override paint(result: SegmentResult): void {
    // The composite canvas is hidden until the first mask exists: show it now.
    if (!this.lastMask) this.requestUpdate();
    this.lastMask = result;
    // In the worker it is drawn already.
    if (this.compositeMode?.kind !== 'page') return;
    const effect = this.validEffect();
    if (effect === 'none') return;
    const frameEl = this.frameElement();
    const comp = frameEl ? this.ensureCompositor() : null;
    if (!comp || !frameEl) return;
    comp.setMask(result.mask, result.width, result.height, result.classMap);
    comp.draw(frameEl, this.frameSize.width, this.frameSize.height, effect, this.validThreshold(), this.validOpacity());
  }

  /** What the composite samples: the live video, or the copy of the `source` image. */
  private frameElement(): HTMLVideoElement | HTMLCanvasElement | null {
    return this.renderRoot.querySelector<HTMLVideoElement | HTMLCanvasElement>(this.source ? 'canvas[part~="view"]' : 'video');
  }

  protected override async snapshotLayers(): Promise<CanvasImageSource[]> {
    const layers = await super.snapshotLayers();
    if (this.effect === 'none' || !this.lastMask) return layers;
    const mode = this.compositeMode;
    if (mode?.kind === 'worker') {
      const bitmap = await mode.client.compositorSnapshot(this.target);
      if (bitmap) {
        own('imageBitmap');
        layers.push(bitmap);
      }
    } else if (this.compositor) layers.push(this.compositor.canvas as HTMLCanvasElement);
    return layers;
  }

  protected override publicResult(result: SegmentResult): SegmentOutput {
    return { width: result.width, height: result.height, foreground: result.foreground };
  }

  protected override renderExtras(): TemplateResult {
    return html`${keyed(this.canvasGen, html`<canvas part="composite" ?hidden=${this.effect === 'none' || !this.lastMask}></canvas>`)}`;
  }
}

/** Typed listeners: `addEventListener('cv-result', (e) => e.detail…)` knows this element's detail. */
export interface CvSegment {
  addEventListener<K extends keyof CvSegmentEventMap>(type: K, listener: (this: CvSegment, ev: CvSegmentEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvSegment, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CvSegmentEventMap>(type: K, listener: (this: CvSegment, ev: CvSegmentEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvSegment, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
