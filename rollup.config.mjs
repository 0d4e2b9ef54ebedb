import { existsSync, readdirSync } from 'node:fs';
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
  [mpWasm, 'vision_wasm_module_internal.js', 'vision_wasm_module_internal.mjs'],
  [mpWasm, 'vision_wasm_module_internal.wasm'],
];

function copyRuntimes() {
  return {
    name: 'copy-runtimes',
    async writeBundle() {
      await mkdir('dist/wasm', { recursive: true });
      await Promise.all(RUNTIME_FILES.map(([dir, f, as = f]) => copyFile(join(dir, f), join('dist/wasm', as))));
    },
  };
}

/**
 * Two edits to the engines' JavaScript as it is bundled into the worker, so that no app bundler misreads it:
 *  - onnxruntime-web locates itself with `import.meta.url` (and `new URL("ort.wasm.min.mjs", import.meta.url)` for
 *    Node's file: URLs). webpack 5 replaces import.meta.url with the build machine's file: path and tries to resolve
 *    that file, which does not exist in our dist. In the worker the same value at run time is `self.location.href`.
 *  - MediaPipe's loader has an `import(url)` of a run-time URL; webpack turns it into a failing module lookup (and warns
 *    "Critical dependency"). It is marked as ignored, as our own such imports are. (We also never let it run: see
 *    mediapipe-runtime.ts.)
 * Each edit must match exactly as often as counted here, so a new engine version that moved things fails the build.
 */
function engineCompat() {
  const edits = [
    [/onnxruntime-web\/dist\/ort\.(wasm|webgpu)\.min\.mjs$/, /import\.meta\.url/g, 'self.location.href', 4],
    [/tasks-vision\/vision_bundle\.mjs$/, /await import\((\w+)\.toString\(\)\)/g, 'await import(/* webpackIgnore: true */ /* @vite-ignore */ $1.toString())', 1],
  ];
  return {
    name: 'engine-compat',
    transform(code, id) {
      for (const [file, find, replace, count] of edits) {
        if (!file.test(id.replace(/\\/g, '/'))) continue;
        const found = code.match(find)?.length ?? 0;
        if (found !== count) this.error(`engine-compat: expected ${count} matches of ${find} in ${id}, found ${found}`);
        return { code: code.replace(find, replace), map: null };
      }
      return null;
    },
  };
}

/** One entry per element folder (src/elements/<tag>/<tag>.ts), so a new tag needs no edit here. */
const TAG_ENTRIES = Object.fromEntries(
  readdirSync('src/elements', { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join('src/elements', d.name, `${d.name}.ts`)))
    .map((d) => [d.name, `src/elements/${d.name}/${d.name}.ts`]),
);

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
        if (source === '../index.js' && /\/src\/frameworks\/react(\.generated)?\.ts$/.test(importer ?? '')) return { id: 'cv-elements:main', external: true };
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
    input: { 'cv-elements': 'src/index.ts', ...TAG_ENTRIES },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js', chunkFileNames: 'shared-[hash].js' },
    plugins: [resolve({ browser: true }), typescriptPlugin()],
  },
  {
    // The worker is one self-contained file (no chunks, no bare imports), with onnxruntime-web's and MediaPipe's
    // JavaScript inside: bundlers that build workers as IIFE (Vite's default) cannot split them.
    input: 'src/worker/inference-worker.ts',
    output: { file: 'dist/inference-worker.js', format: 'es', sourcemap: false, inlineDynamicImports: true },
    plugins: [resolve({ browser: true, exportConditions: ['onnxruntime-web-use-extern-wasm'] }), typescriptPlugin(false), engineCompat(), copyRuntimes()],
  },
  reactEntry,
];
