#!/usr/bin/env node
// `npm test`: the browser suite (web-test-runner in Debian Chromium) and the Node suite (tools and
// training checks), one after the other, then one line with the totals: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const summaryFile = '.cache/wtr-summary.json';
rmSync(summaryFile, { force: true });

let passed = 0;
let failed = 0;
let skipped = 0;

const wtr = spawnSync('npx', ['web-test-runner', ...process.argv.slice(2)], { stdio: 'inherit' });
if (existsSync(summaryFile)) {
  const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
  passed += s.passed;
  failed += s.failed;
  skipped += s.skipped;
} else {
  console.error(`web-test-runner ended (status ${wtr.status}) without a summary: counting it as one failure`);
  failed += 1;
}
if (wtr.status !== 0 && failed === 0) failed += 1; // it failed outside any test (startup, a file that would not load)

const nodeTests = existsSync('tools/tests') ? readdirSync('tools/tests').filter((f) => f.endsWith('.test.mjs')) : [];
if (nodeTests.length) {
  const node = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...nodeTests.map((f) => `tools/tests/${f}`)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  process.stdout.write(node.stdout);
  process.stderr.write(node.stderr);
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(node.stdout)?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  skipped += count('skipped') + count('todo');
  if (node.status !== 0 && count('fail') + count('cancelled') === 0) failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
