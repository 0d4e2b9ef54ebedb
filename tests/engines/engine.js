// Which engine runs this page, and what it offers: the per-engine tests read capabilities from here
// rather than from user-agent guesses scattered through the files.
const ua = navigator.userAgent;
const name = /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chromium' : /AppleWebKit\//.test(ua) ? 'WebKit' : 'unknown';

let cached;
async function features() {
  cached ??= (async () => {
    const ctx = document.createElement('canvas').getContext('2d');
    let moduleWorker = false;
    try {
      const w = new Worker(URL.createObjectURL(new Blob(['export {}; postMessage(1)'], { type: 'text/javascript' })), { type: 'module' });
      moduleWorker = await new Promise((r) => {
        w.onmessage = () => r(true);
        w.onerror = () => r(false);
        setTimeout(() => r(false), 3000);
      });
      w.terminate();
    } catch {}
    // tasks-vision needs WebGL2 on an OffscreenCanvas in its worker.
    let workerWebgl2 = false;
    try {
      const w = new Worker(URL.createObjectURL(new Blob(['postMessage(!!new OffscreenCanvas(1, 1).getContext("webgl2"))'], { type: 'text/javascript' })));
      workerWebgl2 = await new Promise((r) => {
        w.onmessage = (e) => r(e.data === true);
        w.onerror = () => r(false);
        setTimeout(() => r(false), 3000);
      });
      w.terminate();
    } catch {}
    return {
      userAgent: ua,
      webgl2: !!document.createElement('canvas').getContext('webgl2'),
      workerWebgl2,
      requestVideoFrameCallback: 'requestVideoFrameCallback' in HTMLVideoElement.prototype,
      VideoFrame: typeof VideoFrame === 'function',
      OffscreenCanvas: typeof OffscreenCanvas === 'function',
      transferControlToOffscreen: 'transferControlToOffscreen' in HTMLCanvasElement.prototype,
      moduleWorker,
      webgpuAdapter: !!navigator.gpu && !!(await navigator.gpu.requestAdapter().catch(() => null)),
      canvasFilter: 'filter' in ctx,
      cacheApi: typeof caches === 'object',
      getUserMedia: !!navigator.mediaDevices?.getUserMedia,
    };
  })();
  return cached;
}

export const engine = { name, features };

/** Skips the running test with a reason that the reporter and the log both show. */
export function skipBecause(ctx, reason) {
  console.log(`[skip] ${ctx.test?.title ?? ctx.currentTest?.title}: ${reason}`);
  ctx.skip();
}
