import { CvError } from '../errors.js';
import type * as Ort from 'onnxruntime-web';
import { runtimeFile } from './runtime-files.js';
import { browserName } from '../browser-name.js';
import type { BackendName, InferenceRuntime, InferenceSession, Tensor } from './types.js';

/**
 * onnxruntime-web behind the runtime interface. Its JavaScript is bundled into the worker (the builds that
 * leave the wasm outside: the `onnxruntime-web-use-extern-wasm` condition); the plain build (14 MB of wasm)
 * serves WASM, the WebGPU build (its asyncify wasm, 26 MB) only WebGPU. The glue and wasm come from the
 * package's own files (runtime-files.ts) or the page's asset base, never from a CDN.
 */
export async function createOrtRuntime(backend: BackendName, assetBase: string | null, maxThreads: number): Promise<InferenceRuntime> {
  const ort = (backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm')) as typeof Ort;
  // Threads need shared wasm memory: cross-origin isolation, and a browser that can make it. Probed by making
  // one, not by the SharedArrayBuffer global: WebKitGTK 2.50 hides that constructor yet runs threads fine.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && sharedWasmMemory();
  const cores = (globalThis.navigator?.hardwareConcurrency as number | undefined) ?? 2;
  const threads = isolated ? Math.max(1, Math.min(maxThreads, cores)) : 1;
  if (!isolated && backend === 'wasm') {
    console.warn(
      '[cv-elements] This page is not cross-origin isolated, so onnxruntime-web runs on one thread. ' +
        'Serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.',
    );
  }
  ort.env.wasm.wasmPaths =
    backend === 'webgpu'
      ? { mjs: runtimeFile('ortWebgpuGlue', assetBase), wasm: runtimeFile('ortWebgpuBinary', assetBase) }
      : { mjs: runtimeFile('ortWasmGlue', assetBase), wasm: runtimeFile('ortWasmBinary', assetBase) };
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false; // we are already off the main thread
  ort.env.logLevel = 'error';
  if (backend === 'webgpu') {
    const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) throw new CvError('backend-unavailable', `WebGPU is not available in ${browserName()}; use backend="auto" or "wasm"`);
    // Checked here so a GPU that will not start reads as backend-unavailable, not as a model that failed to load.
    const adapter = await gpu.requestAdapter().catch(() => null);
    if (!adapter) throw new CvError('backend-unavailable', `WebGPU has no adapter in ${browserName()} here (blocklisted or disabled GPU); use backend="auto" or "wasm"`);
  }
  // onnxruntime-web compiles its wasm and starts its threads on the first session (~600 ms here, the
  // same for a 10 KB model): start that now on a one-node graph, while the page resolves the catalog
  // and fetches the model. WASM only: the WebGPU provider refuses a second session being created at once.
  // ORT makes its WebGPU device with the first session; before that there is none to watch.
  let sessionsCreated = false;
  const warm =
    backend === 'wasm'
      ? ort.InferenceSession.create(WARMUP_MODEL, { executionProviders: ['wasm'] }).then((s) => s.release(), () => {})
      : Promise.resolve();

  return {
    backend,
    threads,
    ...(backend === 'webgpu' ? { gpuDevice: async () => (sessionsCreated ? ((await ort.env.webgpu.device) as GPUDevice) : null) } : {}),
    async createSession(model: Uint8Array): Promise<InferenceSession> {
      await warm;
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [backend],
        graphOptimizationLevel: 'all',
      });
      sessionsCreated = true;
      const inputDims: Record<string, number[]> = {};
      const meta = (session as unknown as { inputMetadata?: Array<{ name: string; isTensor: boolean; shape?: Array<number | string> }> })
        .inputMetadata;
      for (const m of meta ?? []) {
        if (m.isTensor && m.shape) inputDims[m.name] = m.shape.map((d) => (typeof d === 'number' ? d : -1));
      }
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        inputDims,
        async run(feeds: Record<string, Tensor>) {
          const ortFeeds: Record<string, Ort.Tensor> = {};
          for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, t.dims);
          const out = await session.run(ortFeeds);
          const result: Record<string, Tensor> = {};
          for (const [name, t] of Object.entries(out)) {
            result[name] = { data: toFloat32(t), dims: [...t.dims], ...(INTEGER_TYPES.has(t.type) ? { integer: true } : {}) };
            t.dispose();
          }
          return result;
        },
        release: () => session.release(),
      };
    },
  };
}

const INTEGER_TYPES = new Set(['int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

function toFloat32(t: Ort.Tensor): Float32Array {
  const d = t.data;
  if (d instanceof Float32Array) return d;
  if (t.type === 'float16' && d instanceof Uint16Array) return halfToFloat(d);
  // int64 outputs (ArgMax) come as BigInt64Array, which Float32Array.from cannot take without a map.
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float32Array.from(d as ArrayLike<bigint>, Number);
  return Float32Array.from(d as ArrayLike<number>);
}

function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i]!;
    const s = v & 0x8000 ? -1 : 1;
    const e = (v >> 10) & 0x1f;
    const f = v & 0x3ff;
    out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
  }
  return out;
}

/** y = Identity(x), x: float[1], opset 17: the smallest graph that makes onnxruntime-web start up. */
const WARMUP_MODEL = Uint8Array.from(
  atob('CAgSC2N2LWVsZW1lbnRzOjwKEAoBeBIBeSIISWRlbnRpdHkSBndhcm11cFoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEBE='),
  (c) => c.charCodeAt(0),
);

/** True when this context can make shared wasm memory (what wasm threads run on). */
function sharedWasmMemory(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof Object;
  } catch {
    return false;
  }
}
