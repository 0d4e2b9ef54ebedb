/**
 * The overlay's types, apart from the factory in compositor.ts, so the compositors implement them without
 * importing the module that imports them.
 */
import type { BlurPath } from './blur-fallback.js';

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
