/**
 * Ownership accounting on the page: how many of each costly thing are alive right now. Every owner
 * counts what it takes (+1) and what it gives back (-1), so a balance that does not come back to its
 * starting value after elements go is a leak. Not public API: tests read it through a hidden global,
 * installed only when the page sets `globalThis.CV_ELEMENTS_TEST = true` before loading the library.
 */
export const RESOURCE_KINDS = ['track', 'videoFrame', 'imageBitmap', 'listener', 'cameraLease', 'timer', 'session', 'worker'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

const counts: Record<ResourceKind, number> = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, 0])) as Record<ResourceKind, number>;

/** Counts `delta` more (or fewer) live `kind`s. */
export function own(kind: ResourceKind, delta = 1): void {
  counts[kind] += delta;
}

/** Closes an ImageBitmap this page owned and counted. */
export function closeBitmap(bitmap: ImageBitmap | null | undefined): void {
  if (!bitmap) return;
  bitmap.close();
  own('imageBitmap', -1);
}

/** Kinds whose owner can count them directly (live tracks, open sessions) rather than by +1/-1. */
const probes = new Map<ResourceKind, () => number>();
export function probe(kind: ResourceKind, count: () => number): void {
  probes.set(kind, count);
}

/** A copy of the live counts. */
export function resourceCounts(): Record<ResourceKind, number> {
  const out = { ...counts };
  for (const [kind, count] of probes) out[kind] = count();
  return out;
}

/** The hidden global tests read: `globalThis[Symbol.for('cv-elements.resources')]()`. */
export const RESOURCES_KEY = Symbol.for('cv-elements.resources');
if ((globalThis as { CV_ELEMENTS_TEST?: boolean }).CV_ELEMENTS_TEST === true) {
  (globalThis as unknown as Record<symbol, unknown>)[RESOURCES_KEY] = resourceCounts;
}
