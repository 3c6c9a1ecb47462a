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
  federation: async () => (await import('./federation.js')).run(),
};

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = asked.length === 0 ? Object.keys(SUITES) : asked;
const unknown = names.filter((n) => !Object.hasOwn(SUITES, n));
if (unknown.length > 0) {
  console.error(
    `usage: npm run bench -- ${Object.keys(SUITES).join('|')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`,
  );
  process.exit(2);
}
for (const n of names) await SUITES[n]?.();

// bench/results/README.md: every suite's latest table in one page (each table names its own run's date and machine).
{
  const { readdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  const tables = readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .sort();
  const page = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (each suite rewrites its own `<suite>.json` and `<suite>.md`; this page collects the latest of each). Every figure is measured in the run named in its table, with a reference measured in the same run.',
    '',
    ...tables.map((f) => readFileSync(`${dir}${f}`, 'utf8').replace(/^# /, '## ')),
  ].join('\n');
  writeFileSync(`${dir}README.md`, page);
}
