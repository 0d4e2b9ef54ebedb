/**
 * Trusted Types: under `require-trusted-types-for 'script'`, `new Worker(url)` takes only a
 * TrustedScriptURL. This policy, named `cv-elements`, vouches for exactly one kind of URL: this
 * library's own worker script next to the module itself. Pages that restrict policy names with a
 * `trusted-types` directive list `cv-elements` (see docs/reliability.md).
 */
interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown };
}

let policy: { createScriptURL(input: string): unknown } | null | undefined;

/** `url` as the Worker constructor accepts it on this page (a TrustedScriptURL where Trusted Types are on). */
export function workerScriptUrl(url: URL): string | URL {
  const tt = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!tt) return url;
  policy ??= (() => {
    try {
      return tt.createPolicy('cv-elements', {
        createScriptURL(input: string) {
          const u = new URL(input);
          const own = new URL('./', import.meta.url);
          if (u.origin !== own.origin || !u.pathname.startsWith(own.pathname) || !/\/inference-worker\.js$/.test(u.pathname)) {
            throw new TypeError(`cv-elements only starts its own worker, not ${input}`);
          }
          return u.href;
        },
      });
    } catch {
      return null; // the page's trusted-types directive does not allow the name: the plain URL is tried
    }
  })();
  return policy ? (policy.createScriptURL(url.href) as string) : url;
}
