import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The web console: a React single-page app built into dist/console, which `lodestone serve` serves
 * at /. The offline verifier (src/verify) runs in the page unchanged: its node:crypto and node:zlib
 * imports resolve to small browser shims (sync SHA-256 and Ed25519 from @noble), and Buffer is the
 * `buffer` package (installed as a global by src/polyfills.ts).
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: {
      'node:crypto': here('src/shims/node-crypto.ts'),
      'node:zlib': here('src/shims/node-zlib.ts'),
    },
  },
  // The verifier's Web Worker (src/verify-worker.ts) is bundled as an ES module, with the same aliases.
  worker: { format: 'es' },
  build: {
    outDir: here('../dist/console'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
  },
});
