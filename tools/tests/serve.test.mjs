// The dev server (scripts/serve.mjs, `npm start`) against a page that rebinds its DNS name to 127.0.0.1
// (forged Host headers) and against paths that try to reach dotfiles or leave the served folder. Raw
// HTTP over a socket, because fetch and http.request normalise the very paths under test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startServer, hostAllowed } from '../../scripts/serve.mjs';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cv-serve-'));
const root = path.join(tmp, 'site');
let server, port;

before(async () => {
  fs.mkdirSync(path.join(root, 'demo'), { recursive: true });
  fs.mkdirSync(path.join(root, '.git'));
  fs.mkdirSync(path.join(root, 'sub/.cache'), { recursive: true });
  fs.writeFileSync(path.join(root, 'demo/index.html'), 'DEMO-PAGE');
  fs.writeFileSync(path.join(root, 'demo/a.js'), 'PUBLIC-FILE');
  fs.writeFileSync(path.join(root, '.git/config'), 'GIT-SECRET');
  fs.writeFileSync(path.join(root, '.npmrc'), 'NPMRC-SECRET');
  fs.writeFileSync(path.join(root, 'sub/.cache/k'), 'CACHE-SECRET');
  fs.writeFileSync(path.join(tmp, 'outside.txt'), 'OUTSIDE-SECRET');
  fs.symlinkSync(path.join(tmp, 'outside.txt'), path.join(root, 'demo/link-out.txt'));
  fs.symlinkSync(path.join(root, '.git/config'), path.join(root, 'demo/link-git.txt'));
  fs.symlinkSync(path.join(root, '.git'), path.join(root, 'gitdir'));
  ({ server, port } = await startServer({ port: 0, quiet: true, root, allowedHosts: [] }));
});
after(() => {
  server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Sends one raw HTTP/1.1 request; returns {status, body}. */
function raw(target, host = `localhost:${port}`) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => { data += d; });
    sock.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    sock.on('error', reject);
    sock.setTimeout(5000, () => { sock.destroy(); reject(new Error(`no answer to ${target}`)); });
    const hostLine = host === null ? '' : `Host: ${host}\r\n`;
    sock.write(`GET ${target} HTTP/1.1\r\n${hostLine}Connection: close\r\n\r\n`);
  });
}

const SECRETS = /GIT-SECRET|NPMRC-SECRET|CACHE-SECRET|OUTSIDE-SECRET/;

test('serve: loopback Host names on the right port are served', async () => {
  for (const h of [`localhost:${port}`, `127.0.0.1:${port}`, `127.3.4.5:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
    const r = await raw('/demo/a.js', h);
    assert.equal(r.status, 200, h);
    assert.equal(r.body, 'PUBLIC-FILE');
  }
});

test('serve: a rebinding page\'s Host (any other name, or the wrong port) gets 421, for .git and for public files alike', async () => {
  for (const h of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`,
    `localhost:${port + 1}`, 'localhost', `127.0.0.1:${port}@evil.example`, `[::2]:${port}`, `0.0.0.0:${port}`, `192.168.1.20:${port}`, '', null]) {
    for (const target of ['/.git/config', '/demo/a.js']) {
      const r = await raw(target, h);
      assert.equal(r.status, h === null ? 400 : 421, `${target} with Host ${JSON.stringify(h)} → ${r.status}`);
      assert.doesNotMatch(r.body, SECRETS);
      assert.doesNotMatch(r.body, /PUBLIC-FILE/);
    }
  }
});

test('serve: ALLOWED_HOSTS-style opt-in names are accepted on the right port only', () => {
  assert.equal(hostAllowed('pc.local:8080', 8080, ['pc.local']), true);
  assert.equal(hostAllowed('pc.local:8081', 8080, ['pc.local']), false);
  assert.equal(hostAllowed('other.local:8080', 8080, ['pc.local']), false);
  assert.equal(hostAllowed('localhost', 80), true);
  assert.equal(hostAllowed('127.0.0.256:8080', 8080), false);
});

test('serve: dotfiles, dot-folders, traversal and symlinks out are never served', async () => {
  const targets = [
    '/.git/config', '/.git/', '/.npmrc', '/sub/.cache/k', '/demo/../.git/config', '/%2egit/config', '/%2Egit/config',
    '/demo/%2e%2e/.git/config', '/demo/%2e%2e/%2e%2e/outside.txt', '/../outside.txt', '/demo/..%2f..%2foutside.txt',
    '/demo/..%5c..%5coutside.txt', '/demo\\..\\..\\outside.txt', '/demo/%00', '/demo/link-out.txt', '/demo/link-git.txt',
    '/gitdir/config', '//..//outside.txt', '/%2e%2e/outside.txt', '/demo/%252e%252e/.git/config', '/.git%2fconfig',
  ];
  for (const t of targets) {
    const r = await raw(t);
    assert.ok([400, 403, 404].includes(r.status), `${t} → ${r.status}`);
    assert.doesNotMatch(r.body, SECRETS, t);
  }
  // An absolute-form request line naming another host is not served either.
  const abs = await raw('http://evil.example/.git/config');
  assert.equal(abs.status, 400);
  // And the public page still is.
  assert.equal((await raw('/demo/')).body, 'DEMO-PAGE');
});
