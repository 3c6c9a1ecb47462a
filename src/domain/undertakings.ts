import type { CertificateItem, Undertakings } from './certificate.js';
import type { CountryCode } from './country.js';
import type { Licence } from './licence.js';

/**
 * What an end-user certificate binds, as it travels: its undertakings joined with the licence's
 * conditions (an approval may add conditions, never remove an undertaking the end user signed),
 * and its quantities as a ceiling shared by every licence that relies on it. Pure; used by the
 * use cases and re-checked by the offline verifier.
 */

/** The terms of the restriction a licensed shipment creates: the licence's conditions ∪ the certificate's undertakings. */
export interface RestrictionTerms {
  readonly prohibitedDestinations: readonly CountryCode[];
  readonly useOnlyIn?: CountryCode;
  readonly extendsToProducts: boolean;
  readonly clauses: readonly string[];
}

type LicenceConditions = Pick<
  Licence,
  | 'id'
  | 'authority'
  | 'prohibitedReexportDestinations'
  | 'useOnlyIn'
  | 'extendsToIncorporatingProducts'
  | 'endUse'
  | 'certificateId'
>;

/**
 * The union of a licence's conditions and its certificate's undertakings (`undertakings` undefined
 * when the licence relies on no certificate): every prohibited destination of either, the
 * "use only in" of either (they cannot differ: an approval that contradicts it is refused),
 * binding on products when either says so, and every clause in words.
 */
export function restrictionTerms(licence: LicenceConditions, undertakings: Undertakings | undefined): RestrictionTerms {
  const prohibited = [
    ...new Set([...licence.prohibitedReexportDestinations, ...(undertakings?.prohibitedDestinations ?? [])]),
  ].sort();
  const useOnlyIn = licence.useOnlyIn ?? undertakings?.useOnlyIn;
  const cert =
    licence.certificateId === undefined ? 'the end-user certificate' : `certificate ${licence.certificateId}`;
  const clauses = [
    ...prohibited.map((c) => `no re-export to ${c}`),
    ...(useOnlyIn === undefined
      ? []
      : [
          `use only in ${useOnlyIn}; no re-export or transfer abroad without the consent of ${undertakings?.consentAuthority ?? licence.authority}`,
        ]),
    ...licence.endUse.purposes.map((p) => `declared end use: ${p}`),
    ...(undertakings === undefined
      ? []
      : [
          ...(undertakings.noWmdUse ? [`no use in weapons of mass destruction (${cert})`] : []),
          ...(undertakings.noMilitaryUse ? [`no military use (${cert})`] : []),
          ...(undertakings.noReexportWithoutConsent
            ? [`no re-export without the consent of ${undertakings.consentAuthority} (${cert})`]
            : []),
          ...(undertakings.extendsToIncorporatingProducts
            ? [`binds products that incorporate the material (${cert})`]
            : []),
          ...(undertakings.postShipmentVerificationConsent ? [`post-shipment verification consented (${cert})`] : []),
        ]),
  ];
  return {
    prohibitedDestinations: prohibited,
    ...(useOnlyIn === undefined ? {} : { useOnlyIn }),
    extendsToProducts:
      licence.extendsToIncorporatingProducts || (undertakings?.extendsToIncorporatingProducts ?? false),
    clauses,
  };
}

/** An approval's conditions that touch the undertakings. */
export interface ApprovalTerms {
  readonly prohibitedReexportDestinations: readonly CountryCode[];
  readonly useOnlyIn?: CountryCode | undefined;
  readonly extendsToIncorporatingProducts?: boolean | undefined;
}

export interface UndertakingConflict {
  readonly field: string;
  readonly message: string;
}

/**
 * An approval's conditions joined with the certificate's undertakings: what it leaves out is added
 * (an approval may add, never remove), and what it contradicts outright — another "use only in"
 * country, `extendsToIncorporatingProducts: false` against an end user who bound the products,
 * a "use only in" the end user listed as prohibited — is a conflict the caller refuses.
 */
export function mergeUndertakings(
  approval: ApprovalTerms,
  u: Undertakings,
): {
  readonly merged: {
    prohibitedReexportDestinations: CountryCode[];
    useOnlyIn?: CountryCode;
    extendsToIncorporatingProducts: boolean;
  };
  readonly conflicts: readonly UndertakingConflict[];
} {
  const conflicts: UndertakingConflict[] = [];
  if (approval.useOnlyIn !== undefined && u.useOnlyIn !== undefined && approval.useOnlyIn !== u.useOnlyIn) {
    conflicts.push({
      field: 'conditions.useOnlyIn',
      message: `the end user undertook to use the items only in ${u.useOnlyIn}; the approval says ${approval.useOnlyIn}`,
    });
  }
  if (approval.useOnlyIn !== undefined && u.prohibitedDestinations.includes(approval.useOnlyIn)) {
    conflicts.push({
      field: 'conditions.useOnlyIn',
      message: `the end user undertook never to re-export to ${approval.useOnlyIn}; the approval would allow use there`,
    });
  }
  if (approval.extendsToIncorporatingProducts === false && u.extendsToIncorporatingProducts) {
    conflicts.push({
      field: 'conditions.extendsToIncorporatingProducts',
      message:
        'the end user undertook that its undertakings bind products incorporating the items; the approval would release them',
    });
  }
  const useOnlyIn = approval.useOnlyIn ?? u.useOnlyIn;
  return {
    merged: {
      prohibitedReexportDestinations: [
        ...new Set([...approval.prohibitedReexportDestinations, ...u.prohibitedDestinations]),
      ],
      ...(useOnlyIn === undefined ? {} : { useOnlyIn }),
      extendsToIncorporatingProducts:
        (approval.extendsToIncorporatingProducts ?? true) || u.extendsToIncorporatingProducts,
    },
    conflicts,
  };
}

/** What one approval claims of one certificate line, with the ledger before it. */
export interface CertificateClaimLine {
  readonly controlCode: string;
  readonly hsCode: string;
  /** The certificate line's quantity: the ceiling across every licence. */
  readonly ceilingGrams: number;
  /** Claimed by earlier licences when this one was approved. */
  readonly claimedBeforeGrams: number;
  /** Claimed by this licence (the sum of its lines' ceilings for this item). */
  readonly grams: number;
}

export interface CertificateClaim {
  readonly certificateId: string;
  readonly lines: readonly CertificateClaimLine[];
}

/** The grams a licence claims of each certificate line: its lines' ceilings summed per matching item (HS code). */
export function claimedGrams(
  licence: Pick<Licence, 'lines'>,
  items: readonly CertificateItem[],
): { readonly claims: ReadonlyMap<string, number>; readonly unmatched: readonly string[] } {
  const claims = new Map<string, number>();
  const unmatched: string[] = [];
  for (const l of licence.lines) {
    const hs = l.item.hsCode.replace(/[.\s]/g, '');
    const item = items.find((i) => i.hsCode === hs);
    if (item === undefined) {
      unmatched.push(l.ref);
      continue;
    }
    const key = certificateLineKey(item);
    claims.set(key, (claims.get(key) ?? 0) + l.ceilingGrams);
  }
  return { claims, unmatched };
}

/** The key of a certificate line: control code and HS code. */
export function certificateLineKey(i: Pick<CertificateItem, 'controlCode' | 'hsCode'>): string {
  return `${i.controlCode} ${i.hsCode}`;
}

/** The lines a claim over-draws: claimed before + this claim past the certificate's quantity. */
export function overclaims(lines: readonly CertificateClaimLine[]): CertificateClaimLine[] {
  return lines.filter((l) => l.claimedBeforeGrams + l.grams > l.ceilingGrams);
}
