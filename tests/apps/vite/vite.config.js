import { defineConfig } from 'vite';

// Cross-origin isolation lets onnxruntime-web use wasm threads; nothing else to configure.
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({ server: { headers }, preview: { headers } });
