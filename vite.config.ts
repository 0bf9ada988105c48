// Builds the Svelte renderer into dist/renderer, loaded by Electron from packaged files and served by
// the web harness. Relative base so both file:// style protocols and http:// work.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [svelte()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, target: 'es2022', sourcemap: true },
});
