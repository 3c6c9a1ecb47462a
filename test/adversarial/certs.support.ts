/**
 * Support for test/adversarial/certs.test.ts: the real CLI in-process (`main(argv, io)`, the same
 * program and exit statuses as the command) on an embedded store in a temporary directory, and the
 * scenario's certificate, application and lots as files.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { openPgliteStore, type PgliteStore } from '../../src/store/index.js';
import { sharedStoreHost } from '../support/cli-host.js';
import { seedPgliteDataDir } from '../support/pglite-cache.js';
import {
  applicationInput,
  AUTHORITY,
  certificateInput,
  examplePath,
  EXPORTER,
  GOVERNMENT,
  IMPORTER,
  lotInput,
  magnetItem,
  shipmentInput,
} from '../../src/app/scenario.js';

export {
  AUTHORITY,
  END_USE as endUse,
  EXPORTER,
  example,
  GOVERNMENT,
  IMPORTER,
  UNDERTAKINGS as undertakings,
} from '../../src/app/scenario.js';
export const magnet = magnetItem();

export const today = (): string => new Date().toISOString().slice(0, 10);
export const inAYear = (): string => new Date(Date.now() + 360 * 86_400_000).toISOString().slice(0, 10);

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The scenario's certificate body (src/app/scenario.ts) for `grams`, valid from today for 360 days. */
export function certificate(grams: number, from = today(), until = inAYear()): Record<string, unknown> {
  return certificateInput({ grams, from, until });
}

/** The scenario's application body on `certificateId` for `grams`, valid from today for 360 days. */
export function application(
  certificateId: string,
  grams: number,
  from = today(),
  until = inAYear(),
): Record<string, unknown> {
  return applicationInput({ certificateId, grams, from, until });
}

/**
 * An embedded store in a temporary directory, driven through the real CLI in-process; the store is
 * opened once by `setup` and kept open across commands (test/support/cli-host.ts).
 */
export class CliStore {
  readonly dir = mkdtempSync(join(tmpdir(), 'lodestone-adv-certs-'));
  private n = 0;
  private store: PgliteStore | undefined;

  async run(...args: string[]): Promise<Run> {
    let out = '';
    let err = '';
    const sink = (f: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          f(chunk.toString());
          cb();
        },
      });
    const saved = process.env.DATABASE_URL;
    Reflect.deleteProperty(process.env, 'DATABASE_URL');
    try {
      if (this.store === undefined) throw new Error('CliStore: call setup() first');
      const code = await main(
        ['node', 'lodestone', '--data-dir', join(this.dir, 'store'), ...args],
        { out: sink((s) => (out += s)), err: sink((s) => (err += s)) },
        sharedStoreHost(this.store),
      );
      return { code, out, err };
    } finally {
      if (saved !== undefined) process.env.DATABASE_URL = saved;
    }
  }

  /** Runs and expects exit 0. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.run(...args);
    if (r.code !== 0) throw new Error(`lodestone ${args.join(' ')} exited ${r.code}: ${r.err}`);
    return r.out;
  }

  file(value: unknown): string {
    const path = join(this.dir, `f-${this.n++}.json`);
    writeFileSync(path, JSON.stringify(value));
    return path;
  }

  /** The journal as printed by `lodestone journal --json` (to prove a refusal wrote nothing). */
  async journal(): Promise<string> {
    return this.ok('journal', '--json', '--limit', '100000');
  }

  async setup(): Promise<void> {
    await seedPgliteDataDir(join(this.dir, 'store')); // the migrated store, copied (the first open is pglite-data-dir.test.ts's subject)
    this.store = await openPgliteStore({ dataDir: join(this.dir, 'store') });
    await this.ok('parties', 'register', examplePath('scenario/parties.json'));
    await this.ok('trust-list', 'set', examplePath('scenario/trust-list.json'));
  }

  async issue(grams: number): Promise<string> {
    const out = await this.ok('certificates', 'issue', this.file(certificate(grams)), '--as', IMPORTER);
    const id = /issued (urn:uuid:[0-9a-f-]{36})/.exec(out)?.[1];
    if (id === undefined) throw new Error(`no certificate id in ${out}`);
    await this.ok('certificates', 'countersign', id, '--as', GOVERNMENT);
    return id;
  }

  async apply(certificateId: string, grams: number): Promise<string> {
    return (
      JSON.parse(await this.ok('apply', this.file(application(certificateId, grams)), '--json')) as { id: string }
    ).id;
  }

  decide(applicationId: string, conditions: unknown): Promise<Run> {
    return this.run('decide', applicationId, '--as', AUTHORITY, '--approve', this.file(conditions), '--json');
  }

  async approve(applicationId: string, conditions: unknown): Promise<string> {
    const r = await this.decide(applicationId, conditions);
    if (r.code !== 0) throw new Error(`decide exited ${r.code}: ${r.err}`);
    return (JSON.parse(r.out) as { licence: { id: string } }).licence.id;
  }

  async lot(id: string, grams: number): Promise<void> {
    await this.ok('lots', 'create', this.file(lotInput(id, grams)), '--as', EXPORTER);
  }

  ship(id: string, fromLot: string, grams: number, licenceId: string): Promise<Run> {
    return this.run('ship', this.file(shipmentInput(id, fromLot, grams, licenceId)), '--as', EXPORTER);
  }

  async receive(shipmentId: string, lotId: string, grams: number): Promise<void> {
    await this.ok('receive', this.file({ shipmentId, lotId, receivedGrams: grams }), '--as', IMPORTER);
  }

  /** Closes the store and deletes the directory. */
  async dispose(): Promise<void> {
    await this.store?.close();
    this.store = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
