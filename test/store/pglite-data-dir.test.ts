/**
 * PGlite on disk: a new data directory, persistence across close and reopen, and the
 * single-process lock. PGlite-only by nature (PostgreSQL has its own server process and locking);
 * runs whenever STORES includes pglite.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/index.js';
import {
  journalRepo,
  LOCK_FILE,
  openPgliteStore,
  openStore,
  partiesRepo,
  StoreError,
  type Store,
} from '../../src/store/index.js';
import { expectRejectsCode } from '../support/errors.js';
import { testParty, testRecord } from '../support/records.js';
import { STORES } from '../support/stores.js';

const alice = testParty('alice-magnets');

/** A process that is alive until killed. */
function liveProcess() {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return { pid: child.pid!, kill: () => child.kill() };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe.runIf(STORES.includes('pglite'))('PGlite data directory', () => {
  let dir: string;
  const open: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lodestone-pglite-'));
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    await rm(dir, { recursive: true, force: true });
  });

  // One scenario rather than several tests: initdb on disk takes seconds, each reopen most of one.
  it('initialises a new directory, keeps its data across close and reopen, and holds the lock only while open', async () => {
    const dataDir = join(dir, '.lodestone'); // does not exist yet, like a first run on a fresh machine
    const lockPath = join(dataDir, LOCK_FILE);

    // 1. A new data directory: created, initialised, migrated, locked.
    const first = await openStore({ dataDir });
    open.push(first);
    expect(first.kind).toBe('pglite');
    expect(existsSync(join(dataDir, 'pgdata', 'PG_VERSION'))).toBe(true);
    expect(await readFile(lockPath, 'utf8')).toBe(`${process.pid}\n`);

    // 2. A second store on the same directory while the first is open: refused, naming this process.
    const e = await expectRejectsCode(openPgliteStore({ dataDir }), StoreError, 'STORE_LOCKED');
    expect(e.message).toContain(`in use by process ${process.pid}`);

    // 3. Writes survive close and reopen; close releases the lock and is idempotent.
    await first.transaction(async (tx) => {
      const { seq } = await journalRepo.append(tx, testRecord(alice, 1));
      await partiesRepo.insert(tx, {
        id: alice.id,
        name: 'Alice',
        country: 'IN',
        sector: null,
        party: { id: alice.id },
        created_seq: seq,
      });
    });
    await first.close();
    await first.close();
    expect(existsSync(lockPath)).toBe(false);

    const second = await openPgliteStore({ dataDir });
    open.push(second);
    expect(second.migrations.applied).toEqual([]);
    expect((await journalRepo.read(second.db)).map((r) => r.seq)).toEqual([1]);
    expect((await partiesRepo.get(second.db, alice.id))?.party).toEqual({ id: alice.id });
    expect((await second.transaction((tx) => journalRepo.append(tx, testRecord(alice, 2)))).seq).toBe(2);
    await second.close();

    // 4. A lock left by a process that has exited, or holding unreadable content, is taken over.
    for (const content of [`${await deadPid()}\n`, 'garbage']) {
      await writeFile(lockPath, content);
      const store = await openPgliteStore({ dataDir });
      open.push(store);
      expect(await readFile(lockPath, 'utf8')).toBe(`${process.pid}\n`);
      expect(await journalRepo.count(store.db)).toBe(2);
      await store.close();
    }
  });

  it('refuses to open while another live process holds the lock, naming it, and leaves its lock alone', async () => {
    const other = liveProcess(); // the lock is checked before PGlite touches the directory
    try {
      await writeFile(join(dir, LOCK_FILE), `${other.pid}\n`);
      const e = await expectRejectsCode(openPgliteStore({ dataDir: dir }), StoreError, 'STORE_LOCKED');
      expect(e.message).toContain(`data dir is in use by process ${other.pid}`);
      expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${other.pid}\n`);
    } finally {
      other.kill();
    }
  });

  it('openStore needs a dataDir or a databaseUrl; loadDataDir is only for memory stores', async () => {
    await expect(openPgliteStore({ dataDir: dir, loadDataDir: new Blob([]) })).rejects.toThrow(ValidationError);
    await expect(openStore({})).rejects.toThrow(ValidationError);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
