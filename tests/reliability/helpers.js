import './flag.js';
import { expect } from '@esm-bundle/chai';
import { InferenceClient, liveCameraStreams } from '/dist/cv-elements.js';

export const TINY_CATALOG = new URL('/tests/fixtures/catalog.json', location.href).href;

/** The library's live resource counts (tracks, frames, bitmaps, listeners, leases, timers). */
export function counts() {
  const read = globalThis[Symbol.for('cv-elements.resources')];
  if (!read) throw new Error('resource accounting is not on: import tests/reliability/flag.js before the library');
  return read();
}

/** Polls `test` every 50 ms until it is truthy; rejects after `ms` with `what`. */
export async function waitFor(test, what, ms = 15000) {
  const t0 = performance.now();
  for (;;) {
    const v = await test();
    if (v) return v;
    if (performance.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every cv-error an element fires, from now on. */
export function recordErrors(el) {
  const seen = [];
  el.addEventListener('cv-error', (e) => seen.push(e.detail));
  return seen;
}

/** Resolves on the next cv-result, or rejects after `ms`. */
export function nextResult(el, ms = 20000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no cv-result within ${ms} ms`)), ms);
    el.addEventListener('cv-result', (e) => (clearTimeout(t), resolve(e.detail)), { once: true });
  });
}

/** Resolves on the next cv-error (rejects after `ms`). */
export function nextError(el, ms = 20000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no cv-error within ${ms} ms`)), ms);
    el.addEventListener('cv-error', (e) => (clearTimeout(t), resolve(e.detail)), { once: true });
  });
}

/** The message the element shows (shadow DOM), or '' when its error box is hidden. */
export async function shownError(el) {
  await el.updateComplete;
  const box = el.shadowRoot.querySelector('[part=error]');
  return box.hidden ? '' : box.textContent.trim();
}

export function mount(markup, parent = document.body) {
  const host = document.createElement('div');
  host.innerHTML = markup;
  const el = host.firstElementChild;
  parent.append(el);
  return el;
}

export function redCanvas(id, w = 32, h = 24, colour = 'rgb(230, 20, 20)') {
  const c = document.createElement('canvas');
  c.id = id;
  c.width = w;
  c.height = h;
  const ctx = c.getContext('2d');
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, w, h);
  document.body.append(c);
  return c;
}

/** Asserts nothing the library owns is alive any more (call after removing every element). */
export async function expectNoLeaks(baseline = null) {
  await waitFor(() => {
    const c = counts();
    return Object.entries(c).every(([k, v]) => k === 'worker' || v === (baseline?.[k] ?? 0));
  }, `resource counts back to ${JSON.stringify(baseline ?? 0)} (now ${JSON.stringify(counts())})`, 5000).catch((e) => {
    throw e;
  });
  expect(liveCameraStreams()).to.equal(0);
  expect(InferenceClient.openSessions()).to.deep.equal({});
}

/** Fakes the tab going hidden or visible (what visibilitychange listeners read). */
export function setTabHidden(hidden) {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Replaces getUserMedia until the returned function is called. */
export function stubGetUserMedia(impl) {
  const md = navigator.mediaDevices;
  const real = md.getUserMedia;
  md.getUserMedia = impl;
  return () => {
    md.getUserMedia = real;
  };
}

export function domError(name, message = name) {
  return new DOMException(message, name);
}

export function cleanup() {
  document.querySelectorAll('cv-classify, cv-segment, cv-generate, canvas, img, iframe, .spacer').forEach((el) => el.remove());
  window.scrollTo(0, 0);
}
