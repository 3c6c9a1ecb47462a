/**
 * The 50 % rule: an entity owned 50 % or more, in aggregate, by listed parties is treated as
 * listed; so is an entity 50 % owned by such an entity, and so on down a chain. Pure: screening an
 * owner's name and looking up a registered owner's own owners are functions passed in.
 */
import type { Match } from './matcher.js';

/** A direct owner and its share in ppm (500000 = 50 %). */
export interface OwnerLink {
  readonly partyId?: string | undefined;
  readonly name: string;
  readonly country?: string | undefined;
  readonly sharePpm: number;
}

export interface OwnershipHit {
  readonly match: Match;
  /** Names from the screened party's direct owner down to the listed party (the listed party last). */
  readonly via: readonly string[];
  /** The aggregate share, in ppm, that listed or blocked owners hold in the screened party. */
  readonly sharePpm: number;
}

export interface OwnershipDeps {
  /** Screens one owner by name; returns its list matches (empty when not listed). */
  readonly screen: (name: string, country: string | undefined) => readonly Match[];
  /** The direct owners of a registered party, or undefined when the party is unknown. */
  readonly ownersOf: (partyId: string) => readonly OwnerLink[] | undefined;
  readonly maxDepth?: number;
}

export const CONTROL_PPM = 500_000;

/**
 * Hits that reach a party through its owners: every listed owner (directly, or through a chain of
 * owners each blocked in turn) when the blocked owners together hold at least 50 %.
 */
export function ownershipHits(owners: readonly OwnerLink[], deps: OwnershipDeps): readonly OwnershipHit[] {
  return blockedBy(owners, deps, new Set(), 0, deps.maxDepth ?? 8);
}

function blockedBy(
  owners: readonly OwnerLink[],
  deps: OwnershipDeps,
  path: Set<string>,
  depth: number,
  maxDepth: number,
): OwnershipHit[] {
  if (depth >= maxDepth) return [];
  let blockedShare = 0;
  const hits: OwnershipHit[] = [];
  for (const o of owners) {
    const direct = deps.screen(o.name, o.country);
    let ownerHits: OwnershipHit[] = direct.map((match) => ({ match, via: [o.name], sharePpm: o.sharePpm }));
    if (ownerHits.length === 0 && o.partyId !== undefined && !path.has(o.partyId)) {
      const next = deps.ownersOf(o.partyId);
      if (next !== undefined && next.length > 0) {
        path.add(o.partyId);
        ownerHits = blockedBy(next, deps, path, depth + 1, maxDepth).map((h) => ({
          ...h,
          via: [o.name, ...h.via],
          sharePpm: o.sharePpm,
        }));
        path.delete(o.partyId);
      }
    }
    if (ownerHits.length > 0) {
      blockedShare += o.sharePpm;
      hits.push(...ownerHits);
    }
  }
  if (blockedShare < CONTROL_PPM) return [];
  return hits.map((h) => ({ ...h, sharePpm: blockedShare }));
}
