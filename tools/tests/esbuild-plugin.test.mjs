// cv-elements/esbuild: esbuild keeps `new URL('./file', import.meta.url)` as written and copies nothing. With the
// plugin, every literal URL in the bundle (and in the copied worker) must name a file that exists in the output;
// without it, the worker and the models are missing. (tests/apps drives such a build in Chromium.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { cvElements } from '../../plugins/esbuild.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every `new URL("<relative>", import.meta.url)` in `file`, resolved against the file's folder. */
function literalTargets(file) {
  const code = readFileSync(file, 'utf8');
  return [...code.matchAll(/new URL\(["'](\.{1,2}\/[^"']+)["'],\s*import\.meta\.url\)/g)].map((m) => resolve(dirname(file), m[1]));
}

async function bundle(plugins) {
  const dir = mkdtempSync(join(tmpdir(), 'cv-esbuild-'));
  writeFileSync(join(dir, 'app.js'), `import ${JSON.stringify(join(root, 'dist/cv-segment.js'))};\n`);
  await esbuild.build({ entryPoints: [join(dir, 'app.js')], bundle: true, format: 'esm', outdir: join(dir, 'out'), logLevel: 'silent', plugins });
  return { dir, out: join(dir, 'out/app.js') };
}

test('with the plugin, every literal URL of the bundle and its worker names a file in the output', async () => {
  assert.ok(existsSync(join(root, 'dist/cv-segment.js')), 'dist/ is not built: run npm run build');
  const { dir, out } = await bundle([cvElements()]);
  try {
    const targets = literalTargets(out);
    const worker = targets.find((t) => t.endsWith('inference-worker.js'));
    assert.ok(worker, 'the bundle starts no worker');
    const all = [...targets, ...literalTargets(worker)];
    const catalog = JSON.parse(readFileSync(join(root, 'models/catalog.json'), 'utf8'));
    assert.ok(all.length >= 1 + 6 + Object.keys(catalog.models).length, `only ${all.length} literal URLs`);
    const missing = all.filter((t) => !existsSync(t));
    assert.deepEqual(missing, []);
    for (const t of all) assert.ok(t.startsWith(join(dir, 'out', 'cv-elements')), `${t} is outside out/cv-elements`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without it, the worker and the models are missing (why the plugin exists)', async () => {
  const { dir, out } = await bundle([]);
  try {
    const missing = literalTargets(out).filter((t) => !existsSync(t));
    assert.ok(missing.some((t) => t.endsWith('inference-worker.js')));
    assert.ok(missing.some((t) => t.endsWith('.onnx')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
