import { html, type PropertyValues, type TemplateResult } from 'lit';
import { CvError } from '../../events/cv-error.js';
import { cssColorToRgb, MaskCompositor, type SegmentEffect } from '../../overlay/mask-compositor.js';
import type { SegmentResult } from '../../tasks/segment/pipeline.js';
import type { PipelineRequest } from '../../worker/protocol.js';
import { CvElement, type LoadedModels, type ModelNeed } from '../cv-element.js';

export interface SegmentOutput {
  width: number;
  height: number;
  /** Share of the mask's pixels that are foreground (person). */
  foreground: number;
}

export const DEFAULT_SEGMENTER = 'selfie-segmentation';
const EFFECTS: SegmentEffect[] = ['mask', 'blur', 'replace', 'none'];

/**
 * `<cv-segment>`: a person mask for the live frame, composited on the GPU.
 *
 * @attr effect - `mask` (tint the person, default), `blur` (blur the background), `replace`, `none`
 * @attr background - for `replace`: an image URL or a CSS colour
 * @attr threshold - mask probability that counts as foreground, 0.5 by default
 * @attr opacity - tint strength for `mask`, 0.5 by default
 * @csspart composite - the WebGL2 canvas with the effect
 */
export class CvSegment extends CvElement<SegmentResult, SegmentOutput> {
  static override properties = {
    ...CvElement.properties,
    effect: { type: String, reflect: true },
    background: { type: String },
    threshold: { type: Number },
    opacity: { type: Number },
  };

  declare effect: SegmentEffect;
  declare background: string;
  declare threshold: number;
  declare opacity: number;

  private compositor: MaskCompositor | null = null;
  private lastMask: SegmentResult | null = null;
  private backgroundToken = 0;

  constructor() {
    super();
    this.effect = 'mask';
    this.background = '';
    this.threshold = 0.5;
    this.opacity = 0.5;
  }

  protected override modelNeeds(): ModelNeed[] {
    return [{ role: 'segmenter', src: this.src || DEFAULT_SEGMENTER }];
  }

  protected override mediapipeRoles(): Record<string, 'segment' | 'detect'> {
    return { segmenter: 'segment' };
  }

  protected override buildRequest(models: LoadedModels): PipelineRequest {
    return { task: 'segment', segmenter: models.keys.segmenter!, threshold: this.threshold };
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

  protected override updated(changed: PropertyValues): void {
    super.updated(changed);
    if (changed.has('effect') && !EFFECTS.includes(this.effect)) {
      this.fail(new CvError('bad-attribute', `effect must be one of ${EFFECTS.join(', ')}; got "${this.effect}"`));
    }
    if (changed.has('background')) void this.loadBackground();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.compositor?.dispose();
    this.compositor = null;
  }

  private ensureCompositor(): MaskCompositor | null {
    if (this.compositor) return this.compositor;
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas[part~="composite"]');
    if (!canvas) return null;
    try {
      this.compositor = new MaskCompositor(canvas);
      void this.loadBackground();
    } catch (e) {
      this.fail(new CvError('backend-unavailable', `The mask cannot be drawn: ${(e as Error).message}`));
    }
    return this.compositor;
  }

  private async loadBackground() {
    const token = ++this.backgroundToken;
    const comp = this.compositor;
    if (!comp) return;
    const value = this.background.trim();
    if (!value) return comp.setBackground([0.1, 0.1, 0.12]);
    const color = /^(#|rgb|hsl|[a-z]+$)/i.test(value) ? cssColorToRgb(value) : null;
    if (color) return comp.setBackground(color);
    try {
      const img = new Image();
      img.crossOrigin = 'anonymous';
      img.src = new URL(value, document.baseURI).href;
      await img.decode();
      if (token === this.backgroundToken) comp.setBackground(img);
      this.clearError('source-unavailable');
    } catch {
      if (token === this.backgroundToken) this.fail(new CvError('source-unavailable', `background "${value}" is neither a CSS colour nor an image that loads`));
    }
  }

  protected override paint(result: SegmentResult): void {
    // The composite canvas is hidden until the first mask exists: show it now.
    if (!this.lastMask) this.requestUpdate();
    this.lastMask = result;
    const frameEl = this.effect === 'none' ? null : this.frameElement();
    const comp = frameEl ? this.ensureCompositor() : null;
    if (!comp || !frameEl) return;
    comp.setMask(result.mask, result.width, result.height);
    comp.draw(frameEl, this.frameSize.width, this.frameSize.height, this.effect, this.threshold, this.opacity);
  }

  /** What the composite samples: the live video, or the copy of the `source` image. */
  private frameElement(): HTMLVideoElement | HTMLCanvasElement | null {
    return this.renderRoot.querySelector<HTMLVideoElement | HTMLCanvasElement>(this.source ? 'canvas[part~="view"]' : 'video');
  }

  protected override snapshotLayers(): CanvasImageSource[] {
    const layers = super.snapshotLayers();
    if (this.compositor && this.effect !== 'none') layers.push(this.compositor.canvas);
    return layers;
  }

  protected override publicResult(result: SegmentResult): SegmentOutput {
    return { width: result.width, height: result.height, foreground: result.foreground };
  }

  protected override renderExtras(): TemplateResult {
    return html`<canvas part="composite" ?hidden=${this.effect === 'none' || !this.lastMask}></canvas>`;
  }
}
