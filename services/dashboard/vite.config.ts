import { defineConfig } from 'vite';

// The dashboard is served by the API at `/`; in `npm run dev` (vite) the API calls go to a running `interlend serve`.
export default defineConfig({
  build: {
    // Mermaid is loaded on demand and is large by itself; the main chunk holds the engine's schemas (@interlend/ill, CommonJS).
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/v1': process.env.INTERLEND_API ?? 'http://127.0.0.1:8080' },
  },
});
