/** Fetches model bytes with progress, checks their sha256 and keeps them in the Cache API. */

export interface FetchProgress {
  loaded: number;
  total: number;
}

export class ModelFetchError extends Error {
  constructor(
    readonly code: 'model-fetch' | 'integrity',
    message: string,
  ) {
    super(message);
  }
}

const CACHE_NAME = 'cv-elements-models-v1';

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(CACHE_NAME);
  } catch {
    return null; // opaque origins and some private modes have no Cache API; loading still works
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
): Promise<{ bytes: Uint8Array; fromCache: boolean }> {
  const cache = await openCache();
  const cacheKey = sha256 ? `${url}#sha256=${sha256}` : url;
  if (cache && sha256) {
    const hit = await cache.match(cacheKey);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      if ((await sha256Hex(bytes)) === sha256) {
        onProgress({ loaded: bytes.byteLength, total: bytes.byteLength });
        return { bytes, fromCache: true };
      }
      await cache.delete(cacheKey);
    }
  }
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new ModelFetchError('model-fetch', `Could not fetch model ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new ModelFetchError('model-fetch', `Model ${url} answered HTTP ${res.status} ${res.statusText}`);
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
      throw new ModelFetchError('model-fetch', `The download of model ${url} was cut after ${loaded} bytes: ${(e as Error).message}`);
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
  if (sha256) {
    const got = await sha256Hex(bytes);
    if (got !== sha256) {
      throw new ModelFetchError('integrity', `Model ${url} has sha256 ${got}, but ${sha256} was expected: refusing to run it`);
    }
    await cache?.put(cacheKey, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
  }
  return { bytes, fromCache: false };
}
