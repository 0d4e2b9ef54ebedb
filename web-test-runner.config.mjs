import { copyFileSync, createReadStream, existsSync, mkdirSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { defaultReporter } from '@web/test-runner';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from './scripts/chromium.mjs';
import { ISOLATION_HEADERS } from './scripts/headers.mjs';

mkdirSync('tests/.fixtures', { recursive: true });
// The camera plays a real photo (NASA's astronaut portrait, shipped by Debian's python3-skimage).
const camera = fakeCameraVideo('/usr/lib/python3/dist-packages/skimage/data/astronaut.png', 'tests/.fixtures/astronaut.y4m');
// The same photo as a still, for tests that compare engines on one image (`<img src="/tests/.fixtures/astronaut.png">`).
if (!existsSync('tests/.fixtures/astronaut.png')) copyFileSync('/usr/lib/python3/dist-packages/skimage/data/astronaut.png', 'tests/.fixtures/astronaut.png');

/** Every request a page makes that does not go to this machine: the suite fails if any appears. */
const external = [];

const networkGuard = {
  name: 'network-guard',
  executeCommand({ command }) {
    if (command === 'external-requests') return [...external];
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
      mkdirSync('.cache', { recursive: true });
      writeFileSync('.cache/wtr-summary.json', JSON.stringify(sum));
    },
  };
}

export default {
  reporters: [defaultReporter(), summaryReporter()],
  rootDir: '.',
  files: ['tests/**/*.test.{ts,js}'],
  nodeResolve: true,
  concurrency: 1,
  browserStartTimeout: 120000,
  testsStartTimeout: 120000,
  testsFinishTimeout: 600000,
  testFramework: { config: { timeout: 120000 } },
  plugins: [esbuildPlugin({ ts: true, target: 'es2022' }), networkGuard],
  middleware: [
    // The runtimes' own files are served as they are: the dev server's module transforms would try to
    // resolve Node-only branches inside them (onnxruntime's `import("module")`) and break them.
    async (ctx, next) => {
      if (!/^\/dist\/(ort|mediapipe)\//.test(ctx.path) || ctx.path.includes('..')) return next();
      const file = ctx.path.slice(1);
      if (!existsSync(file)) return next();
      ctx.type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('js') ? 'text/javascript' : 'application/octet-stream';
      ctx.body = createReadStream(file);
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) ctx.set(k, v);
    },
    async (ctx, next) => {
      await next();
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) ctx.set(k, v);
    },
  ],
  browsers: [
    playwrightLauncher({
      product: 'chromium',
      launchOptions: {
        executablePath: findChromium(),
        args: [...CHROMIUM_FLAGS, `--use-file-for-fake-video-capture=${camera}`],
      },
      async createPage({ context }) {
        const page = await context.newPage();
        const watch = (req) => {
          const url = new URL(req.url());
          if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) && !['data:', 'blob:'].includes(url.protocol)) external.push(req.url());
        };
        page.on('request', watch);
        context.on('request', watch);
        return page;
      },
    }),
  ],
};
