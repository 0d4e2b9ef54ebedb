import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // Tags starting with cv- are custom elements, not Vue components.
  plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag) => tag.startsWith('cv-') } } })],
  server: { headers },
  preview: { headers },
});
