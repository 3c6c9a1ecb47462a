import type { CountryCode } from './country.js';
import { countryName } from './country.js';
import type { Item } from './item.js';
import type { Party } from './party.js';
import { PPM_WHOLE } from './quantities.js';

/**
 * An obligation that travels with material: the licence it was exported under and the
 * undertakings of its end-user certificate. Every lot made from restricted material carries the
 * restriction on, with how much of the lot (by mass and by value) is that material.
 */
export interface Restriction {
  readonly licenceId: string;
  /** Whose consent a re-export needs (the licensing authority). */
  readonly authority: string;
  readonly certificateId?: string;
  readonly endUser: string;
  readonly prohibitedDestinations: readonly CountryCode[];
  readonly useOnlyIn?: CountryCode;
  /** Whether the undertakings bind products that incorporate the material. */
  readonly extendsToProducts: boolean;
  /** Grams of the licensed material in this lot (rounded down through transformations). */
  readonly licensedGrams: number;
  /** Value of the licensed material in this lot, minor units of `currency`, when known. */
  readonly licensedValueMinor?: number;
  readonly currency?: string;
  /** Share of the lot's mass that is licensed material, ppm (rounded down). */
  readonly massSharePpm: number;
  /** Share of the lot's value that is licensed material, ppm (rounded down), when both values are known. */
  readonly valueSharePpm?: number;
  /** How the restriction reached this lot, nearest first: "lot MOT-1", "transformation T-1", …, "licence L", "certificate C". */
  readonly chain: readonly string[];
  /** The undertakings in words, as the certificate and licence state them. */
  readonly clauses: readonly string[];
  /** Set when the certificate the licence relies on was revoked: the revocation's journal entry and reason. */
  readonly certificateRevoked?: { readonly seq: number; readonly reason: string };
}

/** A quantity of one item in one holder's custody. */
export interface Lot {
  readonly id: string;
  readonly holder: string;
  /** Country where the lot is. */
  readonly location: CountryCode;
  readonly item: Item;
  readonly massGrams: number;
  readonly units?: number;
  /** Value of the whole lot, when known. */
  readonly valueMinor?: number;
  readonly currency?: string;
  readonly restrictions: readonly Restriction[];
}

function share(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Number((BigInt(part) * BigInt(PPM_WHOLE)) / BigInt(whole));
}

function scale(amount: number, part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Number((BigInt(amount) * BigInt(part)) / BigInt(whole));
}

/** The restriction as it applies to `grams` taken from `lot` (rounded down, never dropped). */
export function portionOf(
  r: Restriction,
  lot: Pick<Lot, 'massGrams'>,
  grams: number,
): Pick<Restriction, 'licensedGrams' | 'licensedValueMinor'> {
  return {
    licensedGrams: scale(r.licensedGrams, grams, lot.massGrams),
    ...(r.licensedValueMinor === undefined
      ? {}
      : { licensedValueMinor: scale(r.licensedValueMinor, grams, lot.massGrams) }),
  };
}

/** What remains of a lot after `grams` are taken out: its restrictions reduced by the portion taken, never dropped. */
export function remainderAfter(
  lot: Lot,
  grams: number,
): { lotId: string; massGrams: number; valueMinor?: number; restrictions: Restriction[] } {
  const massGrams = lot.massGrams - grams;
  return {
    lotId: lot.id,
    massGrams,
    // The lot's value goes down with its mass (rounded down for the part taken), so its value per gram stays what it was.
    ...(lot.valueMinor === undefined
      ? {}
      : { valueMinor: lot.valueMinor - scale(lot.valueMinor, grams, lot.massGrams) }),
    restrictions: lot.restrictions.map((r) => {
      const p = portionOf(r, lot, grams);
      const licensedGrams = r.licensedGrams - p.licensedGrams;
      const { licensedValueMinor: _v, ...rest } = r;
      return {
        ...rest,
        licensedGrams,
        massSharePpm: massGrams === 0 ? r.massSharePpm : share(licensedGrams, massGrams),
        ...(r.licensedValueMinor === undefined || p.licensedValueMinor === undefined
          ? {}
          : { licensedValueMinor: r.licensedValueMinor - p.licensedValueMinor }),
      };
    }),
  };
}

/** Restrictions of a lot made of `parts` (grams taken from input lots), merged per licence. */
export function inheritRestrictions(
  parts: readonly { readonly lot: Lot; readonly grams: number }[],
  out: { readonly id: string; readonly massGrams: number; readonly valueMinor?: number; readonly currency?: string },
  via: string,
): Restriction[] {
  const merged = new Map<string, { base: Restriction; grams: number; value: number | undefined; from: string[] }>();
  for (const { lot, grams } of parts) {
    for (const r of lot.restrictions) {
      const p = portionOf(r, lot, grams);
      const m = merged.get(r.licenceId);
      if (m) {
        m.grams += p.licensedGrams;
        m.value =
          m.value === undefined || p.licensedValueMinor === undefined ? undefined : m.value + p.licensedValueMinor;
        if (!m.from.includes(lot.id)) m.from.push(lot.id);
      } else {
        merged.set(r.licenceId, { base: r, grams: p.licensedGrams, value: p.licensedValueMinor, from: [lot.id] });
      }
    }
  }
  return [...merged.values()].map(({ base, grams, value, from }) => {
    const valueShare =
      value !== undefined && out.valueMinor !== undefined && base.currency === out.currency && out.valueMinor > 0
        ? share(value, out.valueMinor)
        : undefined;
    const upstream = from.length === 1 ? base.chain : [`lots ${from.join(', ')}`, ...base.chain.slice(1)];
    const r: Restriction = {
      ...base,
      licensedGrams: grams,
      massSharePpm: share(grams, out.massGrams),
      chain: [`lot ${out.id}`, via, ...upstream],
    };
    const { licensedValueMinor: _v, valueSharePpm: _s, ...rest } = r;
    return {
      ...rest,
      ...(value === undefined ? {} : { licensedValueMinor: value }),
      ...(valueShare === undefined ? {} : { valueSharePpm: valueShare }),
    };
  });
}

