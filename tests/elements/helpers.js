import '/dist/cv-elements.js';

export const TINY_CATALOG = new URL('/tests/fixtures/catalog.json', location.href).href;

/** Resolves with the first event of `type` from `el`, or rejects after `ms` with what happened meanwhile. */
export function nextEvent(el, type, ms = 60000) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const log = (e) => seen.push(`${e.type}:${JSON.stringify(e.detail)?.slice(0, 200)}`);
    const types = ['cv-error', 'cv-ready', 'cv-result'];
    types.forEach((t) => el.addEventListener(t, log));
    const done = () => types.forEach((t) => el.removeEventListener(t, log));
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no ${type} within ${ms} ms; saw ${seen.join(' | ') || 'nothing'}`));
    }, ms);
    el.addEventListener(type, (e) => {
      clearTimeout(timer);
      done();
      resolve(e);
    }, { once: true });
  });
}

/** Waits for an event whose detail passes `test`. */
export function eventWhere(el, type, test, ms = 60000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${type} within ${ms} ms`)), ms);
    const on = (e) => {
      if (!test(e.detail)) return;
      clearTimeout(timer);
      el.removeEventListener(type, on);
      resolve(e);
    };
    el.addEventListener(type, on);
  });
}

/** A canvas filled with colours: `fill(ctx, w, h)` draws it. */
export function canvasWith(id, width, height, fill) {
  const c = document.createElement('canvas');
  c.id = id;
  c.width = width;
  c.height = height;
  fill(c.getContext('2d'), width, height);
  document.body.append(c);
  return c;
}

/** Mounts an element from HTML and returns it. */
export function mount(markup) {
  const host = document.createElement('div');
  host.innerHTML = markup;
  const el = host.firstElementChild;
  document.body.append(el);
  return el;
}
