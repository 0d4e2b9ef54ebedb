import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import resolve from '@rollup/plugin-node-resolve';
import typescript from '@rollup/plugin-typescript';

const require = createRequire(import.meta.url);
const ortDist = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
const mpDir = join(dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')), '../../@mediapipe/tasks-vision');

/**
 * Copies the runtimes' files next to the bundle, where the code finds them from import.meta.url:
 * onnxruntime-web's plain-wasm and WebGPU (JSEP) builds, and MediaPipe's wasm.
 */
function copyRuntimes() {
  const ort = ['ort.wasm.min.mjs', 'ort.webgpu.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
  return {
    name: 'copy-runtimes',
    async writeBundle() {
      await mkdir('dist/ort', { recursive: true });
      await mkdir('dist/mediapipe/wasm', { recursive: true });
      await Promise.all(ort.map((f) => copyFile(join(ortDist, f), join('dist/ort', f))));
      await copyFile(join(mpDir, 'vision_bundle.mjs'), 'dist/mediapipe/vision_bundle.mjs');
      for (const f of await readdir(join(mpDir, 'wasm'))) await copyFile(join(mpDir, 'wasm', f), join('dist/mediapipe/wasm', f));
    },
  };
}

const plugins = () => [resolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, declarationDir: undefined, sourceMap: true })];

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
    ...plugins(),
  ],
};

export default [
  {
    input: 'src/index.ts',
    output: { file: 'dist/cv-elements.js', format: 'es', sourcemap: true },
    plugins: plugins(),
  },
  {
    input: 'src/worker/inference-worker.ts',
    output: { file: 'dist/inference-worker.js', format: 'es', sourcemap: true, inlineDynamicImports: true },
    plugins: [...plugins(), copyRuntimes()],
  },
  reactEntry,
];
