import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const mpWasm = join(dirname(require.resolve('@mediapipe/tasks-vision')), 'wasm');

/**
 * The engines' run-time files, copied to dist/wasm/ where src/runtime/runtime-files.ts names each with a literal
 * URL. Only what a code path loads: onnxruntime's plain build (WASM) and asyncify build (its WebGPU bundle),
 * MediaPipe's module-worker build. Not copied: ort's JSEP and JSPI builds, MediaPipe's classic and no-SIMD ones.
 */
export const RUNTIME_FILES = [
  [ortDist, 'ort-wasm-simd-threaded.mjs'],
  [ortDist, 'ort-wasm-simd-threaded.wasm'],
  [ortDist, 'ort-wasm-simd-threaded.asyncify.mjs'],
  [ortDist, 'ort-wasm-simd-threaded.asyncify.wasm'],
  [mpWasm, 'vision_wasm_module_internal.js'],
  [mpWasm, 'vision_wasm_module_internal.wasm'],
];

function copyRuntimes() {
  return {
    name: 'copy-runtimes',
    async writeBundle() {
      await mkdir('dist/wasm', { recursive: true });
      await Promise.all(RUNTIME_FILES.map(([dir, f]) => copyFile(join(dir, f), join('dist/wasm', f))));
    },
  };
}

const typescriptPlugin = (sourceMap = true) => typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, sourceMap });

/**
 * cv-elements/react imports the elements from the main bundle (one copy of the classes on the page);
 * React and @lit/react come from the app.
 */
const reactEntry = {
  input: 'src/frameworks/react.ts',
  output: { file: 'dist/react.js', format: 'es', sourcemap: true, paths: { 'cv-elements:main': './cv-elements.js' } },
  external: ['react', '@lit/react'],
  plugins: [
    {
      name: 'main-bundle',
      resolveId(source, importer) {
        if (source === '../index.js' && importer?.endsWith('/src/frameworks/react.ts')) return { id: 'cv-elements:main', external: true };
        return null;
      },
    },
    resolve({ browser: true }),
    typescriptPlugin(),
  ],
};

export default [
  {
    // One entry per tag plus the one that registers all three; what they share goes into chunks beside them
    // in dist/ (not a subfolder), so the literal `new URL('./inference-worker.js', import.meta.url)` holds in any of them.
    input: {
      'cv-elements': 'src/index.ts',
      'cv-classify': 'src/elements/cv-classify/cv-classify.ts',
      'cv-segment': 'src/elements/cv-segment/cv-segment.ts',
      'cv-generate': 'src/elements/cv-generate/cv-generate.ts',
    },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
    plugins: [resolve({ browser: true }), typescriptPlugin()],
  },
  {
    // The worker is one self-contained file (no chunks, no bare imports), with onnxruntime-web's and MediaPipe's
    // JavaScript inside: bundlers that build workers as IIFE (Vite's default) cannot split them.
    input: 'src/worker/inference-worker.ts',
    output: { file: 'dist/inference-worker.js', format: 'es', sourcemap: false, inlineDynamicImports: true },
    plugins: [resolve({ browser: true, exportConditions: ['onnxruntime-web-use-extern-wasm'] }), typescriptPlugin(false), copyRuntimes()],
  },
  reactEntry,
];
