/**
 * The overlay's types, apart from the factory in compositor.ts, so the compositors implement them without
 * importing the module that imports them.
 */
import type { BlurPath } from './blur-fallback.js';

export type SegmentEffect = 'mask' | 'blur' | 'replace' | 'none';

/**
 * `effect="mask"` tint per class of a multi-class segmenter: class k gets CLASS_COLORS[k % 8] (0..1 RGB).
 * Entry 0 is the single-class tint, so a one-class model looks as before.
 */
export const CLASS_COLORS: readonly (readonly [number, number, number])[] = [
  [0.2, 0.85, 0.55], // green (the single-class tint)
  [1.0, 0.3, 0.3], // red
  [0.3, 0.55, 1.0], // blue
  [1.0, 0.8, 0.2], // yellow
  [0.8, 0.45, 1.0], // violet
  [0.2, 0.85, 0.9], // cyan
  [1.0, 0.55, 0.8], // pink
  [0.65, 0.9, 0.3], // lime
];

export interface Compositor {
  readonly kind: 'webgl2' | '2d';
  readonly canvas: HTMLCanvasElement | OffscreenCanvas;
  /** How `blur` blurs: `webgl` (mip chain), `canvas-filter`, or `downscale` where the 2D `filter` is missing. */
  readonly blur: BlurPath;
  /** Background for `replace`: an image (the compositor owns and frees an ImageBitmap) or 0..1 RGB. */
  setBackground(bg: TexImageSource | [number, number, number]): void;
  /**
   * A new mask: foreground probability bytes 0..255, width×height. `classes` (multi-class models): each
   * pixel's class, so `mask` tints each class in its own colour (CLASS_COLORS); without it, one tint.
   */
  setMask(mask: Uint8Array, width: number, height: number, classes?: Uint8Array): void;
  /**
   * Draws the effect for `frame` (width×height). `mask` draws only a translucent tint at mask resolution,
   * to lie over the live video; `blur` and `replace` draw the whole picture.
   */
  draw(frame: TexImageSource, width: number, height: number, effect: Exclude<SegmentEffect, 'none'>, threshold: number, opacity: number): void;
  /** What was drawn last. */
  snapshot(): Promise<ImageBitmap>;
  dispose(): void;
}
