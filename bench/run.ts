/**
 * Benchmarks: `npm run bench` runs every suite, `npm run bench -- screening` one by name. Each suite writes bench/results/<name>.json
 * and a markdown table beside it. Not part of `npm test`.
 */
const SUITES: Readonly<Record<string, () => Promise<void>>> = {
  screening: async () => (await import('./screening.js')).run(),
  log: async () => (await import('./log.js')).run(),
  api: async () => (await import('./api.js')).run(),
  trace: async () => (await import('./trace.js')).run(),
  ingest: async () => (await import('./ingest.js')).run(),
};

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = asked.length === 0 ? Object.keys(SUITES) : asked;
const unknown = names.filter((n) => !Object.hasOwn(SUITES, n));
if (unknown.length > 0) {
  console.error(`usage: npm run bench -- ${Object.keys(SUITES).join('|')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  process.exit(2);
}
for (const n of names) await SUITES[n]?.();
