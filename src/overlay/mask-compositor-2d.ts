import { CvError } from '../errors.js';
/**
 * The mask compositor for machines whose WebGL is software-rendered, on a 2D canvas the CPU draws.
 * Measured on SwiftShader in a worker, the WebGL compositor's 640×480 blur held the worker for ~120 ms
 * a frame (mip chain and ten taps a pixel in software); this one downsamples instead of filtering:
 *
 * - `mask`: the tint at mask resolution (256×256 for the selfie model), CSS stretches it over the video;
 * - `blur`: the frame, with over it a small blurred copy stretched back where the background is (the canvas
 *   `filter` at 1/4 size, or a halving chain where `filter` is missing: blur-fallback.ts);
 * - `replace`: a colour or an image behind the person.
 *
 * The person is the frame kept where the mask's alpha is, a `destination-in` draw of the mask stretched
 * to the frame, so edges stay as soft as the mask.
 */
import { CLASS_COLORS, type Compositor, type SegmentEffect } from './types.js';
import { BackgroundBlur } from './blur-fallback.js';

type Canvas2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

/** The WebGL compositor's tints as bytes: entry 0 is the single-class one. */
const TINTS = CLASS_COLORS.map((c) => c.map((v) => Math.round(v * 255)));

export class MaskCompositor2D implements Compositor {
  readonly kind = '2d';
  private readonly ctx: Canvas2D;
  private mask: { data: Uint8Array; width: number; height: number; classes?: Uint8Array } | null = null;
  /** The mask as alpha (and tint) at mask resolution. */
  private alpha = new OffscreenCanvas(1, 1);
  private alphaCtx = this.alpha.getContext('2d')!;
  private person = new OffscreenCanvas(1, 1);
  private personCtx = this.person.getContext('2d')!;
  private readonly blurrer = new BackgroundBlur();
  /** How `blur` blurs here: the canvas `filter`, or a `downscale` chain where the engine has none. */
  readonly blur = this.blurrer.path;
  private bg: ImageBitmap | HTMLImageElement | [number, number, number] = [0, 0, 0];

  constructor(readonly canvas: HTMLCanvasElement | OffscreenCanvas) {
    const ctx = canvas.getContext('2d') as Canvas2D | null;
    if (!ctx) throw new CvError('backend-unavailable', '2D canvas is not available');
    this.ctx = ctx;
  }

  setBackground(bg: TexImageSource | [number, number, number]): void {
    if (typeof ImageBitmap !== 'undefined' && this.bg instanceof ImageBitmap && this.bg !== bg) this.bg.close();
    if (Array.isArray(bg)) this.bg = bg.map((v) => Math.round(v * 255)) as [number, number, number];
    else if ((typeof ImageBitmap !== 'undefined' && bg instanceof ImageBitmap) || (typeof HTMLImageElement !== 'undefined' && bg instanceof HTMLImageElement)) this.bg = bg;
    else throw new TypeError('The 2D compositor takes an ImageBitmap, an <img> or a colour as background');
  }

  setMask(data: Uint8Array, width: number, height: number, classes?: Uint8Array): void {
    this.mask = { data, width, height, classes };
  }

  draw(frame: TexImageSource, width: number, height: number, effect: Exclude<SegmentEffect, 'none'>, threshold: number, opacity: number): void {
    const m = this.mask;
    if (!m) return;
    this.paintAlpha(m, effect, threshold, opacity);
    const ctx = this.ctx;
    if (effect === 'mask') {
      resize(this.canvas, m.width, m.height);
      ctx.clearRect(0, 0, m.width, m.height);
      ctx.drawImage(this.alpha, 0, 0);
      return;
    }
    resize(this.canvas, width, height);
    if (effect === 'blur') {
      // The frame, then over it the background blurred (small, stretched back) and cut out where the
      // person is, at mask resolution: two full-size draws.
      ctx.globalCompositeOperation = 'source-over';
      ctx.drawImage(frame as CanvasImageSource, 0, 0, width, height);
      const small = this.blurrer.blur(this.canvas, width, height);
      resize(this.person, m.width, m.height);
      const b = this.personCtx;
      b.globalCompositeOperation = 'source-over';
      b.clearRect(0, 0, m.width, m.height);
      b.imageSmoothingQuality = 'high';
      b.drawImage(small, 0, 0, m.width, m.height);
      b.globalCompositeOperation = 'destination-out';
      b.drawImage(this.alpha, 0, 0);
      ctx.drawImage(this.person, 0, 0, width, height);
      return;
    }
    resize(this.person, width, height);
    const p = this.personCtx;
    p.globalCompositeOperation = 'source-over';
    p.clearRect(0, 0, width, height);
    p.drawImage(frame as CanvasImageSource, 0, 0, width, height);
    if (Array.isArray(this.bg)) {
      ctx.fillStyle = `rgb(${this.bg.join(',')})`;
      ctx.fillRect(0, 0, width, height);
    } else {
      ctx.drawImage(this.bg, 0, 0, width, height);
    }
    p.globalCompositeOperation = 'destination-in';
    p.imageSmoothingQuality = 'low';
    p.drawImage(this.alpha, 0, 0, width, height);
    ctx.drawImage(this.person, 0, 0);
  }

  /** The mask through the threshold's soft step (as the WebGL shader does) into the alpha canvas. */
  private paintAlpha(m: { data: Uint8Array; width: number; height: number; classes?: Uint8Array }, effect: string, threshold: number, opacity: number) {
    resize(this.alpha, m.width, m.height);
    const img = this.alphaCtx.createImageData(m.width, m.height);
    const px = img.data;
    const lo = (threshold - 0.15) * 255;
    const span = 0.3 * 255;
    const tint = effect === 'mask';
    const scale = tint ? opacity * 255 : 255;
    for (let i = 0, n = m.data.length; i < n; i++) {
      let t = (m.data[i]! - lo) / span;
      t = t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
      const o = i * 4;
      if (tint) {
        const c = TINTS[m.classes ? m.classes[i]! % 8 : 0]!;
        px[o] = c[0]!;
        px[o + 1] = c[1]!;
        px[o + 2] = c[2]!;
      }
      px[o + 3] = t * scale;
    }
    this.alphaCtx.putImageData(img, 0, 0);
  }

  snapshot(): Promise<ImageBitmap> {
    return createImageBitmap(this.canvas);
  }

  dispose(): void {
    if (typeof ImageBitmap !== 'undefined' && this.bg instanceof ImageBitmap) this.bg.close();
    this.mask = null;
  }
}

function resize(c: HTMLCanvasElement | OffscreenCanvas, width: number, height: number) {
  if (c.width !== width || c.height !== height) Object.assign(c, { width, height });
}
