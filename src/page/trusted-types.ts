/**
 * Trusted Types: under `require-trusted-types-for 'script'`, `new Worker(url)` takes only a
 * TrustedScriptURL. The worker must still be started by the literal
 * `new Worker(new URL('./inference-worker.js', import.meta.url), …)`, because that exact expression is
 * what Vite and webpack detect to bundle and emit the worker (and rewrite its URL to a hashed file),
 * so the URL cannot be wrapped at the call site. Instead, for the one synchronous call, `Worker` is a
 * subclass that passes its URL through a policy named `cv-elements`. The policy vouches only for
 * same-origin script URLs, and only while that call runs, so no other code can use it. Pages that
 * restrict policy names with a `trusted-types` directive list `cv-elements` (see docs/reliability.md).
 */
interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown };
}

let policy: { createScriptURL(input: string): unknown } | null | undefined;
let starting = false;

function trustedPolicy(): { createScriptURL(input: string): unknown } | null {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt) return null;
  policy ??= (() => {
    try {
      return tt.createPolicy('cv-elements', {
        createScriptURL(input: string) {
          const u = new URL(input, globalThis.location?.href);
          if (!starting || u.origin !== globalThis.location?.origin) {
            throw new TypeError(`cv-elements vouches only for its own worker while starting it, not ${input}`);
          }
          return u.href;
        },
      });
    } catch {
      return null; // the page's trusted-types directive does not allow the name: the plain URL is tried
    }
  })();
  return policy;
}

/** Runs `start` (which calls `new Worker(new URL(…), …)`) with the worker's URL vouched for where Trusted Types are on. */
export function startTrustedWorker(start: () => Worker): Worker {
  const p = trustedPolicy();
  const scope = globalThis as { Worker: typeof Worker };
  const Plain = scope.Worker;
  if (!p) return start();
  scope.Worker = class extends Plain {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(p!.createScriptURL(String(url)) as unknown as string, options);
    }
  };
  starting = true;
  try {
    return start();
  } finally {
    starting = false;
    scope.Worker = Plain;
  }
}
