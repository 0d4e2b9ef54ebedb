// Test-server routes that misbehave on purpose, for the reliability fault matrix
// (tests/elements/reliability-*.test.js). Everything is under /__faults/ and is served by
// web-test-runner only (never by the dev or bench servers).
import { readFileSync } from 'node:fs';

/** Requests left hanging, so a run that ends does not wait on them: each is cut after this long. */
const HANG_MS = 120000;

/** The page the CSP test loads in an iframe, under the strictest policy the library promises to work with. */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; require-trusted-types-for 'script'";

const CSP_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>cv-elements under a strict CSP</title></head>
<body>
<canvas id="red" width="32" height="24"></canvas>
<script type="module" src="/tests/reliability/csp-page.js"></script>
</body></html>`;

/** Requests seen so far by /__faults/flaky/, per key. */
const flakyCounts = new Map();

/** Connections held by /__faults/hang/. */
const hung = new Set();

export async function faultRoutes(ctx, next) {
  const m = /^\/__faults\/([a-z0-9-]+)(\/.*)?$/.exec(ctx.path);
  if (!m) return next();
  const [, kind, rest = ''] = m;
  if (kind === '404') {
    ctx.status = 404;
    ctx.body = 'not here';
    return;
  }
  if (kind === 'reset') {
    // Headers and half the body of a real fixture, then the connection is cut.
    const file = `tests/fixtures/${rest.replace(/^\//, '').replace(/[^a-z0-9.-]/gi, '')}`;
    const bytes = readFileSync(file);
    ctx.respond = false;
    ctx.res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length), 'Cross-Origin-Resource-Policy': 'same-origin' });
    ctx.res.write(bytes.subarray(0, bytes.length >> 1));
    setTimeout(() => ctx.req.socket.destroy(), 50);
    return;
  }
  if (kind === 'flaky') {
    // /__faults/flaky/<n>/<key>/<fixture>: the first n requests for <key> are cut before any answer (a
    // network error: nothing can store it), later ones get the fixture.
    const f = /^\/(\d+)\/([a-z0-9-]+)\/([a-z0-9.-]+)$/i.exec(rest);
    if (!f) return next();
    const seen = (flakyCounts.get(f[2]) ?? 0) + 1;
    flakyCounts.set(f[2], seen);
    if (seen <= Number(f[1])) {
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'application/octet-stream';
    ctx.body = readFileSync(`tests/fixtures/${f[3]}`);
    return;
  }
  if (kind === 'hang') {
    // Never answers: headers are not even sent. Cut by /__faults/release-hangs, or after HANG_MS.
    ctx.respond = false;
    const socket = ctx.req.socket;
    hung.add(socket);
    setTimeout(() => socket.destroy(), HANG_MS).unref();
    socket.once('close', () => hung.delete(socket));
    return;
  }
  if (kind === 'release-hangs') {
    for (const s of hung) s.destroy();
    ctx.body = String(hung.size);
    hung.clear();
    return;
  }
  if (kind === 'not-json') {
    ctx.type = 'application/json';
    ctx.body = '{"models": {"tiny-colour": ';
    return;
  }
  if (kind === 'not-a-catalog') {
    ctx.type = 'application/json';
    ctx.body = JSON.stringify({ hello: 'world' });
    return;
  }
  if (kind === 'garbage-model') {
    ctx.type = 'application/octet-stream';
    ctx.body = Buffer.from('this is not an onnx model at all, just bytes'.repeat(8));
    return;
  }
  if (kind === 'no-cors') {
    // An image another origin may show but not read: loads under COEP (CORP cross-origin), no CORS header.
    ctx.state.crossOriginResource = true;
    ctx.type = 'image/png';
    ctx.body = readFileSync('tests/.fixtures/astronaut.png');
    return;
  }
  if (kind === 'csp') {
    ctx.state.csp = STRICT_CSP;
    ctx.type = 'text/html';
    ctx.body = CSP_PAGE;
    return;
  }
  return next();
}
