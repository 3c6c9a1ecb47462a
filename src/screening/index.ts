/**
 * Restricted-party screening: list parsers, name normalisation and transliteration, the
 * in-memory index and scorer with explanations, and the 50 % ownership rule. Pure: no I/O.
 */
export * from './model.js';
export {
  parseList,
  parseSdnCsv,
  parseUnXml,
  parseFtmJson,
  parsePlainCsv,
  checkText,
  type SdnFiles,
  type ParseProgress,
} from './parsers.js';
export {
  normalizeName,
  foldLatin,
  skeleton,
  romanKey,
  detectScript,
  type NormalizedName,
  type Script,
} from './normalize.js';
export { jaro, jaroWinkler } from './similarity.js';
export { countryCode } from './countries.js';
export {
  buildIndex,
  checkQueryName,
  scoreNames,
  DEFAULT_THRESHOLD,
  MAX_QUERY_LENGTH,
  type ListSnapshotEntries,
  type Match,
  type MatchFeatures,
  type ScreenQuery,
  type ScreeningIndex,
  type SearchOptions,
} from './matcher.js';
export { ownershipHits, CONTROL_PPM, type OwnerLink, type OwnershipDeps, type OwnershipHit } from './ownership.js';
