/** Fetches model bytes with progress, checks their sha256 and keeps them in the Cache API. */
import { CvError } from '../errors.js';

export interface FetchProgress {
  loaded: number;
  total: number;
}


const CACHE_NAME = 'cv-elements-models-v1';

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

let cacheWarned = false;

/** Says once per worker, on the console, that models run uncached; never a cv-error (see docs/reliability-worker.md). */
function cacheFailed(e: unknown): void {
  if (cacheWarned) return;
  cacheWarned = true;
  const err = e as { name?: string; message?: string };
  console.warn(`[cv-elements] The Cache API failed (${err?.name ?? 'Error'}: ${err?.message ?? String(e)}); models load without caching.`);
}

/** Whether the last load could open the Cache API (false: missing or refused, models load uncached). */
let cacheOpened = false;

export function cacheAvailable(): boolean {
  return cacheOpened;
}

async function openCache(): Promise<Cache | null> {
  try {
    // Missing outside secure contexts (http: pages other than localhost).
    const cache = typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME);
    cacheOpened = !!cache;
    return cache;
  } catch (e) {
    cacheOpened = false;
    cacheFailed(e); // opaque origins, Firefox private mode (SecurityError), blocked storage: loading still works
    return null;
  }
}

/**
 * Returns the model's bytes. A cached copy whose hash still matches is used without any request;
 * a fresh download is hashed before use and cached only when it matches.
 */
export async function fetchModel(
  url: string,
  sha256: string | null,
  onProgress: (p: FetchProgress) => void,
): Promise<{ bytes: Uint8Array; fromCache: boolean; cached: boolean }> {
  const cache = await openCache();
  const cacheKey = sha256 ? `${url}#sha256=${sha256}` : url;
  if (cache && sha256) {
    // The cache is an optimisation: a failing read (storage blocked, evicted mid-read) means a download.
    const hit = await cache.match(cacheKey).catch((e) => void cacheFailed(e));
    const bytes = hit ? await hit.arrayBuffer().then((b) => new Uint8Array(b), (e) => void cacheFailed(e)) : undefined;
    if (bytes) {
      if ((await sha256Hex(bytes)) === sha256) {
        onProgress({ loaded: bytes.byteLength, total: bytes.byteLength });
        return { bytes, fromCache: true, cached: true };
      }
      await cache.delete(cacheKey).catch(() => {});
    }
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new CvError('model-fetch', `Could not fetch model ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new CvError('model-fetch', `Model ${url} answered HTTP ${res.status} ${res.statusText}`);
  const total = Number(res.headers.get('content-length')) || 0;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = res.body!.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      // The connection was cut mid-body: a download fault, not a run fault.
      throw new CvError('model-fetch', `The download of model ${url} was cut after ${loaded} bytes: ${(e as Error).message}`);
    }
    const { done, value } = chunk;
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress({ loaded, total: Math.max(total, loaded) });
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  let cached = false;
  if (sha256) {
    const got = await sha256Hex(bytes);
    if (got !== sha256) {
      throw new CvError('integrity', `Model ${url} has sha256 ${got}, but ${sha256} was expected: refusing to run it`);
    }
    // A full quota or blocked storage must not fail a model that downloaded and checked fine: it runs
    // uncached, and the next load downloads it again.
    cached = !!cache && (await cache.put(cacheKey, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).then(() => true, (e) => (cacheFailed(e), false)));
  }
  return { bytes, fromCache: false, cached };
}
