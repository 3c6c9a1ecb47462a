#!/usr/bin/env node
// The `lodestone` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

// A reader that stops early (`lodestone journal | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

const code = await main(process.argv);
// Every command has finished (and closed its store) when main returns; `serve` returns only once it
// has shut down. Exit now rather than when the event loop drains: PGlite's WebAssembly runtime leaves
// timers behind after close (electric-sql/pglite#925) that would keep the process alive for seconds.
// Output is flushed first, so nothing written is lost.
const flushed = (stream) =>
  new Promise((resolve) => {
    stream.write('', () => {
      resolve();
    });
  });
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
