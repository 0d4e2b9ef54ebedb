/**
 * What `<cv-segment>` draws with: the WebGL2 compositor on a real GPU, the 2D one where WebGL is
 * software-rendered (SwiftShader, llvmpipe) or missing. Both run on a page canvas or, normally, on an
 * OffscreenCanvas in the inference worker.
 */
import { MaskCompositor, liveWebglCompositors } from './mask-compositor.js';
import { MaskCompositor2D } from './mask-compositor-2d.js';
import { scratchCanvas, type BlurPath } from './blur-fallback.js';

export type SegmentEffect = 'mask' | 'blur' | 'replace' | 'none';

export interface Compositor {
  readonly kind: 'webgl2' | '2d';
  readonly canvas: HTMLCanvasElement | OffscreenCanvas;
  /** How `blur` blurs: `webgl` (mip chain), `canvas-filter`, or `downscale` where the 2D `filter` is missing. */
  readonly blur: BlurPath;
  /** Background for `replace`: an image (the compositor owns and frees an ImageBitmap) or 0..1 RGB. */
  setBackground(bg: TexImageSource | [number, number, number]): void;
  /** A new mask: foreground probability bytes 0..255, width×height. */
  setMask(mask: Uint8Array, width: number, height: number): void;
  /**
   * Draws the effect for `frame` (width×height). `mask` draws only a translucent tint at mask resolution,
   * to lie over the live video; `blur` and `replace` draw the whole picture.
   */
  draw(frame: TexImageSource, width: number, height: number, effect: Exclude<SegmentEffect, 'none'>, threshold: number, opacity: number): void;
  /** What was drawn last. */
  snapshot(): Promise<ImageBitmap>;
  dispose(): void;
}

/** Software WebGL: fine for correctness, but a 640×480 blur there costs more than the model. */
const SOFTWARE_GL = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/** The WebGL renderer's name, or null without WebGL2. */
export function webglRenderer(): string | null {
  let gl: WebGL2RenderingContext | null = null;
  try {
    gl = scratchCanvas().getContext('webgl2') as WebGL2RenderingContext | null;
  } catch {
    gl = null; // a worker without WebGL on OffscreenCanvas may throw rather than answer null
  }
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return name;
}

/** The kind this thread's renderer calls for, probed once (a probe makes and drops a WebGL context). */
let preferred: 'webgl2' | '2d' | undefined;

/**
 * WebGL2 compositors one thread makes before the next ones draw in 2D: Chrome keeps ~16 WebGL contexts
 * a page and drops the oldest beyond that, so twenty `<cv-segment>`s would lose contexts. Half of the
 * limit leaves room for the page's own WebGL and the runtimes'.
 */
export const MAX_WEBGL_COMPOSITORS = 8;

/** `prefer`: force one kind (tests); otherwise WebGL2 on a hardware renderer, else 2D. */
export function createCompositor(canvas: HTMLCanvasElement | OffscreenCanvas, prefer?: 'webgl2' | '2d'): Compositor {
  const kind =
    prefer ??
    (preferred ??= (() => {
      const renderer = webglRenderer();
      return renderer && !SOFTWARE_GL.test(renderer) ? 'webgl2' : '2d';
    })());
  return kind === 'webgl2' && (prefer === 'webgl2' || liveWebglCompositors() < MAX_WEBGL_COMPOSITORS) ? new MaskCompositor(canvas) : new MaskCompositor2D(canvas);
}

/** True when `value` is a CSS colour by the browser's own grammar (`oklch()`, `color-mix()`, names, hex). */
export function isCssColor(value: string): boolean {
  const v = value.trim();
  if (!v) return false;
  if (typeof CSS !== 'undefined' && typeof CSS.supports === 'function') return CSS.supports('color', v);
  return /^(#[0-9a-f]{3,8}|(rgb|hsl|hwb|lab|lch|oklab|oklch|color)a?\(.*\)|[a-z]+)$/i.test(v);
}

/** Parses any CSS colour to 0..1 RGB using the browser's own parser. */
export function cssColorToRgb(color: string): [number, number, number] | null {
  const ctx = new OffscreenCanvas(1, 1).getContext('2d')!;
  ctx.fillStyle = '#010203';
  ctx.fillStyle = color;
  if (ctx.fillStyle === '#010203' && color.trim().toLowerCase() !== '#010203') return null;
  ctx.fillRect(0, 0, 1, 1);
  const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
  return [r! / 255, g! / 255, b! / 255];
}
