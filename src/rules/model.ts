import type { CountryCode, ElementSymbol, EndUsePurpose, ItemForm, MagnetFamily, Sector } from '../domain/index.js';

/** The in-memory, validated form of a rule pack. Plain frozen data. */

export type Confidence = 'multi' | 'single' | 'inference' | 'uncertain';

export interface Source {
  readonly id: string;
  readonly title: string;
  readonly issuer: string;
  readonly date: string;
  readonly url?: string;
  readonly references: readonly string[];
  readonly confidence: Confidence;
}

export interface Citation {
  readonly source: string;
  readonly clause: string;
  readonly confidence?: Confidence;
  readonly note?: string;
}

export interface Pattern {
  readonly form?: readonly ItemForm[];
  readonly category?: readonly string[];
  readonly magnetFamily?: readonly MagnetFamily[];
  readonly principalElement?: readonly ElementSymbol[];
  readonly containsAny?: readonly ElementSymbol[];
  readonly containsAll?: readonly ElementSymbol[];
  readonly minPpm?: number;
}

export type CountrySet = { readonly in: readonly CountryCode[] } | { readonly notIn: readonly CountryCode[] };

/** A control-list entry: one kind of item under a control code, e.g. 1C905.a:magnet. */
export interface Entry {
  /** "CODE:label" */
  readonly ref: string;
  readonly code: string;
  readonly title: string;
  readonly citation: Citation;
  readonly match: Pattern;
}

export interface Window {
  readonly from: string;
  /** Last day included; open-ended when absent. */
  readonly to?: string;
}

export interface Suspension extends Window {
  readonly id: string;
  readonly citation: Citation;
  /**
   * Readings of unverified facts under which this suspension continues after `to` (to the reading's
   * `to`, or open-ended). Filled in at load from the pack's `facts`.
   */
  readonly extensions: readonly SuspensionExtension[];
}

export interface SuspensionExtension {
  readonly fact: string;
  readonly reading: string;
  /** Last day of the continued suspension; open-ended when absent. */
  readonly to?: string;
}

/** One reading of an unverified fact: what it means, its source, and what it changes in the pack. */
export interface Reading {
  readonly id: string;
  readonly meaning: string;
  readonly citation: Citation;
  /** Suspensions that continue under this reading (and to when). */
  readonly continues: readonly { readonly suspension: string; readonly to?: string }[];
}

/**
 * A fact the sources do not settle (e.g. whether a suspension was extended). The pack encodes the
 * default reading; every answer that depends on the fact says so and names the other readings.
 */
export interface UnverifiedFact {
  readonly id: string;
  readonly question: string;
  readonly citation: Citation;
  readonly default: string;
  readonly readings: readonly Reading[];
  /** The rules and policies whose answer depends on the fact (computed at load). */
  readonly affects: readonly string[];
}

/** A modelling choice deduced from the sources, not stated by them, and the other reading. */
export interface Inference {
  readonly id: string;
  readonly statement: string;
  readonly alternative: string;
  readonly citation: Citation;
  /** Entry refs the choice shapes (globs resolved at load). */
  readonly entries: readonly string[];
}

export interface ContentCondition {
  readonly entries: readonly string[];
  readonly origin: CountrySet;
  readonly valueShareAtLeastPpm: number;
}

export interface Scope {
  readonly exportFrom?: CountrySet;
  readonly origin?: CountrySet;
  readonly technologyOrigin?: CountrySet;
  /** Where the item goes; unknown destinations (a classification without one) are not excluded. */
  readonly destination?: CountrySet;
  readonly content?: ContentCondition;
}

/** A legal measure that puts some entries under control, in some scope, for a window of dates. */
export interface Rule {
  readonly id: string;
  readonly title: string;
  readonly citation: Citation;
  readonly window: Window;
  readonly suspensions: readonly Suspension[];
  readonly scope: Scope;
  /** Entry refs (globs resolved at load). */
  readonly controls: readonly string[];
}

/** Guidance that takes some items out of scope of some entries. */
export interface Exclusion {
  readonly id: string;
  readonly title: string;
  readonly citation: Citation;
  readonly window: Window;
  readonly match: Pattern;
  readonly excludes: readonly string[];
}

export type PartyRole = 'applicant' | 'importer' | 'consignee' | 'end-user';

/** What a hit on a restricted-party list means in law: deny, case-by-case review, or information only. */
export type ListEffect = 'deny' | 'review' | 'information';

/** A licensing policy: deny or review case by case when the application's facts match. */
export interface Policy {
  readonly id: string;
  readonly title: string;
  readonly citation: Citation;
  readonly window: Window;
  readonly suspensions: readonly Suspension[];
  readonly decision: 'deny' | 'case-by-case';
  /** Rule ids: the policy governs only applications and transfers of items controlled under one of them. */
  readonly under?: readonly string[];
  /** Listings through ≥ 50 % owners count for `partyListEffect`. */
  readonly partyListViaOwners: boolean;
  /** Evaluated at licence applications and/or at transfers (export check, dispatch, EPCIS shipment). */
  readonly occasions: readonly ('application' | 'transfer')[];
  readonly when: {
    readonly endUseAny?: readonly EndUsePurpose[];
    readonly partySectorAny?: readonly Sector[];
    readonly partyListed?: boolean;
    readonly partyListEffect?: readonly ListEffect[];
    readonly roles?: readonly PartyRole[];
    readonly destination?: CountrySet;
    readonly origin?: CountrySet;
  };
}

/** A measure the sources name that the pack does not model (see notModelledSchema). */
export interface NotModelled {
  readonly id: string;
  readonly title: string;
  readonly citation: Citation;
  readonly reason: string;
  readonly match?: Pattern;
  readonly rules?: readonly string[];
}

export interface RulePack {
  readonly id: string;
  readonly version: string;
  readonly title: string;
  readonly authority: string;
  readonly jurisdiction: CountryCode;
  readonly description?: string;
  /** SHA-256 (hex) of the file the pack was loaded from; recorded with every evaluation. */
  readonly sha256: string;
  readonly sources: Readonly<Record<string, Source>>;
  readonly entries: readonly Entry[];
  readonly rules: readonly Rule[];
  readonly exclusions: readonly Exclusion[];
  readonly policies: readonly Policy[];
  readonly notModelled: readonly NotModelled[];
  readonly facts: readonly UnverifiedFact[];
  readonly inferences: readonly Inference[];
}

export interface PackRef {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
}
