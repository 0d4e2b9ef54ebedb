#!/usr/bin/env node
// Serves the demo and the built package from this folder, cross-origin isolated so wasm threads work.
// `npm start` builds first; PORT picks the port (8080 by default). Only files under this folder are served,
// never dotfiles (.git, .npmrc, .cache), and only to requests whose Host is this machine's loopback name
// (docs/reliability-tools.md; ALLOWED_HOSTS=name,… opts other names in for LAN testing).
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTENT_TYPES, ISOLATION_HEADERS } from './headers.mjs';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));


/**
 * Whether a request's Host header names this server. A page on another site can make its own name
 * resolve to 127.0.0.1 (DNS rebinding) and then read this server same-origin, `.git/` included; the
 * only thing that gives it away is its Host, so anything but a loopback name on our port is refused.
 * @param {string|undefined} host the Host header
 * @param {number} port the port the server is bound to
 * @param {string[]} [extra] further host names allowed (lower case, without port)
 */
export function hostAllowed(host, port, extra = []) {
  if (!host) return false;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(host);
  if (!m) return false;
  const name = m[1].toLowerCase().replace(/\.$/, '');
  const p = m[2] === undefined ? 80 : Number(m[2]);
  if (p !== port) return false;
  if (name === 'localhost' || name === '[::1]' || extra.includes(name)) return true;
  // 127.0.0.0/8 written as a dotted quad (not "127.1" or "0x7f…": those are not what a browser sends for us).
  return /^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(name);
}

/** ALLOWED_HOSTS="pc.local,192.168.1.20": extra names for testing from another device on the LAN. */
const envHosts = () => (process.env.ALLOWED_HOSTS ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);

/** True when a path (relative to root) has a segment that is hidden (.git, .npmrc) or climbs out (..). */
const hiddenOrOutside = (rel) => rel === '..' || isAbsolute(rel) || rel.split(sep).some((seg) => seg.startsWith('.'));

/**
 * Maps a URL path to a file inside `root`, or null when it would leave it or name a dotfile.
 * The check is made again on the real path, so a symlink cannot lead out or into `.git`.
 */
async function fileFor(root, realRoot, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  // Backslashes and NULs have no business in a URL path; on Windows the first is a separator.
  if (path.includes('\\') || path.includes('\0')) return null;
  const file = normalize(join(root, path));
  const rel = relative(root, file);
  if (file !== root && (!file.startsWith(root + sep) || hiddenOrOutside(rel))) return null;
  try {
    const real = await realpath(file);
    const realRel = relative(await realRoot, real);
    if (realRel && hiddenOrOutside(realRel)) return null;
  } catch {
    // Missing: the caller answers 404.
  }
  return file;
}


/**
 * @param {{port?: number, host?: string, quiet?: boolean, allowedHosts?: string[], root?: string}} [opts]
 *   host: the address to bind (HOST; loopback by default); root: the folder served (the repository)
 */
export function startServer({ port = Number(process.env.PORT) || 8080, host = process.env.HOST || '127.0.0.1', quiet = false, allowedHosts = envHosts(), root = repoRoot } = {}) {
  root = resolve(root);
  const realRoot = realpath(root);
  const server = createServer(async (req, res) => {
    if (!hostAllowed(req.headers.host, server.address().port, allowedHosts)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('misdirected request: this server answers only to localhost (see ALLOWED_HOSTS)');
      return;
    }
    // Only origin-form targets ("/path"): an absolute URL in the request line would name another host.
    if (!req.url?.startsWith('/')) {
      res.writeHead(400).end('bad request');
      return;
    }
    const url = new URL(req.url, 'http://localhost');
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/demo/' });
      res.end();
      return;
    }
    let file = await fileFor(root, realRoot, url.pathname);
    if (!file) {
      res.writeHead(403).end('forbidden');
      return;
    }
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        file = join(file, 'index.html');
        info = await stat(file);
      }
      if (!info.isFile()) throw new Error('not a file');
      // Revalidated on every load (no-cache) but with a validator, so an unchanged file is a 304: the
      // browser keeps its cached copy, and with it V8's compiled code for the runtimes' .wasm files,
      // which saves recompiling ~10 MB of wasm on every visit.
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache' }).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': info.size, 'Cache-Control': 'no-cache', ETag: etag });
      if (req.method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${url.pathname}`);
    }
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      if (!quiet) console.log(`cv-elements demo: http://localhost:${bound}/  (Ctrl-C to stop)`);
      resolvePromise({ server, port: bound, url: `http://localhost:${bound}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  startServer().catch((e) => {
    console.error(e.code === 'EADDRINUSE' ? `Port ${e.port} is in use: set PORT to another one, e.g. PORT=8081 npm start` : e);
    process.exit(1);
  });
}
