// The package's types as an app sees them: tests/types/*.ts(x) import 'cv-elements' and
// 'cv-elements/react' by name (package.json "exports" → dist/types, so `npm run build` first) and must
// compile. Their `@ts-expect-error` lines (a wrong attribute value, a detail field the element does not
// have) make tsc fail if the typing grows loose, since an unused @ts-expect-error is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('tests/types compiles against the built package types', () => {
  assert.ok(existsSync(`${root}dist/types/index.d.ts`), 'dist/types is missing: run npm run build');
  const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tests/types'], { cwd: root, encoding: 'utf8' });
  assert.equal(tsc.status, 0, `tsc -p tests/types failed:\n${tsc.stdout}${tsc.stderr}`);
});
