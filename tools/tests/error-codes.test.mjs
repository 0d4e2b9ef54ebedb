// The guard that keeps cv-error codes a closed list: every code spelled as a string literal in src/
// (`new CvError('…'`, `code: '…'`, a fallback passed to toCvError, learn-store's fault('…')) must be
// one of ERROR_CODES in src/errors.ts, and the old free-string error classes must not come back.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const SRC = new URL('../../src/', import.meta.url).pathname;

function files(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function listedCodes() {
  const text = readFileSync(join(SRC, 'errors.ts'), 'utf8');
  const list = /ERROR_CODES = \[([\s\S]*?)\] as const/.exec(text)?.[1];
  assert.ok(list, 'ERROR_CODES not found in src/errors.ts');
  return new Set([...list.matchAll(/'([a-z0-9-]+)'/g)].map((m) => m[1]));
}

const PATTERNS = [
  /new CvError\(\s*'([^']*)'/g,
  /\bcode:\s*'([^']*)'/g,
  /toCvError\([^,()]+,\s*'([^']*)'\)/g,
  /\bfault\(\s*'([^']*)'/g,
];

test('every error code literal in src/ is in ERROR_CODES', () => {
  const codes = listedCodes();
  assert.ok(codes.size >= 20, `only ${codes.size} codes parsed`);
  const unknown = [];
  let seen = 0;
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const re of PATTERNS) {
      for (const m of text.matchAll(re)) {
        seen++;
        if (!codes.has(m[1])) unknown.push(`${file.slice(SRC.length)}: '${m[1]}'`);
      }
    }
  }
  assert.ok(seen > 40, `the guard found only ${seen} code literals: are the patterns still right?`);
  assert.deepEqual(unknown, [], `codes outside ERROR_CODES:\n${unknown.join('\n')}`);
});

test('no second error idiom: no PipelineError, ModelFetchError or Object.assign(new Error(), {code})', () => {
  const found = [];
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const re of [/class \w+Error extends Error/g, /Object\.assign\(new Error/g, /\bPipelineError\b/g, /\bModelFetchError\b/g]) {
      for (const m of text.matchAll(re)) if (!file.endsWith('errors.ts')) found.push(`${file.slice(SRC.length)}: ${m[0]}`);
    }
  }
  assert.deepEqual(found, []);
});
