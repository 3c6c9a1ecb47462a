/** Restricted-party list entries and the matcher's results: plain frozen data, no I/O. */

/** Bumped whenever normalisation, candidate generation or scoring changes what a query returns. */
export const MATCHER_VERSION = 'lodestone-matcher/1.4.1';

export const LIST_FORMATS = ['sdn-csv', 'un-xml', 'ftm-json', 'csv'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

export const ENTITY_TYPES = ['person', 'entity', 'vessel', 'aircraft', 'unknown'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface EntryIdentifier {
  readonly scheme: string;
  readonly value: string;
}

/** One listed party as the list publishes it. `id` is the list's own id (SDN ent_num, UN reference number, FtM id). */
export interface ListEntry {
  readonly id: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly type: EntityType;
  /** ISO 3166-1 alpha-2 codes where the list gives them (nationality, address, jurisdiction). */
  readonly countries: readonly string[];
  readonly identifiers: readonly EntryIdentifier[];
  /** Programme or sub-list (e.g. "SDGT", "MOFCOM export control list"). */
  readonly program?: string;
}

/** A row the parser could not use: reported with its line number (1-based) and skipped. */
export interface ParseIssue {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedList {
  readonly format: ListFormat;
  readonly entries: readonly ListEntry[];
  readonly errors: readonly ParseIssue[];
}
