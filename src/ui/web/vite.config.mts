// Builds the Web UI (React) into dist/ui/, which the UI server (src/ui/server) serves.
// Run by `npm run build` (build:ui). Dev: `npx vite --config src/ui/web/vite.config.mts` proxies /api to a running UI server on 8233.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/ui', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:8233' } },
});
