// custom-elements.json against the source it documents: every event the elements dispatch, every part
// their templates render and every CSS custom property their styles read must be in it, per tag, and
// nothing that is not. The manifest is made afresh from the current source (`cem analyze`, ~3 s), so a
// missing JSDoc tag fails here even before a build. Attributes and properties are checked against the
// running classes in tests/elements/manifest.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cli } from '@custom-elements-manifest/analyzer/cli.js';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elementsOf, renderDocs, renderPackage, renderReact, renderTags, renderTypes, OUTPUTS } from '../../scripts/manifest-outputs.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// The analyzer's own entry, as `cem analyze` runs it, returning the manifest instead of writing it.
const manifest = await cli({ argv: ['analyze', '--quiet'], cwd: root, noWrite: true });
const elements = elementsOf(manifest);
/** The tags: one folder each in src/elements/ (docs/adding-a-task.md), so a new tag needs no edit here. */
const TAGS = readdirSync(join(root, 'src/elements'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts') && !path.endsWith('.test.ts')) yield path;
  }
}

/**
 * What the source says per tag, found by `pattern` (its last group is the name) in every file the
 * elements are made of: a file in src/elements/<tag>/ counts for that tag; the base element, its styles
 * and src/controllers/ count for every tag.
 */
function fromSource(pattern, split = (s) => [s]) {
  const found = Object.fromEntries(TAGS.map((t) => [t, new Map()]));
  const dirs = ['src/elements', 'src/controllers'].map((d) => join(root, d));
  for (const dir of dirs) {
    let list;
    try {
      list = [...files(dir)];
    } catch {
      continue; // src/controllers may not exist
    }
    for (const file of list) {
      const rel = relative(root, file);
      const tag = TAGS.find((t) => rel.startsWith(`src/elements/${t}/`));
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(pattern)) {
        for (const name of split(m[m.length - 1])) {
          for (const t of tag ? [tag] : TAGS) found[t].set(name, rel);
        }
      }
    }
  }
  return found;
}

function compare(kind, documented, inSource) {
  for (const tag of TAGS) {
    const el = elements.find((e) => e.tagName === tag);
    assert.ok(el, `<${tag}> is not in the manifest`);
    const doc = new Set(documented(el));
    const src = inSource[tag];
    const missing = [...src.keys()].filter((n) => !doc.has(n)).map((n) => `${n} (${src.get(n)})`);
    const stale = [...doc].filter((n) => !src.has(n));
    assert.deepEqual(missing, [], `<${tag}>: ${kind} in the source but not in custom-elements.json (add a JSDoc tag)`);
    assert.deepEqual(stale, [], `<${tag}>: ${kind} in custom-elements.json that the source does not have`);
    assert.ok(doc.size > 0, `<${tag}>: no ${kind} at all`);
  }
}

test('the manifest has the tags, each with its class', () => {
  assert.deepEqual(elements.map((e) => e.tagName), TAGS);
  assert.deepEqual(elements.map((e) => e.name), ['CvClassify', 'CvDetect', 'CvGenerate', 'CvSegment']);
});

test('every reference in the manifest (exports, tag definitions, superclasses) names a module that declares it', () => {
  const declares = (path, name) => manifest.modules.some((m) => m.path === path && m.declarations?.some((d) => d.name === name));
  const broken = [];
  for (const mod of manifest.modules) {
    for (const e of mod.exports ?? []) if (!e.declaration.package && !declares(e.declaration.module, e.declaration.name)) broken.push(`${mod.path}: ${e.kind} ${e.name} → ${e.declaration.module}`);
    for (const d of mod.declarations ?? []) if (d.superclass?.module && !declares(d.superclass.module, d.superclass.name)) broken.push(`${d.name} extends ${d.superclass.name} → ${d.superclass.module}`);
  }
  assert.deepEqual(broken, []);
  const defined = manifest.modules.flatMap((m) => m.exports ?? []).filter((e) => e.kind === 'custom-element-definition').map((e) => e.name).sort();
  assert.deepEqual(defined, TAGS);
});

