import { posix } from 'node:path';

// Configuration of `cem analyze` (run by `npm run build`): custom-elements.json documents the tags from
// their source and JSDoc (@attr, @event, @csspart, @cssprop, @slot). tools/tests/manifest.test.mjs and
// tests/elements/manifest.test.js check it against what the code really observes, dispatches and renders.

/**
 * Corrections for what the analyzer's lit support gets wrong in this codebase:
 * - `static properties` entries with `state: true` are internal reactive state, not attributes
 *   (lit observes no attribute for them), but the analyzer lists them as attributes;
 * - `new CustomEvent(type, …)` inside the `emit()` helper reads as an event named "type": events
 *   without a JSDoc `@event` description are dropped (the manifest test checks every dispatched event
 *   has one);
 * - local variables of a function (`const detail = …`) are listed as module declarations: a module's
 *   declarations are cut down to what it exports;
 * - the analyzer's inheritance replaces a subclass's own `@event` or field by the base class's one of
 *   the same name: the subclass's (with its precise `cv-result` and `result` types) is put back;
 * - references to other modules are written as `/src/x.js`, `../../x.js` or the re-exporting module:
 *   they are pointed at the module that declares the name, so tools can follow them;
 * - a field backed by an attribute documented only by `@attr` gets that text, and the other way round,
 *   so the description is written once.
 */
function cvElementsPlugin() {
  /** class name → names of its `state: true` properties */
  const stateProps = new Map();
  /** class name → its own events and members (kept over an ancestor's entry of the same name) */
  const own = new Map();
  return {
    name: 'cv-elements',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      for (const member of node.members) {
        const isStatic = member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword);
        if (!isStatic || !ts.isPropertyDeclaration(member) || member.name?.getText() !== 'properties') continue;
        if (!member.initializer || !ts.isObjectLiteralExpression(member.initializer)) continue;
        for (const prop of member.initializer.properties) {
          if (!ts.isPropertyAssignment(prop) || !ts.isObjectLiteralExpression(prop.initializer)) continue;
          const state = prop.initializer.properties.some(
            (p) => ts.isPropertyAssignment(p) && p.name.getText() === 'state' && p.initializer.kind === ts.SyntaxKind.TrueKeyword,
          );
          if (state) {
            const names = stateProps.get(node.name.text) ?? new Set();
            names.add(prop.name.getText());
            stateProps.set(node.name.text, names);
          }
        }
      }
    },
    moduleLinkPhase({ moduleDoc }) {
      for (const d of moduleDoc.declarations ?? []) {
        if (d.kind === 'class') own.set(d.name, { events: structuredClone(d.events ?? []), members: structuredClone(d.members ?? []) });
      }
    },
    packageLinkPhase({ customElementsManifest }) {
      const modules = customElementsManifest.modules;
      const paths = new Set(modules.map((m) => m.path));
      /** Where a declaration really is: the analyzer writes some references as `/src/x.js` or `../../x.js`. */
      const normalize = (ref, from) => {
        if (!ref?.module) return;
        let path = ref.module.startsWith('/') ? ref.module.slice(1) : ref.module.startsWith('.') ? posix.join(posix.dirname(from), ref.module) : ref.module;
        if (!paths.has(path) && paths.has(path.replace(/\.js$/, '.ts'))) path = path.replace(/\.js$/, '.ts');
        // A re-export (`export { CvSegment }` of an imported class) names its own module: point at the declaring one.
        const declaring = modules.find((m) => m.path === path)?.declarations?.some((d) => d.name === ref.name)
          ? path
          : modules.find((m) => m.declarations?.some((d) => d.name === ref.name) && m.exports?.some((e) => e.name === ref.name && e.kind === 'js'))?.path;
        if (declaring) ref.module = declaring;
      };
      for (const mod of modules) {
        for (const e of mod.exports ?? []) normalize(e.declaration, mod.path);
        for (const d of mod.declarations ?? []) normalize(d.superclass, mod.path);
      }
      // A helper module (no class in it: asset-base, reduced-motion) is documented only for what a tag's entry
      // re-exports (setAssetBase); the rest is internal.
      const reexported = new Set(modules.flatMap((m) => (m.exports ?? []).filter((e) => e.declaration?.module !== m.path).map((e) => `${e.declaration?.module}#${e.declaration?.name}`)));
      for (const mod of modules) {
        if (!mod.declarations?.length || mod.declarations.some((d) => d.kind === 'class')) continue;
        mod.exports = (mod.exports ?? []).filter((e) => reexported.has(`${mod.path}#${e.name}`));
      }
      for (const mod of modules) {
        const exported = new Set((mod.exports ?? []).filter((e) => e.kind === 'js').map((e) => e.declaration?.name));
        mod.declarations = (mod.declarations ?? []).filter((d) => exported.has(d.name));
        for (const decl of mod.declarations) {
          if (decl.kind !== 'class') continue;
          // An inherited entry names its class in `inheritedFrom`: a state property of an ancestor goes too.
          const internal = (a) => stateProps.get(a.inheritedFrom?.name ?? decl.name)?.has(a.fieldName);
          if (decl.attributes) decl.attributes = decl.attributes.filter((a) => !internal(a));
          for (const kind of ['events', 'members']) {
            for (const mine of own.get(decl.name)?.[kind] ?? []) {
              const i = decl[kind]?.findIndex((e) => e.name === mine.name && !!e.static === !!mine.static) ?? -1;
              if (i >= 0 && decl[kind][i].inheritedFrom) decl[kind][i] = { ...decl[kind][i], ...mine, inheritedFrom: undefined };
            }
          }
          if (decl.events) decl.events = decl.events.filter((e) => e.description);
          for (const attr of decl.attributes ?? []) {
            const field = decl.members?.find((m) => m.kind === 'field' && m.name === attr.fieldName);
            if (!field) continue;
            if (!field.description && attr.description) field.description = attr.description;
            if (!attr.description && field.description) attr.description = field.description;
          }
        }
      }
    },
  };
}

export default {
  globs: ['src/elements/**/*.ts', 'src/asset-base.ts'],
  // tags.generated.ts is written from this manifest (scripts/manifest-outputs.mjs): not a source of it.
  exclude: ['src/elements/**/*.styles.ts', 'src/elements/*.generated.ts'],
  litelement: true,
  plugins: [cvElementsPlugin()],
};
