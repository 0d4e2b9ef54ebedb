// cv-elements/esbuild: esbuild leaves `new URL('./file', import.meta.url)` as it is and copies nothing, so the
// worker, the engines' files and the models would be missing from its output. This plugin points the package's
// literal URLs at a `cv-elements/` folder beside the bundle and copies those files there when the build ends.
//
//   import { cvElements } from 'cv-elements/esbuild';
//   await esbuild.build({ entryPoints: ['src/app.js'], bundle: true, format: 'esm', outdir: 'public/build', plugins: [cvElements()] });
//
// Needs format 'esm' (import.meta.url) and the bundle's files at the top of outdir (the default entryNames/chunkNames).
import { cp, mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkg, 'dist');
const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/** @param {{ folder?: string }} [options] folder: where the files go under outdir (default "cv-elements"). */
export function cvElements({ folder = 'cv-elements' } = {}) {
  if (!/^[\w.-]+$/.test(folder)) throw new Error(`cv-elements/esbuild: folder must be a plain folder name, got "${folder}"`);
  return {
    name: 'cv-elements',
    setup(build) {
      const opts = build.initialOptions;
      // The package's own page-side modules: their literal URLs move into the folder; the worker's stay relative to it.
      const ours = new RegExp(`^${dist.replace(ESCAPE, '\\$&')}[\\\\/][^\\\\/]+\\.js$`);
      build.onLoad({ filter: /\.js$/ }, async (args) => {
        if (!ours.test(args.path) || args.path.endsWith('inference-worker.js')) return undefined;
        const code = await readFile(args.path, 'utf8');
        return {
          contents: code
            .replaceAll("new URL('./inference-worker.js', import.meta.url)", `new URL('./${folder}/inference-worker.js', import.meta.url)`)
            .replaceAll("new URL('../models/", `new URL('./${folder}/models/`),
          loader: 'js',
        };
      });
      build.onEnd(async (result) => {
        if (result.errors.length) return;
        if (opts.format !== 'esm') throw new Error('cv-elements/esbuild: the build must use format: "esm" (the package finds its files from import.meta.url)');
        const outdir = opts.outdir ?? (opts.outfile ? dirname(opts.outfile) : null);
        if (!outdir) throw new Error('cv-elements/esbuild: set outdir or outfile, so the files have somewhere to go');
        const target = resolve(opts.absWorkingDir ?? process.cwd(), outdir, folder);
        await mkdir(join(target, 'models'), { recursive: true });
        await cp(join(dist, 'inference-worker.js'), join(target, 'inference-worker.js'));
        await cp(join(dist, 'wasm'), join(target, 'wasm'), { recursive: true });
        const catalog = JSON.parse(await readFile(join(pkg, 'models', 'catalog.json'), 'utf8'));
        const files = Object.values(catalog.models).flatMap((e) => [...Object.values(e.variants ?? {}).map((v) => v.file), ...(e.mediapipe ? [e.mediapipe.file] : [])]);
        await Promise.all(files.map((f) => cp(join(pkg, 'models', f), join(target, 'models', f))));
      });
    },
  };
}

export default cvElements;
