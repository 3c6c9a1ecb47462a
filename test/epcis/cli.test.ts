/**
 * `lodestone epcis …` through main(argv, io), in-process, on a fresh embedded store (or a fresh
 * PostgreSQL database when PGlite is not among the selected stores).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { validateEpcis } from '../../src/epcis/index.js';
import { emptyPostgresDatabase, STORES } from '../support/stores.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = join(ROOT, 'test/fixtures/epcis/examples-json/Example_9.6.1-ObjectEvent.jsonld');
const magnet = JSON.parse(readFileSync(join(ROOT, 'examples/items/ndfeb-45sh-dy-magnet.json'), 'utf8')) as unknown;

interface Run {
  code: number;
  out: string;
  err: string;
}

describe.each([STORES.includes('postgres') ? 'postgres' : 'pglite'] as const)('lodestone epcis (%s)', (kind) => {
  let work: string;
  let store: string[] = [];
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'lodestone-epcis-cli-'));
    if (kind === 'postgres') {
      const db = await emptyPostgresDatabase();
      process.env.DATABASE_URL = db.databaseUrl;
      drop = db.drop;
      store = ['--keys-dir', join(work, 'keys')];
    } else {
      process.env.DATABASE_URL = '';
      store = ['--data-dir', join(work, 'store')];
      await seedPgliteDataDir(join(work, 'store'));
    }
  });
  afterAll(async () => {
    Reflect.deleteProperty(process.env, 'DATABASE_URL');
    await drop?.();
    rmSync(work, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<Run> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const code = await main(['node', 'lodestone', ...store, ...args], {
      out: sink((s) => (out += s)),
      err: sink((s) => (err += s)),
    });
    return { code, out, err };
  }
  const file = (name: string, content: unknown) => {
    const p = join(work, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return p;
  };
  const doc = (...events: unknown[]) => ({
    '@context': [
      'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld',
      { lodestone: 'urn:lodestone:epcis:' },
    ],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2026-01-01T00:00:00Z',
    epcisBody: { eventList: events },
  });
  const time = new Date(Date.now() - 3_600_000).toISOString();
  const commissioning = {
    type: 'ObjectEvent',
    eventTime: time,
    eventTimeZoneOffset: '+00:00',
    quantityList: [{ epcClass: 'urn:epc:class:lgtin:4012345.012345.CLI1', quantity: 500, uom: 'KGM' }],
    action: 'ADD',
    bizStep: 'commissioning',
    ilmd: { 'lodestone:item': magnet },
  };
  const shipping = {
    type: 'ObjectEvent',
    eventTime: new Date(Date.now() - 1_800_000).toISOString(),
    eventTimeZoneOffset: '+00:00',
    quantityList: [{ epcClass: 'https://id.gs1.org/01/04012345123456/10/CLI1', quantity: 100, uom: 'KGM' }],
    action: 'OBSERVE',
    bizStep: 'shipping',
    destinationList: [{ type: 'owning_party', destination: 'urn:lodestone:party:chakan-drive-systems' }],
  };

  it('captures, answers duplicates, refuses with the rule, reports bad input with line/column and schema path, queries and exports', async () => {
    expect((await cli('parties', 'register', join(ROOT, 'examples/scenario/parties.json'))).code).toBe(0);

    const first = await cli('epcis', 'capture', EXAMPLE, '--as', 'ganzhou-hengyuan-magnetics');
    expect(first).toMatchObject({ code: 0 });
    expect(first.out).toMatch(/^#0 untracked +ObjectEvent shipping: no identifier of this event is tracked/m);
    expect(first.out).toMatch(
      /2 events: 0 mapped onto custody, 0 kept as evidence, 2 untracked, 0 error declarations, 0 duplicates/,
    );
    const again = await cli('epcis', 'capture', EXAMPLE, '--as', 'ganzhou-hengyuan-magnetics', '--json');
    expect(JSON.parse(again.out)).toMatchObject({ captured: 0, duplicates: 2 });

    const mapped = await cli(
      'epcis',
      'capture',
      file('commission.json', doc(commissioning)),
      '--as',
      'ganzhou-hengyuan-magnetics',
    );
    expect(mapped.code).toBe(0);
    expect(mapped.out).toMatch(
      /^#0 MAPPED +ObjectEvent commissioning → createLot: lot 04012345123456-CLI1-ganzhou-hengyuan-magnetics created/m,
    );

    // a controlled magnet shipped without a licence: the document is refused, exit 7, the rule named
    const ship = await cli('epcis', 'capture', file('ship.json', doc(shipping)), '--as', 'ganzhou-hengyuan-magnetics');
    expect(ship.code).toBe(7);
    expect(ship.err).toMatch(/refused \(LICENCE_REQUIRED\): event 0: /);

    // malformed JSON: line and column
    const broken = await cli(
      'epcis',
      'capture',
      file('broken.json', '{\n  "type": "EPCISDocument",\n  "schemaVersion": 2.0,,\n}'),
      '--as',
      'ganzhou-hengyuan-magnetics',
    );
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/broken\.json: is not valid JSON at line 3, column 24/);
    // schema failure: the schema's path and message
    const invalid = await cli(
      'epcis',
      'capture',
      file('invalid.json', doc({ ...commissioning, action: 'MAKE' })),
      '--as',
      'ganzhou-hengyuan-magnetics',
    );
    expect(invalid.code).toBe(2);
    expect(invalid.err).toMatch(
      /invalid\.json: document\/epcisBody\/eventList\/0\/action: must be equal to one of the allowed values/,
    );
    // over 50 MB: refused before it is read
    const big = join(work, 'big.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 50 * 1024 * 1024 + 1);
    closeSync(fd);
    const tooBig = await cli('epcis', 'capture', big, '--as', 'ganzhou-hengyuan-magnetics');
    expect(tooBig.code).toBe(2);
    expect(tooBig.err).toMatch(/big\.json: is 50\.0 MB; EPCIS documents over 50 MB are refused/);
    expect((await cli('epcis', 'capture', join(work, 'missing.json'), '--as', 'x')).code).toBe(2);

    const q = await cli(
      'epcis',
      'query',
      '--biz-step',
      'commissioning',
      '--epc',
      'urn:epc:idpat:sgtin:4012345.012345.*',
    );
    expect(q.code).toBe(0);
    expect(q.out).toMatch(
      /ObjectEvent +commissioning +mapped +ganzhou-hengyuan-magnetics +ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0\n1 event\n$/,
    );
    expect(
      (JSON.parse((await cli('epcis', 'query', '--event-type', 'ObjectEvent', '--json')).out) as { events: unknown[] })
        .events,
    ).toHaveLength(3);
    expect((await cli('epcis', 'query', '--from', 'soon')).code).toBe(2);

    expect((await cli('epcis', 'export', '--licence', 'LIC-NONE')).code).toBe(3);
    // The demo on a PGlite data directory takes over a minute through main(); the export itself is also tested in capture.test.ts.
    if (kind === 'pglite') return;
    const demo = await cli('demo');
    expect(demo.code).toBe(0);
    const licence = /Licence (\S+):/.exec(demo.out)?.[1];
    expect(licence).toBeDefined();
    const out = join(work, 'export.json');
    const exported = await cli('epcis', 'export', '--licence', licence!, '--out', out);
    expect(exported.code).toBe(0);
    expect(exported.out).toMatch(/\d+ events of licence .* written to /);
    expect(validateEpcis(JSON.parse(readFileSync(out, 'utf8')))).toEqual([]);
  }, 120_000); // on PGlite every command opens the data directory again
});
