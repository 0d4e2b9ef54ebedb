import * as esbuild from 'esbuild';
import { cvElements } from 'cv-elements/esbuild';

await esbuild.build({ entryPoints: ['main.js'], bundle: true, format: 'esm', outdir: 'dist', minify: true, plugins: [cvElements()] });
