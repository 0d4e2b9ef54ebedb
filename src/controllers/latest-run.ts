/**
 * The core of `@lit/task`'s guard, without its rendering half: each run of some async work gets an
 * AbortSignal; starting another run (or `cancel()`) aborts it, so only the latest run's outcome is used and
 * a stale one sees `signal.aborted` at its next await. Replaces the hand-counted tokens
 * (loadToken, sourceToken, backgroundToken) the elements kept.
 */
export class LatestRun {
  private controller: AbortController | null = null;

  /** A new run: the one before it is aborted. */
  start(): AbortSignal {
    this.controller?.abort();
    this.controller = new AbortController();
    return this.controller.signal;
  }

  /** Aborts the current run, if any, without starting another. */
  cancel(): void {
    this.controller?.abort();
    this.controller = null;
  }

  /** The latest run's signal, or null when there is none (never started, or cancelled). */
  get current(): AbortSignal | null {
    return this.controller?.signal ?? null;
  }

  /** True when `signal` belongs to the latest run and it was not cancelled. */
  isLatest(signal: AbortSignal): boolean {
    return !signal.aborted && this.controller?.signal === signal;
  }
}
