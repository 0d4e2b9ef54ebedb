import { fileURLToPath } from 'node:url';

// Nothing about cv-elements here: webpack 5 finds the worker, the runtimes and the models by itself.
export default {
  mode: 'production',
  entry: './main.js',
  output: { path: fileURLToPath(new URL('./dist', import.meta.url)), clean: true },
};
