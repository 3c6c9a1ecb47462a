/** Who calls the API: each credential has one role, and (except operator admins) belongs to one party. */
export const ROLES = ['exporter', 'licensing-authority', 'importer', 'importing-government', 'downstream-holder', 'auditor', 'operator-admin'] as const;
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
