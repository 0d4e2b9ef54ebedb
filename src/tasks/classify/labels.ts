import type { Rect } from '../shared/geometry.js';

/** One label of a classification, optionally tied to a box in source-frame pixels. */
export interface Label {
  label: string;
  score: number;
  box?: Rect;
  /** Face recognition (`learn` with roi="face"): cosine distance to the nearest enrolled person. */
  distance?: number;
  /** Face recognition: the face's expression (the `expression` model's best label). */
  expression?: string;
}

/** Softmax, numerically stable; returns a new array. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** True when the values already look like a probability distribution. */
export function isDistribution(values: ArrayLike<number>): boolean {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < 0 || values[i]! > 1) return false;
    sum += values[i]!;
  }
  return Math.abs(sum - 1) < 1e-3;
}

/** The `k` best labels at or above `threshold`, best first. */
export function topK(scores: ArrayLike<number>, labels: readonly string[] | null, k: number, threshold = 0): Label[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).filter((i) => scores[i]! >= threshold);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, Math.max(0, k)).map((i) => ({ label: labels?.[i] ?? `class ${i}`, score: scores[i]! }));
}
