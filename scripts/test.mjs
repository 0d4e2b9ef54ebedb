#!/usr/bin/env node
// `npm test`: the browser suite (web-test-runner: every file in Debian Chromium, then tests/engines/ in
// Firefox ESR and in WebKitGTK, one engine at a time) and the Node suite (tools and training checks),
// then one line with the totals: "N passed, N failed". CV_ENGINES=firefox,webkit picks engines.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';

const summaryFile = '.cache/wtr-summary.json';

let passed = 0;
let failed = 0;
let skipped = 0;

const engines = (process.env.CV_ENGINES ?? 'chromium,firefox,webkit').split(',').filter(Boolean);
const args = process.argv.slice(2);
for (const engine of engines) {
  // Firefox and WebKit run only tests/engines/: of a --files list, keep what lies there (none: skip the engine).
  let engineArgs = args;
  if (engine !== 'chromium' && args.includes('--files')) {
    const at = args.indexOf('--files');
    let end = at + 1;
    while (end < args.length && !args[end].startsWith('--')) end++;
    const files = args.slice(at + 1, end).filter((f) => f.includes('tests/engines/'));
    if (!files.length) continue;
    engineArgs = [...args.slice(0, at), '--files', ...files, ...args.slice(end)];
  }
  rmSync(summaryFile, { force: true });
  console.log(`\n[test] web-test-runner in ${engine}`);
  const wtr = spawnSync('npx', ['web-test-runner', ...engineArgs], { stdio: 'inherit', env: { ...process.env, CV_ENGINE: engine } });
  let engineFailed = 0;
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    passed += s.passed;
    engineFailed += s.failed;
    skipped += s.skipped;
  } else {
    console.error(`web-test-runner (${engine}) ended (status ${wtr.status}) without a summary: counting it as one failure`);
    engineFailed += 1;
  }
  if (wtr.status !== 0 && engineFailed === 0) engineFailed += 1; // it failed outside any test (startup, a file that would not load)
  failed += engineFailed;
}

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
