// The bench's maths: percentiles, growth, fps, verdicts and the markdown table (no timings here).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { cellText, fps, growthPct, markdownTable, median, p95, percentile, ratio, summarize, verdict } from '../../bench/stats.mjs';

test('median and p95 on arrays worked out by hand (linear interpolation between ranks)', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  // 1..20: rank 0.95 × 19 = 18.05 → 19 + 0.05 × (20 − 19)
  const oneToTwenty = Array.from({ length: 20 }, (_, i) => 20 - i);
  assert.ok(Math.abs(p95(oneToTwenty) - 19.05) < 1e-12);
  assert.equal(percentile([5, 7], 0), 5);
  assert.equal(percentile([5, 7], 100), 7);
  assert.equal(p95([10]), 10);
  assert.ok(Number.isNaN(median([])));
  assert.equal(median([1, NaN, 3, Infinity]), 2, 'non-finite values are dropped');
  assert.throws(() => percentile([1], 101), RangeError);
});

test('percentiles agree with numpy.percentile (independent reference) when Debian numpy is present', { skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3' }, (t) => {
  let seed = 12345;
  const values = Array.from({ length: 101 }, () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 100);
  const py = spawnSync('/usr/bin/python3', ['-c', 'import sys, json, numpy as np; a = json.load(sys.stdin); print(json.dumps([float(x) for x in np.percentile(a, [50, 95, 99, 3.7])]))'], {
    input: JSON.stringify(values),
    encoding: 'utf8',
  });
  if (py.status !== 0) return t.skip(`numpy unavailable: ${py.stderr.split('\n').at(-2)}`);
  const [q50, q95, q99, q3] = JSON.parse(py.stdout);
  assert.ok(Math.abs(median(values) - q50) < 1e-9);
  assert.ok(Math.abs(p95(values) - q95) < 1e-9);
  assert.ok(Math.abs(percentile(values, 99) - q99) < 1e-9);
  assert.ok(Math.abs(percentile(values, 3.7) - q3) < 1e-9);
});

test('summaries, growth %, ratios, fps and verdicts', () => {
  assert.deepEqual(summarize([4, 1, 3, 2]), { n: 4, median: 2.5, p95: 3.85, mean: 2.5, min: 1, max: 4 });
  assert.equal(growthPct(100, 105), 5);
  assert.equal(growthPct(200, 190), -5);
  assert.equal(growthPct(0, 5), null);
  assert.equal(growthPct(null, 5), null);
  assert.equal(ratio(3, 4), 0.75);
  assert.equal(ratio(3, 0), null);
  assert.equal(fps([0, 100, 200, 300]), 10, 'three intervals over 300 ms');
  assert.equal(fps([5]), null);
  assert.equal(verdict(0.8, '<=', 0.8), 'pass');
  assert.equal(verdict(0.81, '<=', 0.8), 'miss');
  assert.equal(verdict(0, '==', 0), 'pass');
  assert.equal(verdict(1, '==', 0), 'miss');
  assert.equal(verdict(null, '<=', 1), 'n/a');
  assert.equal(verdict(NaN, '<=', 1), 'n/a');
});

test('markdown table: header rule, numeric columns right-aligned, pipes escaped, empty cells dashed', () => {
  const md = markdownTable(['name', 'ms', 'note'], [['a|b', 1.234, 'x\ny'], [null, 2, 'z']]);
  assert.equal(md, '| name | ms | note |\n| --- | ---: | --- |\n| a\\|b | 1.23 | x y |\n| – | 2 | z |\n');
  assert.equal(cellText(undefined), '–');
  assert.equal(cellText(0), '0');
  assert.throws(() => markdownTable(['a', 'b'], [['only one']]), RangeError);
});
