/** Who calls the API: each credential has one role, and (except operator admins) belongs to one party. */
export const ROLES = [
  'exporter',
  'licensing-authority',
  'importer',
  'importing-government',
  'downstream-holder',
  'auditor',
  'operator-admin',
] as const;
export type Role = (typeof ROLES)[number];

export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/** The authenticated caller of one request. */
export interface Principal {
  readonly credentialId: string;
  readonly role: Role;
  /** Null for operator admins, who act for no party. */
  readonly partyId: string | null;
}

/**
 * The privilege order of roles (issue 18, item 9), highest first:
 *
 *   operator-admin (3) > licensing-authority = importing-government (2)
 *     > exporter = importer = downstream-holder (1) > auditor (0)
 *
 * An operator admin runs the service and registers parties; an authority or a government decides
 * and countersigns for others (its records bind third parties); a trade party makes records about
 * its own goods; an auditor only reads. A credential manages (issues, rotates, revokes) credentials
 * of its own party whose role is its own, or strictly lower in this order — never a different role
 * of equal rank (an importer key could otherwise mint the same party's exporter key and apply for
 * licences), never a higher one. Operator admins manage every credential.
 */
export const ROLE_RANK: Readonly<Record<Role, number>> = {
  'operator-admin': 3,
  'licensing-authority': 2,
  'importing-government': 2,
  exporter: 1,
  importer: 1,
  'downstream-holder': 1,
  auditor: 0,
};

/** Why `caller` may not manage a credential of role `target` of party `targetParty`, or undefined when it may. */
export function privilegeRefusal(
  caller: Principal,
  target: { readonly role: Role; readonly partyId: string | null },
): string | undefined {
  if (caller.role === 'operator-admin') return undefined;
  if (target.partyId !== caller.partyId)
    return `credential.privilege: a ${caller.role} credential of "${caller.partyId ?? ''}" manages only its own party's credentials`;
  if (target.role === caller.role || ROLE_RANK[target.role] < ROLE_RANK[caller.role]) return undefined;
  const why =
    ROLE_RANK[target.role] > ROLE_RANK[caller.role] ? 'a higher privilege' : 'an equal privilege but different powers';
  return `credential.privilege: a ${caller.role} credential may not manage a ${target.role} credential (${why}); a credential manages only credentials of its own role or of a lower privilege (operator-admin > licensing-authority = importing-government > exporter = importer = downstream-holder > auditor)`;
}
