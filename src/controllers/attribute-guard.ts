import { CvError } from '../errors.js';

/** What an element reports a bad attribute through (its `fail`, keyed so that a fix clears it). */
export interface AttributeHost {
  localName: string;
  reportFault(err: CvError | null, key: string): void;
}

/**
 * Validation at the element's boundary: every attribute is read through here, so a bad value gives one
 * console warning and one `bad-attribute` cv-error (when it turns bad, not on every frame), the default
 * is used, and the element keeps working. Setting a good value clears the message.
 */
export class AttributeGuard {
  private readonly bad = new Map<string, string>();

  constructor(private readonly host: AttributeHost) {}

  /** `value` when `valid`, else `fallback`, reporting the change of state. */
  check<T>(name: string, value: unknown, valid: boolean, fallback: T, expected: string): T {
    const shown = typeof value === 'string' ? value : String(value);
    if (valid) {
      if (this.bad.delete(name)) this.host.reportFault(null, `attr:${name}`);
      return value as T;
    }
    if (this.bad.get(name) !== shown) {
      this.bad.set(name, shown);
      const message = `${name} must be ${expected}; got "${shown}", so ${JSON.stringify(fallback)} is used`;
      console.warn(`<${this.host.localName}>: ${message}`);
      this.host.reportFault(new CvError('bad-attribute', message), `attr:${name}`);
    }
    return fallback;
  }

  /** A finite number in [min, max] (an integer when `integer`). */
  number(name: string, value: unknown, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
    const { min = -Infinity, max = Infinity, integer = false } = opts;
    const n = typeof value === 'number' ? value : Number(value);
    const valid = typeof value === 'number' && Number.isFinite(n) && n >= min && n <= max && (!integer || Number.isInteger(n));
    const range = `${Number.isFinite(min) ? `≥ ${min}` : ''}${Number.isFinite(min) && Number.isFinite(max) ? ' and ' : ''}${Number.isFinite(max) ? `≤ ${max}` : ''}`;
    return this.check(name, value, valid, fallback, `${integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`);
  }

  /** One of `allowed`. */
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
    return this.check(name, value, allowed.includes(value as T), fallback, `one of ${allowed.join(', ')}`);
  }

  /** Whether `name` is bad right now. */
  isBad(name: string): boolean {
    return this.bad.has(name);
  }
}
