// custom-elements.json (made by npm run build) against the running elements: the attributes lit
// observes, the reactive properties, the defaults, the methods on the prototypes and the parts in the
// rendered shadow roots. Events, template parts and CSS properties are checked against the source in
// tools/tests/manifest.test.mjs.
import { expect } from '@esm-bundle/chai';
import { TINY_CATALOG, mount } from './helpers.js';

const manifest = await (await fetch('/custom-elements.json')).json();
const elements = manifest.modules.flatMap((m) => m.declarations ?? []).filter((d) => d.customElement && d.tagName);
const TAGS = ['cv-classify', 'cv-detect', 'cv-generate', 'cv-segment'];
/** Lit's lifecycle, which the analyzer leaves out of the manifest on purpose. */
const LIT_LIFECYCLE = new Set(['connectedCallback', 'disconnectedCallback', 'attributeChangedCallback', 'render', 'willUpdate', 'update', 'updated', 'firstUpdated', 'shouldUpdate', 'createRenderRoot', 'getUpdateComplete', 'scheduleUpdate', 'performUpdate']);

const doc = (tag) => elements.find((e) => e.tagName === tag);
const isPublic = (m) => !m.privacy || m.privacy === 'public';

/** The element's own prototypes, below lit's ReactiveElement and LitElement. */
function ownPrototypes(ctor) {
  const protos = [];
  for (let p = ctor.prototype; p && p !== HTMLElement.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'requestUpdate') || Object.hasOwn(p, 'createRenderRoot')) continue; // lit's own classes
    protos.push(p);
  }
  return protos;
}

afterEach(() => document.querySelectorAll(TAGS.join(',')).forEach((el) => el.remove()));

describe('custom-elements.json against the running elements', () => {
  it('documents the registered tags', () => {
    expect(elements.map((e) => e.tagName).sort()).to.deep.equal(TAGS);
    for (const tag of TAGS) expect(customElements.get(tag), tag).to.be.a('function');
  });

  for (const tag of TAGS) {
    describe(`<${tag}>`, () => {
      it('lists exactly the attributes lit observes, each with its property', () => {
        const ctor = customElements.get(tag);
        const observed = [...ctor.observedAttributes].sort();
        expect((doc(tag).attributes ?? []).map((a) => a.name).sort(), 'manifest attributes vs observedAttributes').to.deep.equal(observed);
        for (const a of doc(tag).attributes) {
          const options = ctor.elementProperties.get(a.fieldName);
          expect(options, `${a.name}: no reactive property ${a.fieldName}`).to.exist;
          const attribute = options.attribute === true || options.attribute === undefined ? a.fieldName.toLowerCase() : options.attribute;
          expect(attribute, `${a.fieldName}'s attribute`).to.equal(a.name);
        }
      });

      it('lists every public reactive property as a field, and no internal state', () => {
        const ctor = customElements.get(tag);
        const reactive = [...ctor.elementProperties].filter(([, o]) => !o.state && o.attribute !== false).map(([k]) => String(k)).sort();
        const fields = doc(tag).members.filter((m) => m.kind === 'field' && m.attribute && isPublic(m)).map((m) => m.name).sort();
        expect(fields).to.deep.equal(reactive);
      });

      it('gives the defaults the element really has', () => {
        const el = document.createElement(tag);
        let checked = 0;
        for (const a of doc(tag).attributes) {
          if (a.default === undefined) continue;
          const expected = JSON.parse(a.default.replace(/^'(.*)'$/, (_, s) => JSON.stringify(s)));
          expect(el[a.fieldName], `${a.name} default`).to.deep.equal(expected);
          checked++;
        }
        expect(checked).to.be.greaterThan(10);
      });

      it('documents the public methods the prototype has, and the prototype has no method it does not know', () => {
        const ctor = customElements.get(tag);
        const members = doc(tag).members;
        const onPrototype = new Set(ownPrototypes(ctor).flatMap((p) => Object.getOwnPropertyNames(p)).filter((n) => n !== 'constructor'));
        for (const m of members.filter((m) => m.kind === 'method' && isPublic(m) && !m.static)) {
          expect(typeof ctor.prototype[m.name], `${m.name}()`).to.equal('function');
        }
        const known = new Set(members.map((m) => m.name));
        const unknown = [...onPrototype].filter((n) => !known.has(n) && !LIT_LIFECYCLE.has(n));
        expect(unknown, 'on the prototype but not in the manifest').to.deep.equal([]);
      });

      it('documents every part in its rendered shadow root', async () => {
        const extra = tag === 'cv-classify' ? ' learn' : '';
        const el = mount(`<${tag} src="tiny-colour" catalog="${TINY_CATALOG}" source="#no-such-image" backend="wasm"${extra}></${tag}>`);
        await el.updateComplete;
        const rendered = new Set([...el.shadowRoot.querySelectorAll('[part]')].flatMap((n) => [...n.part]));
        const documented = new Set(doc(tag).cssParts.map((p) => p.name));
        expect([...rendered].filter((p) => !documented.has(p)), 'rendered but not documented').to.deep.equal([]);
        expect(rendered.size).to.be.greaterThan(3);
      });
    });
  }
});
