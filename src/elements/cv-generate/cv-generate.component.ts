import { html, type TemplateResult } from 'lit';
import { CvError } from '../../events/cv-error.js';
import type { GenerateResult } from '../../tasks/generate/pipeline.js';
import type { PipelineRequest } from '../../worker/protocol.js';
import { closeBitmap } from '../../page/resources.js';
import { CvElement } from '../cv-element.js';
import type { LoadedModels, ModelNeed } from '../../controllers/models-controller.js';
import { walkTime } from './reduced-motion.js';
import type { CvResultBase } from '../../events/cv-result.js';
import type { CvGenerateEventMap } from '../../frameworks/elements.generated.js';

export interface GenerateOutput {
  width: number;
  height: number;
  /** How many images were generated. */
  images: number;
}

export const DEFAULT_GENERATOR = 'vae';

/**
 * `<cv-generate>`: images generated from the live frame (VAE variants, ESRGAN upscales) or from a
 * latent walk in time (DCGAN), drawn in a strip over the bottom of the frame. Under
 * `prefers-reduced-motion: reduce` the walk does not animate: it holds each point for a few seconds.
 *
 * @attr variants - how many images, 4 by default (1–16)
 * @attr seed - seed of the sampled latents; the same seed gives the same images
 * @attr temperature - spread of the samples around the frame's latent (VAE) or of the walk (DCGAN), 1 by default
 * @event {CvResultEvent<GenerateOutput>} cv-result - a frame's images: `{frame, timestamp, latencyMs, inferenceMs, width, height, images}`
 */
export class CvGenerate extends CvElement<GenerateResult, GenerateOutput> {
  static override properties = {
    ...CvElement.properties,
    variants: { type: Number },
    seed: { type: Number },
    temperature: { type: Number },
  };

  /** The latest result, as in the last `cv-result`. */
  declare result: (CvResultBase & GenerateOutput) | null;

  declare variants: number;
  declare seed: number;
  declare temperature: number;
  private last: GenerateResult | null = null;

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // The painted images' bitmaps go with the element (readImages() works from the pixels, not these).
    this.last?.bitmaps?.forEach(closeBitmap);
    if (this.last) this.last = { ...this.last, bitmaps: [] };
  }
  private readonly startedAt = performance.now();

  constructor() {
    super();
    this.variants = 4;
    this.seed = 1;
    this.temperature = 1;
  }

  protected override modelNeeds(): ModelNeed[] {
    return [{ role: 'generator', src: this.src || DEFAULT_GENERATOR }];
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    const variants = Math.max(1, Math.min(16, Math.floor(this.variants || 1)));
    const seed = Number.isFinite(this.seed) ? this.seed : 1;
    const temperature = Number.isFinite(this.temperature) ? Math.max(0, this.temperature) : 1;
    if (models.keys.encoder && models.keys.decoder) {
      return { task: 'generate', kind: 'vae', encoder: models.keys.encoder, decoder: models.keys.decoder, variants, seed, temperature };
    }
    const entry = models.entries.generator;
    const latent = !entry?.input || entry.input.shape.length === 2;
    if (latent) {
      return { task: 'generate', kind: 'noise', generator: models.keys.generator!, variants, seed, temperature, time: walkTime((performance.now() - this.startedAt) / 1000) };
    }
    return { task: 'generate', kind: 'image', generator: models.keys.generator!, variants };
  }

  /** The last generated images as ImageBitmaps (the caller owns and should close them). */
  async readImages(): Promise<ImageBitmap[]> {
    const r = this.last;
    if (!r) throw new CvError('no-frame', 'No images yet: wait for the first cv-result');
    return Promise.all(r.images.map((px) => createImageBitmap(new ImageData(new Uint8ClampedArray(px), r.width, r.height))));
  }

  protected override paint(result: GenerateResult): void {
    this.last?.bitmaps?.forEach(closeBitmap);
    this.last = result;
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="overlay"]')!;
    const ctx = canvas.getContext('2d')!;
    const { width: W, height: H } = canvas;
    ctx.clearRect(0, 0, W, H);
    const n = result.images.length;
    if (!n) return;
    const gap = Math.round(W * 0.01);
    const tile = Math.min((W - gap * (n + 1)) / n, H * 0.45);
    const y = H - tile - gap;
    ctx.imageSmoothingEnabled = result.width >= 64;
    // The worker sends every image as a bitmap too, so painting is a drawImage per image.
    result.bitmaps?.forEach((bitmap, i) => {
      const x = gap + i * (tile + gap) + (W - n * tile - (n + 1) * gap) / 2;
      ctx.fillStyle = 'rgba(0,0,0,0.5)';
      ctx.fillRect(x - 2, y - 2, tile + 4, tile + 4);
      ctx.drawImage(bitmap, x, y, tile, tile);
    });
    if (result.crops) {
      ctx.strokeStyle = 'rgba(255,255,255,0.7)';
      ctx.lineWidth = Math.max(1, W / 400);
      ctx.setLineDash([6, 4]);
      for (const c of result.crops) ctx.strokeRect(this.mirrored ? W - c.x - c.width : c.x, c.y, c.width, c.height);
      ctx.setLineDash([]);
    }
  }

  protected override publicResult(result: GenerateResult): GenerateOutput {
    return { width: result.width, height: result.height, images: result.images.length };
  }

  protected override renderExtras(): TemplateResult {
    return html``;
  }
}

/** Typed listeners: `addEventListener('cv-result', (e) => e.detail…)` knows this element's detail. */
export interface CvGenerate {
  addEventListener<K extends keyof CvGenerateEventMap>(type: K, listener: (this: CvGenerate, ev: CvGenerateEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvGenerate, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof CvGenerateEventMap>(type: K, listener: (this: CvGenerate, ev: CvGenerateEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: CvGenerate, ev: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
