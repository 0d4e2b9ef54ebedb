import { assetUrl } from '../asset-base.js';

/**
 * The engines' files that the worker loads at run time, each named by a literal URL that bundlers follow
 * (Vite, webpack 5 and Rollup emit the file and rewrite the URL). The paths are relative to
 * dist/inference-worker.js, into which this module is bundled. Only these builds are shipped:
 *  - onnxruntime-web's plain build (ort.wasm.min.mjs, bundled into the worker) loads ort-wasm-simd-threaded.{mjs,wasm};
 *  - its WebGPU build (ort.webgpu.min.mjs) loads the asyncify flavour, ort-wasm-simd-threaded.asyncify.{mjs,wasm};
 *  - MediaPipe Tasks in a module worker loads vision_wasm_module_internal.{js,wasm} (the classic glue needs
 *    importScripts; the no-SIMD build is pointless next to onnxruntime, which needs SIMD anyway).
 * The emscripten glue stays a file of its own: its pthread workers are started from the glue's own URL.
 */
const FILES = {
  ortWasmGlue: ['ort-wasm-simd-threaded.mjs', () => new URL('./wasm/ort-wasm-simd-threaded.mjs', import.meta.url)],
  ortWasmBinary: ['ort-wasm-simd-threaded.wasm', () => new URL('./wasm/ort-wasm-simd-threaded.wasm', import.meta.url)],
  ortWebgpuGlue: ['ort-wasm-simd-threaded.asyncify.mjs', () => new URL('./wasm/ort-wasm-simd-threaded.asyncify.mjs', import.meta.url)],
  ortWebgpuBinary: ['ort-wasm-simd-threaded.asyncify.wasm', () => new URL('./wasm/ort-wasm-simd-threaded.asyncify.wasm', import.meta.url)],
  mediapipeGlue: ['vision_wasm_module_internal.js', () => new URL('./wasm/vision_wasm_module_internal.js', import.meta.url)],
  mediapipeBinary: ['vision_wasm_module_internal.wasm', () => new URL('./wasm/vision_wasm_module_internal.wasm', import.meta.url)],
} satisfies Record<string, [string, () => URL]>;

/** A runtime file's URL, under `base` when the page set one with setAssetBase(). */
export function runtimeFile(id: keyof typeof FILES, base: string | null): string {
  const [name, local] = FILES[id];
  return assetUrl(name, local, base);
}