/**
 * The parties that control a party: its owners of ≥ 50 %, directly or through a chain, with the
 * chain. Owners that are registered parties are followed; unregistered ones end the chain.
 */
export function controllingOwners(
  party: Party,
  lookup: (id: string) => Party | undefined,
  thresholdPpm = 500_000,
): { name: string; country?: CountryCode; path: string[] }[] {
  const out: { name: string; country?: CountryCode; path: string[] }[] = [];
  const walk = (p: Party, path: string[], seen: Set<string>) => {
    for (const o of p.owners ?? []) {
      if (o.sharePpm < thresholdPpm) continue;
      const owner = o.partyId === undefined ? undefined : lookup(o.partyId);
      const name = owner?.name ?? o.name;
      const country = owner?.country ?? o.country;
      const step = [
        ...path,
        `${p.name} is ${(o.sharePpm / 10_000).toLocaleString('en')} % owned by ${name}${country ? ` (${country})` : ''}`,
      ];
      out.push({ name, ...(country === undefined ? {} : { country }), path: step });
      if (owner && !seen.has(owner.id)) walk(owner, step, new Set([...seen, owner.id]));
    }
  };
  walk(party, [], new Set([party.id]));
  return out;
}

export type OnwardRule =
  'PROHIBITED_DESTINATION' | 'PROHIBITED_VIA_OWNER' | 'REEXPORT_WITHOUT_CONSENT' | 'CERTIFICATE_REVOKED';

export interface OnwardRefusal {
  readonly rule: OnwardRule;
  readonly licenceId: string;
  readonly message: string;
  /** lot ← transformation ← lot ← licence ← certificate, with the clause. */
  readonly chain: readonly string[];
}

/**
 * Checks a proposed transfer of a lot to a party in a country against every restriction the lot
 * carries. Pure: the caller supplies the party lookup (for ownership chains) and the consents held.
 */
export function checkOnwardTransfer(
  lot: Lot,
  to: Party,
  destination: CountryCode,
  lookup: (id: string) => Party | undefined,
  consents: readonly { readonly licenceId: string; readonly destination: CountryCode }[] = [],
): OnwardRefusal[] {
  const refusals: OnwardRefusal[] = [];
  const owners = controllingOwners(to, lookup);
  for (const r of lot.restrictions) {
    // Undertakings that do not extend to products bind the material only until it is transformed.
    if (!r.extendsToProducts && r.chain.some((c) => c.startsWith('transformation '))) continue;
    const where = r.chain.join(' ← ');
    const consented = consents.some((c) => c.licenceId === r.licenceId && c.destination === destination);
    if (r.certificateRevoked !== undefined && !consented) {
      refusals.push({
        rule: 'CERTIFICATE_REVOKED',
        licenceId: r.licenceId,
        message: `the end-user certificate ${r.certificateId ?? '?'} behind this material was revoked (journal entry ${r.certificateRevoked.seq}: ${r.certificateRevoked.reason}); moving it abroad needs the consent of ${r.authority}: ${where}`,
        chain: [...r.chain, `revoked at journal entry ${r.certificateRevoked.seq}: ${r.certificateRevoked.reason}`],
      });
      continue;
    }
    if (r.prohibitedDestinations.includes(destination)) {
      refusals.push({
        rule: 'PROHIBITED_DESTINATION',
        licenceId: r.licenceId,
        message: `${countryName(destination)} (${destination}) is a prohibited destination: ${where}, clause "no re-export to ${destination}"`,
        chain: [...r.chain, `clause: no re-export to ${destination}`],
      });
      continue;
    }
    const viaOwner = owners.find((o) => o.country !== undefined && r.prohibitedDestinations.includes(o.country));
    if (viaOwner?.country !== undefined) {
      refusals.push({
        rule: 'PROHIBITED_VIA_OWNER',
        licenceId: r.licenceId,
        message: `${to.name} is controlled from a prohibited destination (${viaOwner.path.join('; ')}): ${where}, clause "no re-export to ${viaOwner.country}"`,
        chain: [...r.chain, `clause: no re-export to ${viaOwner.country}`, ...viaOwner.path],
      });
      continue;
    }
    if (r.useOnlyIn !== undefined && destination !== r.useOnlyIn && !consented) {
      refusals.push({
        rule: 'REEXPORT_WITHOUT_CONSENT',
        licenceId: r.licenceId,
        message: `re-export from ${r.useOnlyIn} to ${destination} needs the consent of ${r.authority}: ${where}, clause "use only in ${r.useOnlyIn}; no re-export without consent"`,
        chain: [...r.chain, `clause: use only in ${r.useOnlyIn}; no re-export without the consent of ${r.authority}`],
      });
    }
  }
  return refusals;
}
