#!/usr/bin/env node
// Serves the demo and the built package from this folder, cross-origin isolated so wasm threads work.
// `npm start` builds first; PORT picks the port (8080 by default). Only files under this folder are served.
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISOLATION_HEADERS } from './headers.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.tflite': 'application/octet-stream',
  '.binarypb': 'application/octet-stream',
  '.data': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.y4m': 'video/x-yuv4mpeg',
};

/** Maps a URL path to a file inside `root`, or null when it would leave it. */
function fileFor(urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const file = normalize(join(root, path));
  return file === root || file.startsWith(root + sep) ? file : null;
}

export function startServer({ port = Number(process.env.PORT) || 8080, host = '127.0.0.1', quiet = false } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
    if (url.pathname === '/') {
      res.writeHead(302, { Location: '/demo/' });
      res.end();
      return;
    }
    let file = fileFor(url.pathname);
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
      // Revalidated on every load (no-cache) but with a validator, so an unchanged file is a 304: the
      // browser keeps its cached copy, and with it V8's compiled code for the runtimes' .wasm files,
      // which saves recompiling ~10 MB of wasm on every visit.
      const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
      const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
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
