/**
 * GS1 EPCIS 2.0 / CBV 2.0, pure (no I/O): JSON Schema validation against the official schema, the
 * CBV 2.0 §8.9 event hash ID, GS1 identifiers (EPC URNs and Digital Link URIs), quantities in exact
 * grams, and the facts of an event that the capture use case maps onto custody.
 */
export { EpcisSchemaError, validateEpcis, type SchemaError } from './validate.js';
export { eventHashId, preHashString, hashContext, contextNamespaces, type HashContext } from './hash.js';
export {
  canonicalDigitalLink,
  canonicalGs1Uri,
  epcMatches,
  epcUrnToDigitalLink,
  gs1CheckDigit,
  parseEpc,
  type EpcIdentifier,
} from './identifiers.js';
export { isMassUnit, massToGrams, parseDecimal, wholeCount } from './quantity.js';
export {
  bizStepIri,
  bizStepTerm,
  documentEvents,
  EPCIS_MAX_DOCUMENT_BYTES,
  eventFacts,
  EVENT_TYPES,
  ID_LISTS,
  QUANTITY_LISTS,
  type EpcisEvent,
  type EventFacts,
  type EventType,
  type QuantityElement,
  type QuantityListName,
} from './document.js';
export { CBV_VOCABULARY, type CbvVocabulary } from './vocabulary.js';
export { EPCIS_JSON_SCHEMA } from './schema/epcis-json-schema.js';
