/** The credential privilege order (issue 18, item 9; src/http/roles.ts): who may manage which credential. */
import { describe, expect, it } from 'vitest';
import { privilegeRefusal, ROLE_RANK, ROLES, type Role } from '../../src/http/index.js';

const as = (role: Role, partyId: string | null = role === 'operator-admin' ? null : 'p1') => ({
  credentialId: 'cred_x',
  role,
  partyId,
});

describe('credential privilege order', () => {
  it('ranks every role: operator-admin > authority = government > exporter = importer = downstream-holder > auditor', () => {
    expect(Object.keys(ROLE_RANK).sort()).toEqual([...ROLES].sort());
    expect(ROLE_RANK['operator-admin']).toBeGreaterThan(ROLE_RANK['licensing-authority']);
    expect(ROLE_RANK['licensing-authority']).toBe(ROLE_RANK['importing-government']);
    expect(ROLE_RANK['importing-government']).toBeGreaterThan(ROLE_RANK.exporter);
    expect(new Set([ROLE_RANK.exporter, ROLE_RANK.importer, ROLE_RANK['downstream-holder']]).size).toBe(1);
    expect(ROLE_RANK.exporter).toBeGreaterThan(ROLE_RANK.auditor);
  });

  it('a credential manages its own role and lower ones of its own party; never higher, never a different role of equal rank, never another party', () => {
    for (const caller of ROLES) {
      for (const target of ROLES) {
        if (target === 'operator-admin' && caller !== 'operator-admin') {
          expect(privilegeRefusal(as(caller), { role: target, partyId: null })).toBeDefined();
          continue;
        }
        const refusal = privilegeRefusal(as(caller), {
          role: target,
          partyId: target === 'operator-admin' ? null : 'p1',
        });
        const may = caller === 'operator-admin' || caller === target || ROLE_RANK[target] < ROLE_RANK[caller];
        expect(refusal === undefined, `${caller} → ${target}: ${refusal ?? 'allowed'}`).toBe(may);
        if (refusal !== undefined) expect(refusal).toMatch(/^credential\.privilege: /);
      }
    }
    expect(privilegeRefusal(as('exporter'), { role: 'auditor', partyId: 'p2' })).toMatch(/only its own party's/);
    expect(privilegeRefusal(as('importer'), { role: 'exporter', partyId: 'p1' })).toMatch(
      /equal privilege but different powers/,
    );
    expect(privilegeRefusal(as('operator-admin'), { role: 'licensing-authority', partyId: 'p9' })).toBeUndefined();
  });
});
