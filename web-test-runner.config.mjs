import { mkdirSync } from 'node:fs';
import { playwrightLauncher } from '@web/test-runner-playwright';
import { esbuildPlugin } from '@web/dev-server-esbuild';
import { CHROMIUM_FLAGS, fakeCameraVideo, findChromium } from './scripts/chromium.mjs';
import { ISOLATION_HEADERS } from './scripts/headers.mjs';

mkdirSync('tests/.fixtures', { recursive: true });
// The camera plays a real photo (NASA's astronaut portrait, shipped by Debian's python3-skimage).
const camera = fakeCameraVideo('/usr/lib/python3/dist-packages/skimage/data/astronaut.png', 'tests/.fixtures/astronaut.y4m');

/** Every request a page makes that does not go to this machine: the suite fails if any appears. */
const external = [];

const networkGuard = {
  name: 'network-guard',
  executeCommand({ command }) {
    if (command === 'external-requests') return [...external];
    return undefined;
  },
};

export default {
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
