/// <reference lib="webworker" />
/**
 * Fault injection inside the inference worker, for the reliability tests. The worker honours these
 * only when the page created it with test hooks on (`globalThis.__CV_ELEMENTS_TEST__`, see
 * `src/worker/watchdog.ts`); nothing here is exported from the package.
 */
import type { InferenceRuntime } from '../runtime/types.js';

/**
 * `hang`: busy-loop for ever, as a non-terminating NMS did; `throw`: an uncaught error at top level
 * (the worker's `error` event); `lose-device`: destroy the runtime's WebGPU device; `break-cache`: every
 * Cache API read and write fails from now on (a full quota, blocked storage).
 */
export type TestAction = 'hang' | 'throw' | 'lose-device' | 'break-cache' | 'throw-snapshot' | 'throw-background';

/**
 * Browser APIs a test hides from the worker at start, to take each fallback in Chromium as an engine
 * without them would (docs/browsers.md): `VideoFrame` (and frames arriving as VideoFrames fail, as where the
 * type cannot be used), `OffscreenCanvas`, `webgl2` contexts, the 2D `canvas-filter` (a no-op, as in WebKit),
 * `caches` (undefined, as in an insecure context), `caches-reject` (open() rejects, as in Firefox private mode),
 * `isolation` (not cross-origin isolated), `gpu` (no navigator.gpu).
 */
export type WorkerMask = 'VideoFrame' | 'OffscreenCanvas' | 'webgl2' | 'canvas-filter' | 'caches' | 'caches-reject' | 'isolation' | 'gpu';

let videoFramesMasked = false;

/** With the `VideoFrame` mask, a VideoFrame that arrives fails as it would where the worker cannot use one. */
export function checkFrameUsable(frame: object): void {
  if (videoFramesMasked && 'displayWidth' in frame) throw new TypeError('test hook: VideoFrame is not supported in this worker');
}

export function maskApis(masks: readonly WorkerMask[]): void {
  const g = globalThis as Record<string, unknown>;
  const hide = (obj: object, key: string, value: unknown = undefined) => Object.defineProperty(obj, key, { configurable: true, get: () => value, set: () => {} });
  for (const mask of masks) {
    if (mask === 'VideoFrame') {
      videoFramesMasked = true;
      delete g.VideoFrame;
    } else if (mask === 'OffscreenCanvas') delete g.OffscreenCanvas;
    else if (mask === 'webgl2') {
      const get = OffscreenCanvas.prototype.getContext;
      Object.defineProperty(OffscreenCanvas.prototype, 'getContext', {
        configurable: true,
        value(this: OffscreenCanvas, type: string, ...rest: unknown[]) {
          return type === 'webgl2' ? null : (get as (...a: unknown[]) => unknown).call(this, type, ...rest);
        },
      });
    } else if (mask === 'canvas-filter') hide(OffscreenCanvasRenderingContext2D.prototype, 'filter', 'none');
    else if (mask === 'caches') hide(globalThis, 'caches');
    else if (mask === 'caches-reject') {
      Object.defineProperty(caches, 'open', { configurable: true, value: () => Promise.reject(new DOMException('test hook: the storage is not allowed in this context', 'SecurityError')) });
    } else if (mask === 'isolation') hide(globalThis, 'crossOriginIsolated', false);
    else if (mask === 'gpu') hide(navigator, 'gpu');
  }
}

/** Composite handlers armed (by `throw-snapshot` / `throw-background`) to throw once, on their next message. */
const armed = new Set<'snapshot' | 'background'>();

/** Throws once if the test armed this composite handler; a no-op otherwise (and always without test hooks). */
export function armedFault(handler: 'snapshot' | 'background'): void {
  if (!armed.delete(handler)) return;
  throw new Error(`test hook: composite-${handler} failed`);
}

export async function handleTestHook(action: TestAction, runtime: Promise<InferenceRuntime> | undefined): Promise<void> {
  if (action === 'hang') {
    // Never yields: only terminate() ends this. The write keeps bundlers from dropping an empty loop.
    const g = globalThis as { __cvSpin?: number };
    g.__cvSpin = 0;
    for (;;) g.__cvSpin++;
  }
  if (action === 'throw-snapshot' || action === 'throw-background') {
    armed.add(action === 'throw-snapshot' ? 'snapshot' : 'background');
    return;
  }
  if (action === 'throw') {
    setTimeout(() => {
      throw new Error('test hook: uncaught error in the inference worker');
    });
    return;
  }
  if (action === 'break-cache') {
    const open = caches.open.bind(caches);
    Object.defineProperty(caches, 'open', {
      configurable: true,
      value: async (name: string) => {
        const cache = await open(name);
        const fail = (what: string) => async () => {
          throw new DOMException(`test hook: ${what} refused`, 'QuotaExceededError');
        };
        return Object.assign(cache, { match: fail('match'), put: fail('put'), delete: fail('delete') });
      },
    });
    return;
  }
  if (action === 'lose-device') {
    const device = await (await runtime)?.gpuDevice?.();
    device?.destroy();
  }
}

const watched = new WeakSet<object>();

/** Calls `onLost` once when the runtime's WebGPU device is lost (destroyed, driver reset, GPU removed). */
export async function watchDeviceLoss(runtime: InferenceRuntime, onLost: (message: string) => void): Promise<void> {
  const device = await runtime.gpuDevice?.().catch(() => null);
  if (!device || watched.has(device)) return;
  watched.add(device);
  void device.lost.then((info) => onLost(`The WebGPU device was lost (${info.reason ?? 'unknown'}): ${info.message || 'no message'}`));
}

/** WebGPU that fails to start: the adapter request answers null, as on a blocklisted GPU. */
export function stubNoGpuAdapter(): void {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (gpu) Object.defineProperty(gpu, 'requestAdapter', { value: async () => null, configurable: true });
}
