import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard is built into dashboard/dist and served by the Postgate server itself at /
// (src/http/routes/dashboard/app.ts). In development, `vite --config dashboard/vite.config.ts`
// proxies the dashboard API to a server started with `npm start`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // recharts alone is ~400 kB; one page of an internal tool can afford it.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/dashboard/api': 'http://127.0.0.1:8080' },
  },
});
