// Launchers for the two engines web-test-runner does not drive by itself here: Debian's Firefox ESR
// (through puppeteer-core over WebDriver BiDi) and WebKitGTK (MiniBrowser, through WebKitWebDriver's
// W3C WebDriver over HTTP, on a private Xvfb display because MiniBrowser has no headless mode).
// `.ci/run` installs firefox-esr, webkit2gtk-driver and xvfb when they are missing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

import { chromeLauncher } from '@web/test-runner';
import * as puppeteerCore from 'puppeteer-core';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

function need(path, pkg) {
  if (!existsSync(path)) throw new Error(`${path} not found: install Debian's ${pkg} (apt-get install -y ${pkg}), as .ci/run does`);
}

/**
 * Firefox ESR, headless, with its fake camera (a generated test pattern) allowed without a prompt.
 * `watch(url)` sees every request the page makes, for the privacy guard.
 */
export function firefoxLauncher({ watch } = {}) {
  need(FIREFOX, 'firefox-esr');
  const launcher = chromeLauncher({
    puppeteer: puppeteerCore,
    launchOptions: {
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      extraPrefsFirefox: {
        'media.navigator.streams.fake': true,
        'media.navigator.permission.disabled': true,
        // A hidden headless tab still gets its timers and frames at full rate.
        'dom.min_background_timeout_value': 4,
      },
    },
    async createPage({ context }) {
      const page = await context.newPage();
      if (watch) page.on('request', (req) => watch(req.url()));
      return page;
    },
  });
  launcher.name = 'Firefox';
  return launcher;
}

/** A TCP port nobody listens on now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on the first free display it finds (-displayfd) and resolves with ':N' and the process. */
function startXvfb() {
  need('/usr/bin/Xvfb', 'xvfb');
  return new Promise((resolve, reject) => {
    const proc = spawn('/usr/bin/Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10000);
    proc.stdio[3].on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({ display: `:${out.trim()}`, proc });
    });
    proc.on('exit', (code) => reject(new Error(`Xvfb exited (${code})`)));
  });
}

/**
 * WebKitGTK's MiniBrowser in one WebDriver session, reused for every test file (one at a time).
 * Its mock capture devices stand in for the camera (a generated pattern, granted without a prompt).
 */
export function webkitLauncher() {
  need(WEBKIT_DRIVER, 'webkit2gtk-driver');
  need(MINIBROWSER, 'webkit2gtk-driver');
  let xvfb, driver, base, sessionId, starting, currentUrl;
  const active = new Set();

  async function wd(method, path, body) {
    const res = await fetch(`${base}/session/${sessionId}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebKitWebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
    return json.value;
  }

  async function start() {
    xvfb = await startXvfb();
    const port = await freePort();
    driver = spawn(WEBKIT_DRIVER, [`--port=${port}`], { stdio: 'ignore', env: { ...process.env, DISPLAY: xvfb.display } });
    base = `http://127.0.0.1:${port}`;
    // The driver takes a moment to listen; the first POST /session that connects starts MiniBrowser.
    for (let i = 0; ; i++) {
      try {
        const res = await fetch(`${base}/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            capabilities: {
              alwaysMatch: {
                browserName: 'MiniBrowser',
                pageLoadStrategy: 'eager',
                'webkitgtk:browserOptions': {
                  binary: MINIBROWSER,
                  args: ['--automation', '--enable-media-stream=true', '--enable-mock-capture-devices=true', '--enable-webrtc=true', '--autoplay-policy=allow'],
                },
              },
            },
          }),
        });
        const json = await res.json();
        if (!res.ok) throw new Error(`WebKitWebDriver could not start MiniBrowser: ${json.value?.message}`);
        sessionId = json.value.sessionId;
        return;
      } catch (e) {
        if (i >= 50 || !/fetch failed|ECONNREFUSED/.test(String(e.cause?.code ?? e.message))) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  return {
    name: 'WebKit',
    type: 'webkitgtk-webdriver',
    concurrency: 1,
    async initialize() {},
    async startSession(id, url) {
      starting ??= start();
      await starting;
      active.add(id);
      currentUrl = url;
      await wd('POST', '/url', { url });
    },
    isActive: (id) => active.has(id),
    getBrowserUrl: () => currentUrl,
    async stopSession(id) {
      active.delete(id);
      // A blank page stops whatever the test left running (timers, a camera) before the next file.
      await wd('POST', '/url', { url: 'about:blank' }).catch(() => {});
      currentUrl = 'about:blank';
      return {};
    },
    async startDebugSession() {
      throw new Error('No debug session for WebKitGTK: run MiniBrowser by hand');
    },
    async stop() {
      if (sessionId) await fetch(`${base}/session/${sessionId}`, { method: 'DELETE' }).catch(() => {});
      driver?.kill();
      xvfb?.proc.kill();
    },
  };
}
