/** An axis-aligned rectangle in pixels (or in normalised units where a caller says so). */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The largest centred crop of `src` with the aspect ratio of `dst` (what object-fit: cover shows). */
export function coverCrop(srcW: number, srcH: number, dstW: number, dstH: number): Rect {
  const want = dstW / dstH;
  if (srcW / srcH > want) {
    const width = srcH * want;
    return { x: (srcW - width) / 2, y: 0, width, height: srcH };
  }
  const height = srcW / want;
  return { x: 0, y: (srcH - height) / 2, width: srcW, height };
}

/** A centred square crop covering `fraction` of the shorter side. */
export function centerSquare(srcW: number, srcH: number, fraction = 1): Rect {
  const side = Math.min(srcW, srcH) * fraction;
  return { x: (srcW - side) / 2, y: (srcH - side) / 2, width: side, height: side };
}

/** Grows a box about its centre into a square `factor` times its longer side, clipped to the image. */
export function squareAround(box: Rect, factor: number, imgW: number, imgH: number): Rect {
  const side = Math.max(box.width, box.height) * factor;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const x = Math.max(0, cx - side / 2);
  const y = Math.max(0, cy - side / 2);
  return { x, y, width: Math.min(imgW, cx + side / 2) - x, height: Math.min(imgH, cy + side / 2) - y };
}

/** Intersection over union of two rectangles; 0 when either is empty, negative or not finite (never NaN). */
export function iou(a: Rect, b: Rect): number {
  const x1 = Math.max(a.x, b.x);
  const y1 = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.width, b.x + b.width);
  const y2 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a.width * a.height + b.width * b.height - inter;
  const v = union > 0 ? inter / union : 0;
  return Number.isFinite(v) ? v : 0;
}
