import { CvError } from '../../errors.js';
import { iou, type Rect } from '../shared/geometry.js';

/** One object found in the frame: its label, score 0…1 and box in frame pixels. */
export interface DetectedObject {
  label: string;
  score: number;
  box: Rect;
}

export interface ObjectFilter {
  /** Lowest score kept. */
  threshold: number;
  /** At most this many objects, best first. */
  maxResults: number;
  /** Only these labels (null: all). */
  labels: readonly string[] | null;
  /** Boxes of the same label overlapping more than this are one object (class-aware NMS). */
  iouThreshold?: number;
}

/**
 * Decoded detection rows `[x1, y1, x2, y2, score, class]` in the model's input pixels (inputW×inputH, the
 * whole frame stretched onto it) → objects in frame pixels, best first: filtered by score and label,
 * de-duplicated per label (the rows of a CenterNet overlap across its peaks), cut to `maxResults`.
 */
export function decodeObjects(
  rows: Float32Array,
  dims: readonly number[],
  classNames: readonly string[] | null,
  input: { width: number; height: number },
  frame: { width: number; height: number },
  filter: ObjectFilter,
): DetectedObject[] {
  if (dims.at(-1) !== 6 || rows.length % 6 !== 0) {
    throw new CvError('model-output', `Object detector output [${dims}] is not rows of [x1, y1, x2, y2, score, class]`);
  }
  const sx = frame.width / input.width;
  const sy = frame.height / input.height;
  const wanted = filter.labels ? new Set(filter.labels) : null;
  const found: DetectedObject[] = [];
  for (let i = 0; i < rows.length; i += 6) {
    const score = rows[i + 4]!;
    if (!(score >= filter.threshold)) continue;
    const cls = Math.round(rows[i + 5]!);
    const label = classNames?.[cls] ?? String(cls);
    if (wanted && !wanted.has(label)) continue;
    // Clipped to the frame: a peak near the edge can regress a box past it.
    const x1 = clamp(rows[i]! * sx, frame.width), y1 = clamp(rows[i + 1]! * sy, frame.height);
    const x2 = clamp(rows[i + 2]! * sx, frame.width), y2 = clamp(rows[i + 3]! * sy, frame.height);
    if (!(x2 > x1 && y2 > y1)) continue;
    found.push({ label, score, box: { x: x1, y: y1, width: x2 - x1, height: y2 - y1 } });
  }
  found.sort((a, b) => b.score - a.score);
  const kept: DetectedObject[] = [];
  const limit = filter.iouThreshold ?? 0.5;
  for (const o of found) {
    if (kept.length >= filter.maxResults) break;
    if (!kept.some((k) => k.label === o.label && iou(k.box, o.box) > limit)) kept.push(o);
  }
  return kept;
}

const clamp = (v: number, max: number) => Math.min(Math.max(v, 0), max);
