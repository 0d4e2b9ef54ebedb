import { copyFileSync, createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { PassThrough, Readable } from 'node:stream';

import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from './scripts/chromium.mjs';
import { firefoxLauncher, webkitLauncher } from './scripts/engines.mjs';
import { faultRoutes } from './scripts/fault-routes.mjs';
import { ISOLATION_HEADERS } from './scripts/headers.mjs';
import { referenceRun } from './scripts/reference.mjs';
import { reactBundleMiddleware } from './scripts/react-bundle.mjs';

mkdirSync('tests/.fixtures', { recursive: true });
// Real photos the tests load as sources, served from tests/.fixtures/: skimage's astronaut (NASA's
// portrait, also what the fake camera plays) and darknet's people and animals.
const PHOTOS = ['/usr/lib/python3/dist-packages/skimage/data/astronaut.png', ...['dog.jpg', 'horses.jpg', 'eagle.jpg', 'giraffe.jpg', 'person.jpg'].map((p) => `/usr/share/darknet/data/${p}`)];
// Face recognition (tests/elements/faces.test.js): opencv-doc's two basketball frames, matplotlib's Grace Hopper.
PHOTOS.push(...['basketball1.png', 'basketball2.png'].map((p) => `/usr/share/doc/opencv-doc/examples/data/${p}`), '/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg');
for (const photo of PHOTOS) copyFileSync(photo, `tests/.fixtures/${basename(photo)}`);
const camera = fakeCameraVideo(PHOTOS[0], 'tests/.fixtures/astronaut.y4m');

/** Every request a page makes that does not go to this machine: the suite fails if any appears. */
const external = [];
const watchRequest = (href) => {
  const url = new URL(href);
  if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && !['data:', 'blob:', 'about:'].includes(url.protocol)) external.push(href);
};

// One engine per run (scripts/test.mjs runs them one after another, so two browsers never share the
// two cores): chromium runs every file; firefox and webkit run the per-engine subset in tests/engines/.
const ENGINE = process.env.CV_ENGINE ?? 'chromium';
if (!['chromium', 'firefox', 'webkit'].includes(ENGINE)) throw new Error(`CV_ENGINE=${ENGINE}: expected chromium, firefox or webkit`);

/** Files served from /cv-assets/ (a flat folder, as setAssetBase() expects), for the asset-base test. */
const assetHits = [];

/** Server commands the tests call: the privacy guard's log, and the native fp32 reference. */
const serverCommands = {
  name: 'server-commands',
  executeCommand({ command, payload }) {
    if (command === 'external-requests') return [...external];
    if (command === 'asset-base-hits') return [...assetHits];
    if (command === 'reference-run') return referenceRun(payload);
    return undefined;
  },
};

/** Counts tests for scripts/test.mjs, which prints the suite's one-line total. */
function summaryReporter() {
  return {
    onTestRunFinished({ sessions }) {
      const sum = { passed: 0, failed: 0, skipped: 0 };
      const walk = (suite) => {
        for (const t of suite?.tests ?? []) sum[t.skipped ? 'skipped' : t.passed ? 'passed' : 'failed']++;
        for (const s of suite?.suites ?? []) walk(s);
      };
      for (const s of sessions) {
        walk(s.testResults);
        // A file that failed to load or threw outside a test counts as a failure too.
        if (!s.passed && !(s.testResults?.tests?.length || s.testResults?.suites?.length)) sum.failed++;
      }
      // The privacy guard: any request that left localhost during the run fails it, whichever file made it.
      if (external.length) {
        console.error(`Requests left localhost during the run:\n  ${[...new Set(external)].join('\n  ')}`);
        sum.failed++;
      }
      mkdirSync('.cache', { recursive: true });
      writeFileSync('.cache/wtr-summary.json', JSON.stringify(sum));
    },
  };
}

