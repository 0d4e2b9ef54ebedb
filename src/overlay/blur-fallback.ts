/**
 * Background blur for the 2D compositor, in whichever way this browser can: the Canvas2D `filter`
 * (a true Gaussian, cheap at a quarter of the size) where it works, else a chain of halvings and
 * doublings, for engines without `filter` (Safari/WebKit) or with one that ignores blur.
 */

export type BlurPath = 'webgl' | 'canvas-filter' | 'downscale';

type Ctx2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
type AnyCanvas = OffscreenCanvas | HTMLCanvasElement;

/** A canvas that works on the page and in a worker (a page without OffscreenCanvas gets a DOM canvas). */
export function scratchCanvas(width = 1, height = 1): AnyCanvas {
  if (typeof OffscreenCanvas === 'function') return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement('canvas'), { width, height });
}

let filterWorks: boolean | undefined;

/**
 * Whether `ctx.filter = 'blur()'` really blurs, probed once per thread by drawing: WebKit has no
 * `filter` (the property stays undefined), and an engine could keep the value yet draw sharp.
 */
export function canvasFilterBlurs(): boolean {
  if (filterWorks !== undefined) return filterWorks;
  try {
    const ctx = scratchCanvas(9, 9).getContext('2d', { willReadFrequently: true }) as Ctx2D | null;
    if (!ctx) return (filterWorks = false);
    ctx.filter = 'blur(2px)';
    ctx.fillStyle = '#fff';
    ctx.fillRect(4, 4, 1, 1);
    // A sharp dot leaves (2, 4) empty; a 2 px blur spreads some of it there.
    filterWorks = ctx.filter === 'blur(2px)' && ctx.getImageData(2, 4, 1, 1).data[3]! > 0;
  } catch {
    filterWorks = false;
  }
  return filterWorks;
}

/** Forgets the probe (tests that change what the canvas can do). */
export function resetBlurProbe(): void {
  filterWorks = undefined;
}

/**
 * Makes blurred copies of a frame, small: `blur()` returns a canvas of about 1/4 (filter) or 1/8
 * (downscale) of the frame's size, which the compositor stretches to where it needs it.
 */
export class BackgroundBlur {
  readonly path: Exclude<BlurPath, 'webgl'>;
  private readonly levels: Array<{ canvas: AnyCanvas; ctx: Ctx2D }> = [];

  constructor(path: Exclude<BlurPath, 'webgl'> = canvasFilterBlurs() ? 'canvas-filter' : 'downscale') {
    this.path = path;
  }

  private level(i: number, width: number, height: number): { canvas: AnyCanvas; ctx: Ctx2D } {
    let l = this.levels[i];
    if (!l) {
      const canvas = scratchCanvas();
      l = this.levels[i] = { canvas, ctx: canvas.getContext('2d') as Ctx2D };
    }
    if (l.canvas.width !== width || l.canvas.height !== height) Object.assign(l.canvas, { width, height });
    l.ctx.imageSmoothingEnabled = true;
    l.ctx.imageSmoothingQuality = 'high';
    return l;
  }

  /** The frame (width×height) blurred, as a small canvas to stretch back over the frame. */
  blur(frame: CanvasImageSource, width: number, height: number): AnyCanvas {
    const size = (d: number) => (v: number) => Math.max(1, Math.round(v / d));
    if (this.path === 'canvas-filter') {
      const [w, h] = [width, height].map(size(4)) as [number, number];
      const { canvas, ctx } = this.level(0, w, h);
      ctx.clearRect(0, 0, w, h);
      ctx.filter = `blur(${Math.max(1, Math.round(Math.min(w, h) / 60))}px)`;
      ctx.drawImage(frame, 0, 0, w, h);
      ctx.filter = 'none';
      return canvas;
    }
    // Halvings average 2×2 pixels each even where the engine resamples bilinearly only (Firefox has no
    // 'high' quality, so one 1/8 step would skip pixels and shimmer); doubling back once smooths the blocks.
    // Down to 1/16 and back up to 1/4 in doublings: each bilinear doubling spreads the one before, so the
    // blocks of the smallest level come back as a smooth, roughly Gaussian blur of about the filter path's width.
    let src: AnyCanvas | CanvasImageSource = frame;
    const steps = [2, 4, 8, 16, 8, 4];
    steps.forEach((d, i) => {
      const [w, h] = [width, height].map(size(d)) as [number, number];
      const { canvas, ctx } = this.level(i, w, h);
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(src as CanvasImageSource, 0, 0, w, h);
      src = canvas;
    });
    return src as AnyCanvas;
  }
}
