import type { CvError } from '../errors.js';

/**
 * The faults an element shows, one per cause, so that fixing one cause (a model that loads) never hides
 * another that still holds (a camera that ended). The message shown is the latest fault still standing.
 */
export class FaultState {
  private readonly faults = new Map<string, CvError>();

  /** The cause a code belongs to when the caller gives none. */
  static causeOf(code: string): string {
    if (/^(camera|source)-/.test(code)) return 'source';
    if (/^(model|catalog)-|^integrity$|^backend-unavailable$|^storage$/.test(code)) return 'model';
    if (code === 'bad-attribute') return 'attribute';
    return 'run';
  }

  /** Files `err`; false when the same fault already stands for that cause (a repeat, not news). */
  set(err: CvError, cause = FaultState.causeOf(err.code)): boolean {
    const same = this.faults.get(cause);
    if (same && same.code === err.code && same.message === err.message) return false;
    this.faults.delete(cause); // re-insert: the newest is shown
    this.faults.set(cause, err);
    return true;
  }

  /** Clears the faults of `cause`; true when something was cleared. */
  clear(cause: string): boolean {
    return this.faults.delete(cause);
  }

  /** Clears the faults whose code starts with `prefix` (every fault for ''). */
  clearCode(prefix: string): boolean {
    let cleared = false;
    for (const [cause, err] of this.faults) if (err.code.startsWith(prefix)) cleared = this.faults.delete(cause) || cleared;
    return cleared;
  }

  get shown(): CvError | null {
    let last: CvError | null = null;
    for (const err of this.faults.values()) last = err;
    return last;
  }
}
