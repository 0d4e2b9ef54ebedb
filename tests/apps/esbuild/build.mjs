import * as esbuild from 'esbuild';

await esbuild.build({ entryPoints: ['main.js'], bundle: true, format: 'esm', outdir: 'dist', minify: true });