export default {
  reporters: [defaultReporter(), summaryReporter()],
  rootDir: '.',
  // tests/apps holds whole framework apps (and their node_modules) that npm run test:apps drives.
  files: ENGINE === 'chromium' ? ['tests/**/*.test.{ts,js}', '!tests/apps/**'] : ['tests/engines/**/*.test.js'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 120000,
  testsStartTimeout: 120000,
  testsFinishTimeout: 600000,
  testFramework: { config: { timeout: 120000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), serverCommands],
  middleware: [
    // Every response is cross-origin isolated (wasm threads); set before the others answer, and again
    // after, over anything the dev server's own middleware set.
    async (ctx, next) => {
      const isolate = () => {
        Object.entries(ISOLATION_HEADERS).forEach(([k, v]) => ctx.set(k, v));
        // Fault routes (scripts/fault-routes.mjs) may ask for a resource other origins can embed, or a CSP.
        if (ctx.state.crossOriginResource) ctx.set('Cross-Origin-Resource-Policy', 'cross-origin');
        if (ctx.state.csp) ctx.set('Content-Security-Policy', ctx.state.csp);
      };
      isolate();
      await next();
      isolate();
    },
    // A model download that stalls: headers and 16 bytes, then nothing (closed after a minute), for the load watchdog.
    async (ctx, next) => {
      if (!ctx.path.startsWith('/tests/stalled/')) return next();
      const body = new PassThrough();
      body.write(Buffer.alloc(16));
      setTimeout(() => body.end(), 60000).unref();
      ctx.type = 'application/octet-stream';
      ctx.body = body;
    },
    faultRoutes,
    reactBundleMiddleware(),
    // A second home for the package's files, all in one folder: what an app that hosts them elsewhere serves.
    async (ctx, next) => {
      const m = /^\/cv-assets\/([\w.-]+)$/.exec(ctx.path);
      if (!m) return next();
      const file = [`dist/wasm/${m[1]}`, `models/${m[1]}`].find((f) => existsSync(f));
      if (!file) return next();
      assetHits.push(m[1]);
      ctx.type = file.endsWith('.wasm') ? 'application/wasm' : /\.m?js$/.test(file) ? 'text/javascript' : 'application/octet-stream';
      ctx.body = createReadStream(file);
    },
    // Debian's Fashion-MNIST (gzip idx files), for the trained networks' accuracy tests.
    async (ctx, next) => {
      const m = /^\/datasets\/fashion-mnist\/([a-z0-9-]+\.gz)$/.exec(ctx.path);
      if (!m) return next();
      ctx.type = 'application/gzip';
      ctx.body = createReadStream(`/usr/share/datasets/fashion-mnist/${m[1]}`);
    },
    // A fixture model served slowly (/slow/<name>.onnx: 8 pieces, 250 ms apart, never cached), so a
    // test can watch the download progress bar move.
    async (ctx, next) => {
      const m = /^\/slow\/([a-z0-9-]+\.onnx)$/.exec(ctx.path);
      if (!m || !existsSync(`tests/fixtures/${m[1]}`)) return next();
      const bytes = readFileSync(`tests/fixtures/${m[1]}`);
      const piece = Math.ceil(bytes.length / 8);
      ctx.type = 'application/octet-stream';
      ctx.set('Cache-Control', 'no-store');
      ctx.length = bytes.length;
      ctx.body = Readable.from(
        (async function* () {
          for (let at = 0; at < bytes.length; at += piece) {
            if (at) await new Promise((r) => setTimeout(r, 250));
            yield bytes.subarray(at, at + piece);
          }
        })(),
      );
    },
    // The runtimes' own files are served as they are: the dev server's module transforms would try to
    // resolve Node-only branches inside them (onnxruntime's `import("module")`) and break them. dist/wasm/
    // is what the package ships; onnxruntime-web's dist/ is what the fashion test drives directly.
    async (ctx, next) => {
      if (!/^\/(dist\/wasm|node_modules\/onnxruntime-web\/dist)\//.test(ctx.path) || ctx.path.includes('..')) return next();
      const file = ctx.path.slice(1);
      if (!existsSync(file)) return next();
      ctx.type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('js') ? 'text/javascript' : 'application/octet-stream';
      ctx.body = createReadStream(file);
    },
  ],
  browsers: [
    ENGINE === 'firefox'
      ? firefoxLauncher({ watch: watchRequest })
      : ENGINE === 'webkit'
        ? // WebKitWebDriver exposes no network events: the privacy guard covers Chromium and Firefox.
          webkitLauncher()
        : playwrightLauncher({
            product: 'chromium',
            launchOptions: {
              executablePath: findChromium(),
              args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${camera}`],
            },
            async createPage({ context }) {
              const page = await context.newPage();
              const watch = (req) => watchRequest(req.url());
              page.on('request', watch);
              context.on('request', watch);
              return page;
            },
          }),
  ],
};
