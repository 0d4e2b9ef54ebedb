import type { BackendName } from './types.js';

export type BackendChoice = 'auto' | BackendName | 'mediapipe';

let realGpu: Promise<boolean> | undefined;

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
  if (choice !== 'auto') return choice;
  return (await hasRealGpu()) ? 'webgpu' : 'wasm';
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
