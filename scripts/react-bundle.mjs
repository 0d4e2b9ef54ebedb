// For the browser tests of cv-elements/react: React ships only CommonJS, which the test server cannot
// serve as modules, so /tests/react-bundle.js is React, ReactDOM and dist/react.js bundled by esbuild as
// one ES module (built on first request, kept in memory). The wrappers' import of the elements stays
// external and points at /dist/cv-elements.js, the copy the page already runs.
import { build } from 'esbuild';

const ENTRY = `
export * as React from 'react';
export { createRoot } from 'react-dom/client';
export { flushSync } from 'react-dom';
export * from './dist/react.js';
`;

let bundle = null;

export function reactBundleMiddleware() {
  return async (ctx, next) => {
    if (ctx.path !== '/tests/react-bundle.js') return next();
    bundle ??= build({
      stdin: { contents: ENTRY, resolveDir: process.cwd(), loader: 'js' },
      bundle: true,
      format: 'esm',
      write: false,
      define: { 'process.env.NODE_ENV': '"development"' },
      plugins: [
        {
          name: 'main-bundle',
          setup(b) {
            b.onResolve({ filter: /^\.\/cv-elements\.js$/ }, () => ({ path: '/dist/cv-elements.js', external: true }));
          },
        },
      ],
    }).then((r) => r.outputFiles[0].text);
    ctx.type = 'text/javascript';
    ctx.body = await bundle;
  };
}