test('every event an element dispatches is in the manifest, with its type, and no other', () => {
  const dispatched = fromSource(/\b(?:emit|CustomEvent|Event)\s*(?:<[^>()]*>)?\s*\(\s*(['"`])(cv-[\w-]+)\1/g);
  assert.ok(dispatched['cv-classify'].has('cv-learn') && dispatched['cv-segment'].has('cv-result'), 'the source scan found no events');
  compare('events', (el) => (el.events ?? []).map((e) => e.name), dispatched);
  for (const el of elements) for (const e of el.events) assert.match(e.type?.text ?? '', /Event\b/, `<${el.tagName}> ${e.name}: no {EventType} in its @event tag`);
});

test('every documented event is typed for addEventListener on any element (HTMLElementEventMap)', () => {
  const mapped = new Set();
  for (const file of readdirSync(join(root, 'src/events'))) {
    const text = readFileSync(join(root, 'src/events', file), 'utf8');
    for (const block of text.matchAll(/interface HTMLElementEventMap\s*{([^}]*)}/g)) for (const m of block[1].matchAll(/['"](cv-[\w-]+)['"]\s*:/g)) mapped.add(m[1]);
  }
  const events = new Set(elements.flatMap((el) => el.events.map((e) => e.name)));
  assert.deepEqual([...events].filter((e) => !mapped.has(e)), [], 'events missing from HTMLElementEventMap (src/events/*.ts)');
});

test('every part a template renders is in the manifest, and no other', () => {
  const parts = fromSource(/\bpart=(["'])([^"'$]+)\1/g, (s) => s.split(/\s+/).filter(Boolean));
  compare('CSS parts', (el) => (el.cssParts ?? []).map((p) => p.name), parts);
});

test('every CSS custom property the styles read is in the manifest, and no other', () => {
  const props = fromSource(/var\(\s*(--cv-[\w-]+)/g);
  compare('CSS custom properties', (el) => (el.cssProperties ?? []).map((p) => p.name), props);
});

test('every public attribute, property, method, event, part and CSS property has a description', () => {
  const undocumented = [];
  for (const el of elements) {
    const pub = (el.members ?? []).filter((m) => (!m.privacy || m.privacy === 'public') && !m.static);
    for (const [kind, list] of Object.entries({ attribute: el.attributes, member: pub, event: el.events, part: el.cssParts, cssprop: el.cssProperties })) {
      for (const item of list ?? []) if (!item.description?.trim()) undocumented.push(`<${el.tagName}> ${kind} ${item.name}`);
    }
  }
  assert.deepEqual(undocumented, []);
});

test('state properties (lit `state: true`) are not documented as attributes', () => {
  for (const el of elements) {
    for (const a of el.attributes) assert.ok(!['errorMessage', 'spoken', 'counts', 'learnText'].includes(a.fieldName), `<${el.tagName}> ${a.name}`);
  }
});

test('docs/api.md and the framework types are what the manifest gives, as committed', () => {
  for (const [path, wanted] of [[OUTPUTS.docs, renderDocs(manifest)], [OUTPUTS.types, renderTypes(manifest)]]) {
    const current = readFileSync(join(root, path), 'utf8');
    assert.equal(current, wanted, `${path} is stale: run npm run build`);
    // npm test builds first, which rewrites both files: what must be right is the committed copy.
    const committed = spawnSync('git', ['show', `HEAD:${path}`], { cwd: root, encoding: 'utf8' });
    if (committed.status === 0) assert.equal(committed.stdout, current, `the build changed ${path}: commit it with the change to the elements`);
  }
});

test('the per-tag wiring (tag exports, React wrappers, package.json entries) is what the manifest gives, as committed', () => {
  const pkgText = readFileSync(join(root, 'package.json'), 'utf8');
  const generated = [[OUTPUTS.tags, renderTags(manifest)], [OUTPUTS.react, renderReact(manifest)], ['package.json', renderPackage(manifest, pkgText)]];
  for (const [path, wanted] of generated) {
    assert.equal(readFileSync(join(root, path), 'utf8'), wanted, `${path} is stale: run npm run build`);
  }
  // Every element folder is in all of them.
  const pkg = JSON.parse(pkgText);
  for (const tag of TAGS) {
    assert.ok(pkg.exports[`./${tag}`] && pkg.sideEffects.includes(`./dist/${tag}.js`), `package.json lacks ${tag}`);
    assert.match(renderTags(manifest), new RegExp(`from './${tag}/${tag}.js'`));
    assert.match(renderReact(manifest), new RegExp(`tagName: '${tag}'`));
  }
});

test('package.json declares the manifest and ships it', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.customElements, 'custom-elements.json');
  assert.ok(pkg.files.includes('custom-elements.json'), 'custom-elements.json is not in "files"');
  assert.match(pkg.scripts.build, /\bcem analyze\b.*manifest-outputs/, 'the build does not make the manifest');
});
