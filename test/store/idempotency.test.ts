import { describe, expect, it } from 'vitest';
import { COMMITTED_WITHOUT_RESPONSE, IDEMPOTENCY_LEASE_SECONDS, idempotencyRepo } from '../../src/store/index.js';
import { STORES, useFreshStore } from '../support/stores.js';

describe.each(STORES)('idempotency claims: holder and lease (%s)', (kind) => {
  const fresh = useFreshStore(kind);
  const row = (key: string) =>
    fresh()
      .store.db.selectFrom('idempotency_keys')
      .selectAll()
      .where('credential_id', '=', 'cred_test0001')
      .where('key', '=', key)
      .executeTakeFirstOrThrow();
  const age = (key: string, seconds: number) =>
    fresh()
      .store.db.updateTable('idempotency_keys')
      .set({ alive_at: new Date(Date.now() - seconds * 1000) })
      .where('key', '=', key)
      .execute();

  it('another holder within its lease keeps the claim; past it, the claim is taken over; the holder itself takes it back at once', async () => {
    const db = fresh().store.db;
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'k', 'h', 'one')).toBeUndefined();
    const held = await idempotencyRepo.claim(db, 'cred_test0001', 'k', 'h', 'two');
    expect(held).toMatchObject({ holder: 'one', status: null, stale: false });
    await age('k', IDEMPOTENCY_LEASE_SECONDS + 5);
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'k', 'h', 'two')).toBeUndefined();
    expect((await row('k')).holder).toBe('two');
    // Renewing is the holder's alone.
    await age('k', 30);
    const before = (await row('k')).alive_at;
    await idempotencyRepo.renew(db, 'cred_test0001', 'k', 'one');
    expect((await row('k')).alive_at).toEqual(before);
    await idempotencyRepo.renew(db, 'cred_test0001', 'k', 'two');
    expect((await row('k')).alive_at!.getTime()).toBeGreaterThan(before!.getTime());
    // A holder whose request ended unanswered (it knows it has none in flight) takes its claim back.
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'k', 'h', 'two')).toBeUndefined();
  });

  it('a committed claim is never taken over: its age only tells whether its holder is gone', async () => {
    const db = fresh().store.db;
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'c', 'h', 'one')).toBeUndefined();
    await idempotencyRepo.markCommitted(db, 'cred_test0001', 'c');
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'c', 'h', 'two')).toMatchObject({
      status: COMMITTED_WITHOUT_RESPONSE,
      holder: 'one',
      stale: false,
    });
    await age('c', IDEMPOTENCY_LEASE_SECONDS + 5);
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'c', 'h', 'two')).toMatchObject({
      status: COMMITTED_WITHOUT_RESPONSE,
      holder: 'one',
      stale: true,
    });
    expect(await idempotencyRepo.claim(db, 'cred_test0001', 'c', 'h', 'one')).toMatchObject({
      status: COMMITTED_WITHOUT_RESPONSE,
    });
  });
});
