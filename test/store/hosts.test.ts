/**
 * A DATABASE_URL listing several hosts (a primary and its streaming replicas, docs/ha.md): how it is
 * split, which bad inputs are refused with the field and the reason (in-process and through the CLI),
 * and that a list with no server to write to fails naming every host. The failover itself is in
 * test/store/replication.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/index.js';
import { chooseDatabaseHost, parseDatabaseHosts, StoreError } from '../../src/store/index.js';
import { freePort } from '../../bench/postgres.js';
import { expectRejectsCode, expectThrowsCode } from '../support/errors.js';

const BIN = fileURLToPath(new URL('../../bin/lodestone.js', import.meta.url));

describe('DATABASE_URL with several hosts', () => {
  it('one host without target_session_attrs is left as it is', () => {
    const url = 'postgres://u:p@db:5432/lodestone?sslmode=require';
    expect(parseDatabaseHosts(url)).toEqual({ urls: [url], target: 'any' });
  });

  it('splits hosts in order, keeps credentials, path and other parameters, and defaults to read-write', () => {
    expect(parseDatabaseHosts('postgresql://u:p%40ss@db1:5432,db2,[::1]:6000/lodestone?sslmode=require')).toEqual({
      urls: [
        'postgresql://u:p%40ss@db1:5432/lodestone?sslmode=require',
        'postgresql://u:p%40ss@db2/lodestone?sslmode=require',
        'postgresql://u:p%40ss@[::1]:6000/lodestone?sslmode=require',
      ],
      target: 'read-write',
    });
    expect(parseDatabaseHosts('postgres://db1,db2/x?target_session_attrs=primary&application_name=a')).toEqual({
      urls: ['postgres://db1/x?application_name=a', 'postgres://db2/x?application_name=a'],
      target: 'primary',
    });
    expect(parseDatabaseHosts('postgres://db1/x?target_session_attrs=any').urls).toEqual(['postgres://db1/x']);
  });

  it('refuses a target Lodestone cannot write to and malformed hosts, naming the field', () => {
    const standby = expectThrowsCode(
      () => parseDatabaseHosts('postgres://db1,db2/x?target_session_attrs=standby'),
      ValidationError,
      'INVALID_INPUT',
    );
    expect(standby.field).toBe('DATABASE_URL target_session_attrs');
    expect(standby.message).toMatch(/must be one of any, read-write, primary.*"standby"/);
    const port = expectThrowsCode(
      () => parseDatabaseHosts('postgres://db1:99999,db2/x'),
      ValidationError,
      'INVALID_INPUT',
    );
    expect(port.field).toBe('DATABASE_URL');
    expect(port.message).toMatch(/host 1 of 2 must be host or host:port.*"db1:99999"/);
    expect(() => parseDatabaseHosts('postgres://db1,,db2/x')).toThrow(/host 2 of 3/);
  });

  it('no listed server reachable: CONNECTION_FAILED naming each host and why', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const e = await expectRejectsCode(
      chooseDatabaseHost(parseDatabaseHosts(`postgres://u@127.0.0.1:${a},127.0.0.1:${b}/x`), 5000),
      StoreError,
      'CONNECTION_FAILED',
    );
    expect(e.message).toContain(`no listed database server accepts a read-write session (127.0.0.1:${a}: `);
    expect(e.message).toContain(`; 127.0.0.1:${b}: `);
  });

  it('the CLI refuses a bad list with one line naming DATABASE_URL, exit 2', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'lodestone-hosts-'));
    try {
      const r = spawnSync(process.execPath, [BIN, 'log', 'check'], {
        cwd,
        env: { ...process.env, DATABASE_URL: 'postgres://a,b/x?target_session_attrs=prefer-standby' },
        encoding: 'utf8',
      });
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^lodestone: DATABASE_URL target_session_attrs.*must be one of any, read-write, primary/),
      ]);
      expect(r.status).toBe(2);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
