/**
 * `prefers-reduced-motion` for the DCGAN latent walk: instead of gliding between latent points every
 * frame, the walk holds each point for REDUCED_MOTION_STEP_S and then steps to the next, so the strip
 * changes rarely and never animates.
 */
export const REDUCED_MOTION_STEP_S = 4;

let query: MediaQueryList | null = null;

/** Read live: the user (or an emulation) can change the preference while the page runs. */
export function prefersReducedMotion(): boolean {
  query ??= typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
  return query?.matches ?? false;
}

/** The walk's clock for `seconds` since the element started. */
export function walkTime(seconds: number): number {
  return prefersReducedMotion() ? Math.floor(seconds / REDUCED_MOTION_STEP_S) * REDUCED_MOTION_STEP_S : seconds;
}
