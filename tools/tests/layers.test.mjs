// The folders of src/ form layers, and the worker thread never loads page code. Both are read from the
// import statements themselves, so a slip fails here rather than in a bundle or a code review.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const src = join(root, 'src');

/**
 * Highest first; a folder may import its own layer or any below it. Page-side: index … page; the
 * thread boundary is worker/; worker-side below it. models/ is shared (the page reads the catalog, the
 * worker fetches the bytes), so it sits below both.
 */
export const LAYERS = [
  ['index.ts', 'frameworks'],
  ['elements'],
  ['controllers'],
  ['page'],
  ['worker'],
  ['models', 'bundled-catalog.ts'],
  ['tasks'],
  ['overlay'],
  ['runtime'],
  ['events', 'i18n'],
  ['errors.ts', 'asset-base.ts', 'browser-name.ts'],
];

/** Folders (or root files) that belong to the page thread: the worker must never reach them. */
export const PAGE_SIDE = ['index.ts', 'frameworks', 'elements', 'controllers', 'page', 'events', 'i18n', 'models/catalog.ts', 'bundled-catalog.ts'];

/**
 * Allowed upward imports, each type-only: the page speaks to the worker through its protocol's types, and
 * element components type their events with the tag maps the build generates from the manifest.
 */
const TYPE_ONLY_UP = ['worker/protocol.ts', 'frameworks/elements.generated.ts'];

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative imports of a file: [{ target (path under src), typeOnly }]. Dynamic import() of URLs is not a module edge. */
export function importsOf(file, text = readFileSync(file, 'utf8')) {
  const out = [];
  const re = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const m of text.matchAll(re)) {
    const target = relative(src, resolve(dirname(file), m[3].replace(/\.js$/, '.ts')));
    out.push({ target, typeOnly: !!m[2] });
  }
  return out;
}

function layerOf(rel) {
  const top = rel.split('/')[0];
  const i = LAYERS.findIndex((names) => names.includes(top));
  assert.notEqual(i, -1, `src/${rel} is in no layer: add its folder to LAYERS in tools/tests/layers.test.mjs`);
  return i;
}

export function violations(all = files(src)) {
  const found = [];
  for (const file of all) {
    const rel = relative(src, file);
    for (const { target, typeOnly } of importsOf(file)) {
      if (layerOf(target) >= layerOf(rel)) continue;
      if (typeOnly && TYPE_ONLY_UP.includes(target)) continue;
      found.push(`src/${rel} imports src/${target}`);
    }
  }
  return found;
}

/** Every module the worker bundle pulls in from src/, following imports (type-only ones too: types are code's shape). */
export function workerClosure(entry = join(src, 'worker/inference-worker.ts')) {
  const seen = new Set();
  const todo = [relative(src, entry)];
  while (todo.length) {
    const rel = todo.pop();
    if (seen.has(rel)) continue;
    seen.add(rel);
    for (const { target } of importsOf(join(src, rel))) todo.push(target);
  }
  return [...seen];
}

const isPageSide = (rel) => PAGE_SIDE.some((p) => rel === p || rel.startsWith(`${p}/`));

test('no folder of src/ imports a folder above it in the layer order', () => {
  assert.deepEqual(violations(), []);
});

test('worker-side code never imports page-side code', () => {
  const closure = workerClosure();
  assert.ok(closure.includes('tasks/registry.ts'), 'the worker reaches its tasks through the registry');
  assert.deepEqual(closure.filter(isPageSide), []);
});

test('runtime/ knows no task', () => {
  const bad = files(join(src, 'runtime')).flatMap((f) => importsOf(f).filter((i) => i.target.startsWith('tasks/')).map((i) => `${relative(src, f)} → ${i.target}`));
  assert.deepEqual(bad, []);
});

test('the check can fail: an upward import and a worker path to the page are both caught', () => {
  // A controller importing an element, and a task importing page code, written as the scanner reads files.
  const fake = (rel, text) => ({ rel, text });
  const cases = [fake('controllers/x.ts', "import { CvElement } from '../elements/cv-element.js';"), fake('tasks/x.ts', "import { InferenceClient } from '../page/worker-client.js';")];
  for (const { rel, text } of cases) {
    const [imp] = importsOf(join(src, rel), text);
    assert.ok(layerOf(imp.target) < layerOf(rel), `${rel} → ${imp.target} must count as upward`);
  }
  assert.ok(isPageSide('page/worker-client.ts') && !isPageSide('tasks/registry.ts'));
  // type-only imports of anything but the protocol and the generated tag maps are not let through
  const [t] = importsOf(join(src, 'worker/x.ts'), "import type { CvElement } from '../elements/cv-element.js';");
  assert.ok(t.typeOnly && !TYPE_ONLY_UP.includes(t.target));
});

test('models/ probes no engine or GPU: it imports nothing from runtime/ but types', () => {
  const bad = files(join(src, 'models')).flatMap((f) => importsOf(f).filter((i) => i.target.startsWith('runtime/') && !i.typeOnly).map((i) => `${relative(src, f)} → ${i.target}`));
  assert.deepEqual(bad, []);
});
