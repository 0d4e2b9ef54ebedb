/**
 * Spacing of retries after a run-time fault: a frame that failed is not retried on the very next
 * frame (60 a second) but after a wait that doubles with each fault in a row, up to a cap, and
 * resets on the first success. Keeps a broken model from burning the worker and the battery.
 */
export class FaultBackoff {
  private faults = 0;
  private until = 0;

  constructor(
    private readonly firstMs = 250,
    private readonly capMs = 8_000,
  ) {}

  /** True while retries should wait. */
  get waiting(): boolean {
    return performance.now() < this.until;
  }

  /** A fault happened: wait longer before the next try. Returns the wait, ms. */
  fault(): number {
    const wait = Math.min(this.capMs, this.firstMs * 2 ** this.faults);
    this.faults++;
    this.until = performance.now() + wait;
    return wait;
  }

  succeed(): void {
    this.faults = 0;
    this.until = 0;
  }
}
