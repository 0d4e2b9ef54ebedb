/**
 * Where the package's files are fetched from. By default every file is found next to the module that names it
 * (one literal URL relative to `import.meta.url` per file, which bundlers follow and emit). `setAssetBase()`
 * is for apps that host the files elsewhere (a CDN, a folder the bundler does not manage): every runtime file
 * and every catalog model then resolves as `<base><file name>`, all in one flat folder. The worker script itself
 * always comes from the app (browsers refuse cross-origin workers).
 */
let base: string | null = null;

/**
 * Makes every runtime file (`*.mjs` glue and `*.wasm`) and every catalog model load from `url` (a folder; a
 * trailing `/` is added). Call it before the first element connects: a running worker keeps the base it
 * started with. `null` goes back to the files next to the package's modules.
 */
export function setAssetBase(url: string | URL | null): void {
  if (url === null) {
    base = null;
    return;
  }
  const href = new URL(String(url), globalThis.document?.baseURI ?? globalThis.location?.href).href;
  base = href.endsWith('/') ? href : `${href}/`;
}

/** The base set by `setAssetBase()`, or null for the default. */
export function assetBase(): string | null {
  return base;
}

/** A file's URL: under the asset base when one is set, else where the literal URL given by `local` points. */
export function assetUrl(name: string, local: () => URL, over: string | null = base): string {
  return over ? new URL(name, over).href : local().href;
}
