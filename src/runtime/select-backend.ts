import type { BackendName } from './types.js';
import { CvError } from '../errors.js';
import { browserName } from '../browser-name.js';

export type BackendChoice = 'auto' | BackendName | 'mediapipe';

let realGpu: Promise<boolean> | undefined;

/** Set when WebGPU failed on this page (device lost, no adapter in the worker, a session it could not create). */
let webgpuFailure: string | null = null;

/** `auto` stops choosing WebGPU for the rest of this page's life; explicit backend="webgpu" still tries it. */
export function markWebgpuFailed(reason: string): void {
  webgpuFailure ??= reason;
}

export function webgpuFailed(): string | null {
  return webgpuFailure;
}

/**
 * True when a WebGPU adapter exists that is not a software fallback. SwiftShader (what headless Chromium
 * offers with --enable-unsafe-swiftshader) is correct but slower than WASM, so `auto` skips it.
 */
export function hasRealGpu(): Promise<boolean> {
  realGpu ??= (async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return false;
    try {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return false;
      const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
      const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
      // Tests run SwiftShader and may ask for it to count as a GPU, to exercise `auto` on WebGPU.
      if ((globalThis as { __CV_ELEMENTS_TEST__?: { softwareGpuIsReal?: boolean } }).__CV_ELEMENTS_TEST__?.softwareGpuIsReal) return true;
      if (info?.isFallbackAdapter || legacyFallback) return false;
      const name = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`.toLowerCase();
      return !/swiftshader|llvmpipe|software|microsoft basic/.test(name);
    } catch {
      return false;
    }
  })();
  return realGpu;
}

/** Resolves `auto` to the engine this device should use. */
export async function resolveBackend(choice: BackendChoice): Promise<BackendName | 'mediapipe'> {
  // Said at once, naming the browser, instead of after a worker started (WebKitGTK, Firefox on Linux).
  if (choice === 'webgpu' && !(navigator as Navigator & { gpu?: GPU }).gpu) {
    throw new CvError('backend-unavailable', `backend="webgpu": WebGPU is not available in ${browserName()}; use backend="auto" (which picks WASM here) or "wasm"`);
  }
  if (choice !== 'auto') return choice;
  return !webgpuFailure && (await hasRealGpu()) ? 'webgpu' : 'wasm';
}

let f16: Promise<boolean> | undefined;

/** True when the WebGPU adapter can run fp16 shaders (`shader-f16`), which fp16 model variants need. */
export function gpuHasF16(): Promise<boolean> {
  f16 ??= (async () => {
    const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    const adapter = await gpu?.requestAdapter().catch(() => null);
    return !!adapter?.features.has('shader-f16');
  })();
  return f16;
}
