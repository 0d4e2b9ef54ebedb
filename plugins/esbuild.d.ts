import type { Plugin } from 'esbuild';
/** Copies cv-elements' worker, engine files and models next to an esbuild bundle (format "esm") and points the package at them. */
export declare function cvElements(options?: { folder?: string }): Plugin;
export default cvElements;
