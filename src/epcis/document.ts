import { ValidationError } from '../domain/index.js';
import { hashContext, eventHashId, type HashContext } from './hash.js';
import { canonicalGs1Uri } from './identifiers.js';
import { CBV_VOCABULARY } from './vocabulary.js';

/** The largest EPCIS document Lodestone accepts (bytes); larger ones are refused before parsing (HTTP: 413). */
export const EPCIS_MAX_DOCUMENT_BYTES = 50 * 1024 * 1024;

export const EVENT_TYPES = [
  'ObjectEvent',
  'AggregationEvent',
  'TransactionEvent',
  'TransformationEvent',
  'AssociationEvent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An EPCIS event as JSON (validated against the schema before it gets here). */
export type EpcisEvent = Readonly<Record<string, unknown>> & { readonly type: EventType };

export const QUANTITY_LISTS = ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList'] as const;
export type QuantityListName = (typeof QUANTITY_LISTS)[number];
export const ID_LISTS = ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'] as const;

export interface QuantityElement {
  readonly list: QuantityListName;
  readonly index: number;
  /** As written. */
  readonly epcClass: string;
  readonly quantity?: number | string;
  readonly uom?: string;
}

/** The facts of an event Lodestone reads: identity, when, why, where, what, and with whom. */
export interface EventFacts {
  readonly type: EventType;
  readonly hashId: string;
  readonly eventId?: string;
  /** UTC, ISO 8601. */
  readonly eventTime: string;
  readonly action?: string;
  /** The CBV term (e.g. "shipping") for a CBV step, else the IRI as written. */
  readonly bizStep?: string;
  readonly disposition?: string;
  readonly readPoint?: string;
  readonly bizLocation?: string;
  /** Every identifier the event is about (lists, parent, quantity classes), canonical where GS1. */
  readonly epcs: readonly string[];
  readonly quantities: readonly QuantityElement[];
  readonly sources: readonly { readonly type?: string; readonly id: string }[];
  readonly destinations: readonly { readonly type?: string; readonly id: string }[];
  readonly bizTransactions: readonly { readonly type?: string; readonly id: string }[];
  readonly errorDeclaration?: {
    readonly declarationTime: string;
    readonly reason?: string;
    readonly correctiveEventIDs: readonly string[];
  };
  /** ILMD and top-level extension fields, with prefixes expanded to `{namespace}local`. */
  readonly extensions: Readonly<Record<string, unknown>>;
  readonly ilmd: Readonly<Record<string, unknown>>;
}

const BIZSTEP_IRI = 'https://ref.gs1.org/cbv/BizStep-';
const BIZSTEP_URN = 'urn:epcglobal:cbv:bizstep:';

/** A bizStep as its CBV term when it is one (bare term, CBV IRI or CBV 1.x URN); other IRIs unchanged. */
export function bizStepTerm(v: string): string {
  const terms: Readonly<Record<string, string>> = CBV_VOCABULARY.bizStep;
  if (Object.hasOwn(terms, v)) return v;
  for (const prefix of [BIZSTEP_IRI, BIZSTEP_URN])
    if (v.startsWith(prefix) && Object.hasOwn(terms, v.slice(prefix.length))) return v.slice(prefix.length);
  return v;
}

/** A bizStep as its full IRI (what exports write). */
export function bizStepIri(v: string): string {
  const t = bizStepTerm(v);
  const terms: Readonly<Record<string, string>> = CBV_VOCABULARY.bizStep;
  return terms[t] ?? v;
}

/** Where an event's document keeps its events, and the document's hash context. */
export function documentEvents(doc: unknown): {
  readonly events: readonly EpcisEvent[];
  readonly context: HashContext;
} {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new ValidationError('document', 'must be a JSON object');
  const o = doc as Record<string, unknown>;
  const context = hashContext(o);
  if ((EVENT_TYPES as readonly unknown[]).includes(o.type)) return { events: [o as EpcisEvent], context };
  const body = (o.epcisBody ?? {}) as Record<string, unknown>;
  const list =
    body.eventList ??
    (body.queryResults as { resultsBody?: { eventList?: unknown } } | undefined)?.resultsBody?.eventList ??
    (body.event === undefined ? [] : [body.event]);
  if (!Array.isArray(list)) throw new ValidationError('document.epcisBody.eventList', 'must be an array');
  return { events: list as EpcisEvent[], context };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const canon = (v: string) => canonicalGs1Uri(v) ?? v;

function typed(list: unknown, key: string): { type?: string; id: string }[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((e) => {
    if (typeof e !== 'object' || e === null) return [];
    const r = e as Record<string, unknown>;
    const id = str(r[key]);
    if (id === undefined) return [];
    const type = str(r.type);
    return [{ ...(type === undefined ? {} : { type }), id: canon(id) }];
  });
}

function expandKeys(o: unknown, ns: ReadonlyMap<string, string>): Record<string, unknown> {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    const i = k.indexOf(':');
    const uri = i > 0 ? ns.get(k.slice(0, i)) : undefined;
    out[uri === undefined ? k : `{${uri}}${k.slice(i + 1)}`] = v;
  }
  return out;
}

const STANDARD = new Set([
  'type',
  'eventTime',
  'eventTimeZoneOffset',
  'recordTime',
  'eventID',
  'certificationInfo',
  'errorDeclaration',
  'epcList',
  'parentID',
  'childEPCs',
  'inputEPCList',
  'outputEPCList',
  'quantityList',
  'childQuantityList',
  'inputQuantityList',
  'outputQuantityList',
  'action',
  'transformationID',
  'bizStep',
  'disposition',
  'persistentDisposition',
  'readPoint',
  'bizLocation',
  'bizTransactionList',
  'sourceList',
  'destinationList',
  'sensorElementList',
  'ilmd',
  '@context',
]);

/** Reads the facts of one (schema-valid) event. */
export function eventFacts(e: EpcisEvent, context: HashContext): EventFacts {
  const epcs: string[] = [];
  for (const l of ID_LISTS)
    if (Array.isArray(e[l])) for (const x of e[l] as unknown[]) if (typeof x === 'string') epcs.push(canon(x));
  const parent = str(e.parentID);
  if (parent !== undefined) epcs.push(canon(parent));
  const quantities: QuantityElement[] = [];
  for (const l of QUANTITY_LISTS) {
    if (!Array.isArray(e[l])) continue;
    (e[l] as unknown[]).forEach((q, index) => {
      if (typeof q !== 'object' || q === null) return;
      const r = q as Record<string, unknown>;
      const epcClass = str(r.epcClass);
      if (epcClass === undefined) return;
      const quantity = typeof r.quantity === 'number' || typeof r.quantity === 'string' ? r.quantity : undefined;
      const uom = str(r.uom);
      quantities.push({
        list: l,
        index,
        epcClass,
        ...(quantity === undefined ? {} : { quantity }),
        ...(uom === undefined ? {} : { uom }),
      });
      epcs.push(canon(epcClass));
    });
  }
  const ed = e.errorDeclaration as Record<string, unknown> | undefined;
  const bizStep = str(e.bizStep);
  const readPoint = str((e.readPoint as { id?: unknown } | undefined)?.id);
  const bizLocation = str((e.bizLocation as { id?: unknown } | undefined)?.id);
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(
    expandKeys(Object.fromEntries(Object.entries(e).filter(([k]) => !STANDARD.has(k))), context.namespaces),
  ))
    extensions[k] = v;
  const eventId = str(e.eventID);
  const action = str(e.action);
  const disposition = str(e.disposition);
  return {
    type: e.type,
    hashId: eventHashId(e, context),
    ...(eventId === undefined ? {} : { eventId }),
    eventTime: new Date(String(e.eventTime)).toISOString(),
    ...(action === undefined ? {} : { action }),
    ...(bizStep === undefined ? {} : { bizStep: bizStepTerm(bizStep) }),
    ...(disposition === undefined ? {} : { disposition }),
    ...(readPoint === undefined ? {} : { readPoint: canon(readPoint) }),
    ...(bizLocation === undefined ? {} : { bizLocation: canon(bizLocation) }),
    epcs: [...new Set(epcs)],
    quantities,
    sources: typed(e.sourceList, 'source'),
    destinations: typed(e.destinationList, 'destination'),
    bizTransactions: typed(e.bizTransactionList, 'bizTransaction'),
    ...(ed === undefined
      ? {}
      : {
          errorDeclaration: {
            declarationTime: new Date(String(ed.declarationTime)).toISOString(),
            ...(str(ed.reason) === undefined ? {} : { reason: String(ed.reason) }),
            correctiveEventIDs: Array.isArray(ed.correctiveEventIDs)
              ? (ed.correctiveEventIDs as unknown[]).filter((x): x is string => typeof x === 'string')
              : [],
          },
        }),
    extensions,
    ilmd: expandKeys(e.ilmd, context.namespaces),
  };
}
