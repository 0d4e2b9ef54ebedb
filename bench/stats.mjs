// Pure statistics and report helpers for `npm run bench` (tested by tools/tests/bench.test.mjs).

/** Numbers sorted ascending, non-finite values dropped. */
function sorted(values) {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
}

/**
 * The p-th percentile (0–100) with linear interpolation between closest ranks: the "linear" method,
 * numpy.percentile's default (R type 7). NaN for an empty array.
 * @param {number[]} values
 * @param {number} p
 */
export function percentile(values, p) {
  const s = sorted(values);
  if (!s.length) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile wants 0..100, got ${p}`);
  const rank = (p / 100) * (s.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return s[lo] + (s[hi] - s[lo]) * (rank - lo);
}

/** @param {number[]} values */
export const median = (values) => percentile(values, 50);
/** @param {number[]} values */
export const p95 = (values) => percentile(values, 95);

/** {n, median, p95, mean, min, max} of a sample, numbers rounded to 0.01 (NaN → null). */
export function summarize(values) {
  const s = sorted(values);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
  return {
    n: s.length,
    median: round(median(s)),
    p95: round(p95(s)),
    mean: round(mean),
    min: round(s.length ? s[0] : NaN),
    max: round(s.length ? s[s.length - 1] : NaN),
  };
}

/** Growth from `before` to `after` in percent; null when `before` is not a positive number. */
export function growthPct(before, after) {
  if (!(before > 0) || !Number.isFinite(after)) return null;
  return round(((after - before) / before) * 100);
}

/** a / b, or null when either is missing or b is not positive. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !(b > 0)) return null;
  return round(a / b, 3);
}

/**
 * Results per second over a run: (n − 1) intervals between the first and the last result.
 * @param {number[]} times result times in ms, ascending
 */
export function fps(times) {
  if (times.length < 2) return null;
  const span = times[times.length - 1] - times[0];
  return span > 0 ? round(((times.length - 1) * 1000) / span) : null;
}

/**
 * Marks a measured value against a target: `pass`, `miss`, or `n/a` when there is nothing to judge.
 * @param {number|null|undefined} value
 * @param {'<='|'<'|'>='|'=='} op
 * @param {number} target
 */
export function verdict(value, op, target) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  const ok = op === '<=' ? value <= target : op === '<' ? value < target : op === '>=' ? value >= target : value === target;
  return ok ? 'pass' : 'miss';
}

/** Rounds to `digits` decimals; NaN and ±Infinity become null (JSON has no NaN). */
export function round(v, digits = 2) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

/** Cell text: null/undefined → "–", numbers without trailing zeros, `|` and newlines escaped. */
export function cellText(v) {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  const text = typeof v === 'number' ? String(round(v, 2)) : String(v);
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured markdown table. Columns whose every body value is a number (or empty) are right-aligned.
 * @param {string[]} headers
 * @param {Array<Array<string|number|null|undefined>>} rows
 */
export function markdownTable(headers, rows) {
  for (const [i, r] of rows.entries()) {
    if (r.length !== headers.length) throw new RangeError(`row ${i} has ${r.length} cells, the table has ${headers.length} columns`);
  }
  const numeric = headers.map((_, c) => rows.some((r) => typeof r[c] === 'number') && rows.every((r) => r[c] === null || r[c] === undefined || typeof r[c] === 'number'));
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [
    line(headers.map(cellText)),
    line(numeric.map((n) => (n ? '---:' : '---'))),
    ...rows.map((r) => line(r.map(cellText))),
  ].join('\n') + '\n';
}
