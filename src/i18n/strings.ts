/**
 * Every piece of text the elements show or announce, in one table: English by default, replaceable in
 * part with `setStrings()`, for every element or for one language (picked by the nearest `lang`
 * attribute, as the browser does). Error codes never change; only the text shown for them does.
 */
import type { CvErrorCode } from '../errors.js';

export interface CvStrings {
  /** Accessible name of the download progress bar. */
  progressLabel: string;
  /** Spoken value of the progress bar; `total` is 0 when the server sent no length. */
  progressValue: (loaded: number, total: number) => string;
  /** The `hud` readout. */
  hud: (fps: number, latencyMs: number) => string;
  /** One label as drawn on `<cv-classify>`'s overlay. */
  overlayLabel: (label: string, percent: number) => string;
  /** One label as read out by `<cv-classify>`. */
  labelScore: (label: string, percent: number) => string;
  /** Joins the labels read out for one frame. */
  labelList: (items: string[]) => string;
  noLabel: string;
  noFace: string;
  /** Accessible name of the learn bar. */
  learnGroup: string;
  /** Accessible name of a class button. */
  classButton: (name: string, count: number) => string;
  /** Announced after an example is captured. */
  exampleAdded: (name: string, count: number) => string;
  /** Announced after examples are cleared (`name` null: all classes). */
  examplesCleared: (name: string | null) => string;
  /** Shown in the learn bar until something is learned. */
  nothingLearned: string;
  /** Training status in the learn bar (accuracy in percent). */
  learnStatus: (training: boolean, accuracy: number, loss: number) => string;
  /** The text shown in the element for an error; return `message` (English, from the code) to keep it. */
  error: (code: CvErrorCode | string, message: string) => string;
}

export const DEFAULT_STRINGS: Readonly<CvStrings> = Object.freeze({
  progressLabel: 'Downloading model',
  progressValue: (loaded: number, total: number) =>
    total > 0 ? `${Math.round((loaded / total) * 100)} % of ${mb(total)}` : `${mb(loaded)} downloaded`,
  hud: (fps: number, latencyMs: number) => `${fps} fps · ${latencyMs.toFixed(0)} ms`,
  overlayLabel: (label: string, percent: number) => `${label} ${percent}%`,
  labelScore: (label: string, percent: number) => `${label} ${percent} percent`,
  labelList: (items: string[]) => items.join(', '),
  noLabel: 'no label',
  noFace: 'no face',
  learnGroup: 'Teach your own classes',
  classButton: (name: string, count: number) => `Capture an example of ${name} (${count} so far)`,
  exampleAdded: (name: string, count: number) => `${name}: ${count} ${count === 1 ? 'example' : 'examples'}`,
  examplesCleared: (name: string | null) => (name === null ? 'All examples cleared' : `Examples of ${name} cleared`),
  nothingLearned: 'Nothing learned yet: press a class button to capture a few examples of each class.',
  learnStatus: (training: boolean, accuracy: number, loss: number) =>
    `${training ? 'training' : 'trained'}: accuracy ${accuracy.toFixed(0)} %, loss ${loss.toFixed(3)}`,
  error: (_code: string, message: string) => message,
});

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** Overrides for every language, then per language (lower-case BCP 47 tag: `fr`, `pt-br`). */
let common: Partial<CvStrings> = {};
const byLang = new Map<string, Partial<CvStrings>>();
const listeners = new Set<() => void>();
const cache = new Map<string, CvStrings>();

/**
 * Replaces some of the built-in strings. Without `lang` the change applies to every element; with
 * `lang` (`'fr'`, `'pt-BR'`) only to elements whose nearest `lang` attribute is that language (a region
 * falls back to its language, then to the common table, then to English). Elements already on the page
 * re-render. Calls add up; `setStrings(null, lang)` forgets what was set (for `lang`, or all with none).
 */
export function setStrings(partial: Partial<CvStrings> | null, lang?: string): void {
  const key = lang?.toLowerCase();
  if (key === undefined) common = partial ? { ...common, ...partial } : {};
  else if (partial) byLang.set(key, { ...byLang.get(key), ...partial });
  else byLang.delete(key);
  cache.clear();
  listeners.forEach((f) => f());
}

/** The table for a language tag ('' for the common one). */
export function stringsFor(lang = ''): CvStrings {
  const key = lang.toLowerCase();
  let table = cache.get(key);
  if (!table) {
    const base = key.split('-')[0]!;
    table = { ...DEFAULT_STRINGS, ...common, ...(base !== key ? byLang.get(base) : undefined), ...byLang.get(key) };
    cache.set(key, table);
  }
  return table;
}

/** Calls `f` whenever the strings change; returns the unsubscribe. */
export function onStringsChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
