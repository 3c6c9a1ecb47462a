import { createHash } from 'node:crypto';
import { canonicalGs1Uri } from './identifiers.js';
import { CBV_VOCABULARY, type CbvVocabulary } from './vocabulary.js';

/**
 * The EPCIS event hash ID of CBV 2.0 §8.9: `ni:///sha-256;<hex>?ver=CBV2.0`, the SHA-256 of a
 * canonical "pre-hash" string of the event. Two renderings of one event (EPC URN or Digital Link,
 * bare CBV term or IRI, any time zone, any key order, JSON or XML) give the same ID, so it identifies
 * the event across systems and makes re-capture detectable.
 *
 * The pre-hash string is: `eventType=<type>`, then the standard fields in the order of §8.9.2, each as
 * `name=value` (lists as the list name followed by their elements, sorted), then every user extension,
 * sorted. Values are canonicalised: times to UTC with millisecond precision, numbers without
 * superfluous zeros, GS1 identifiers to canonical Digital Link URIs, CBV terms to their IRIs, CURIEs
 * and extension names expanded with the document's JSON-LD `@context` to `{namespace}local`.
 * recordTime, eventID, errorDeclaration and comments are not part of the hash.
 *
 * Checked against the reference implementation's vectors (RalphTro/epcis-event-hash-generator,
 * test/fixtures/epcis/event-hash-vectors).
 */

interface Node {
  readonly name: string;
  readonly value: string;
  readonly children: Node[];
  /** A pre-hash string computed in advance (list entries whose member order is fixed). */
  readonly fixed?: string;
}

type Order = readonly (readonly [string, Order | null])[];

const QUANTITY: Order = [
  [
    'quantityElement',
    [
      ['epcClass', null],
      ['quantity', null],
      ['uom', null],
    ],
  ],
];
const EPCS: Order = [['epc', null]];
/**
 * The canonical property order of CBV 2.0 §8.9.2 (its table "Canonical property order"): epcList (4)
 * comes before parentID (5). The reference implementation's PROP_ORDER puts parentID first, which
 * changes the hash of every event that has both (a TransactionEvent or AggregationEvent with a parent
 * and EPCs); we follow the standard's table.
 */
const ORDER: Order = [
  ['eventTime', null],
  ['eventTimeZoneOffset', null],
  ['certificationInfo', null],
  ['epcList', EPCS],
  ['parentID', null],
  ['inputEPCList', EPCS],
  ['childEPCs', EPCS],
  ['quantityList', QUANTITY],
  ['childQuantityList', QUANTITY],
  ['inputQuantityList', QUANTITY],
  ['outputEPCList', EPCS],
  ['outputQuantityList', QUANTITY],
  ['action', null],
  ['transformationID', null],
  ['bizStep', null],
  ['disposition', null],
  [
    'persistentDisposition',
    [
      ['set', null],
      ['unset', null],
    ],
  ],
  ['readPoint', [['id', null]]],
  ['bizLocation', [['id', null]]],
  [
    'sensorElementList',
    [
      [
        'sensorElement',
        [
          [
            'sensorMetadata',
            [
              ['time', null],
              ['startTime', null],
              ['endTime', null],
              ['deviceID', null],
              ['deviceMetadata', null],
              ['rawData', null],
              ['dataProcessingMethod', null],
              ['bizRules', null],
            ],
          ],
          [
            'sensorReport',
            [
              ['type', null],
              ['exception', null],
              ['deviceID', null],
              ['deviceMetadata', null],
              ['rawData', null],
              ['dataProcessingMethod', null],
              ['time', null],
              ['microorganism', null],
              ['chemicalSubstance', null],
              ['value', null],
              ['component', null],
              ['stringValue', null],
              ['booleanValue', null],
              ['hexBinaryValue', null],
              ['uriValue', null],
              ['minValue', null],
              ['maxValue', null],
              ['meanValue', null],
              ['sDev', null],
              ['percRank', null],
              ['percValue', null],
              ['uom', null],
              ['coordinateReferenceSystem', null],
            ],
          ],
        ],
      ],
    ],
  ],
];

/** Top-level fields that are not part of the hash. */
const IGNORED = new Set([
  'type',
  'recordTime',
  'eventID',
  'errorDeclaration',
  'rdfs:comment',
  'comment',
  '@context',
  '@type',
  '@id',
]);

/** Fields whose bare values are CBV (or GS1 web vocabulary) terms, by path within the event. */
const VOCAB_FIELDS: Readonly<Record<string, CbvVocabulary>> = {
  bizStep: 'bizStep',
  disposition: 'disposition',
  'persistentDisposition.set': 'disposition',
  'persistentDisposition.unset': 'disposition',
  'bizTransactionList.type': 'bizTransactionType',
  'sourceList.type': 'sourceDestType',
  'destinationList.type': 'sourceDestType',
  'sensorElementList.sensorReport.type': 'measurementType',
  'sensorElementList.sensorReport.exception': 'sensorAlertType',
  'sensorElementList.sensorReport.component': 'component',
};

const ID_LISTS = new Set(['epcList', 'inputEPCList', 'childEPCs', 'outputEPCList']);
const QUANTITY_LISTS = new Set(['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']);
const ENTRY_LISTS = new Set(['bizTransactionList', 'sourceList', 'destinationList']);

const DEFAULT_NAMESPACES: Readonly<Record<string, string>> = {
  gs1: 'https://gs1.org/voc/',
  cbv: 'https://ref.gs1.org/cbv/',
  epcis: 'https://ref.gs1.org/epcis/',
  cbvmda: 'urn:epcglobal:cbv:mda:',
};

/** The namespace prefixes a JSON-LD `@context` (string, object or array of them) declares. */
export function contextNamespaces(context: unknown): Map<string, string> {
  const ns = new Map(Object.entries(DEFAULT_NAMESPACES));
  const add = (c: unknown) => {
    if (typeof c === 'object' && c !== null && !Array.isArray(c)) {
      for (const [k, v] of Object.entries(c)) if (typeof v === 'string' && !k.startsWith('@')) ns.set(k, v);
    }
  };
  if (Array.isArray(context)) context.forEach(add);
  else add(context);
  return ns;
}

class PreHasher {
  constructor(private readonly ns: ReadonlyMap<string, string>) {}

  private key(k: string): string {
    const i = k.indexOf(':');
    if (i <= 0) return k;
    const uri = this.ns.get(k.slice(0, i));
    return uri === undefined ? k : `{${uri}}${k.slice(i + 1)}`;
  }

  private scalar(v: unknown, vocabPath: string): string {
    // A JSON boolean is written as its XML Schema lexical form, `true`/`false`, so the JSON and XML
    // renderings of one event hash alike (CBV 2.0 §8.9: the hash ID is syntax-agnostic). The reference
    // implementation prints Python's `True` for JSON input only — its bug; we follow the standard.
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return pyStr(v);
    if (typeof v !== 'string') return '';
    const vocab = VOCAB_FIELDS[vocabPath];
    if (vocab !== undefined) {
      const terms: Readonly<Record<string, string>> = CBV_VOCABULARY[vocab];
      const iri = terms[v];
      if (iri !== undefined) return iri;
    }
    // CBV 2.0 §8.9.2 (value canonicalisation, rule 1): "any Compact URI Expression (CURIE) SHALL be
    // expanded to its full URI equivalent" — by every prefix the document's @context declares
    // (`example:`, `ex:`, …), not only GS1's. (The reference implementation leaves some unexpanded,
    // e.g. `cbv:Comp-latitude` in a sensor report's component: a bug there; we follow the text.)
    const i = v.indexOf(':');
    if (i > 0) {
      const uri = this.ns.get(v.slice(0, i));
      if (uri !== undefined && !v.startsWith('//', i + 1)) return uri + v.slice(i + 1);
    }
    return v;
  }

  /** The nodes a JSON member becomes (an array gives one node per element, as XML repeats elements). */
  nodes(name: string, value: unknown, path: string): Node[] {
    const key = this.key(name);
    if (Array.isArray(value)) {
      if (ID_LISTS.has(path))
        return [
          { name, value: '', children: value.map((e) => ({ name: 'epc', value: this.scalar(e, ''), children: [] })) },
        ];
      if (QUANTITY_LISTS.has(path))
        return [
          {
            name,
            value: '',
            children: value.map((e) => ({
              name: 'quantityElement',
              value: '',
              children: this.members(e, `${path}.quantityElement`),
            })),
          },
        ];
      if (ENTRY_LISTS.has(path))
        return [
          {
            name,
            value: '',
            children: value.map((e) => ({ name: '', value: '', children: [], fixed: this.entry(e, path) })),
          },
        ];
      if (path === 'sensorElementList')
        return [
          {
            name,
            value: '',
            children: value.map((e) => ({ name: 'sensorElement', value: '', children: this.members(e, path) })),
          },
        ];
      return value.flatMap((e) => this.nodes(name, e, path));
    }
    if (typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>;
      const text = typeof o['#text'] === 'string' ? o['#text'] : '';
      return [{ name: key, value: text, children: this.members(o, path) }];
    }
    return [{ name: key, value: this.scalar(value, path), children: [] }];
  }

  /**
   * A bizTransaction / source / destination entry: `type=…` then the value, in that order (the XML
   * attribute comes first); the entries of a list are sorted as wholes.
   */
  entry(e: unknown, path: string): string {
    if (typeof e !== 'object' || e === null) return '';
    const o = e as Record<string, unknown>;
    const valueKey =
      path === 'bizTransactionList' ? 'bizTransaction' : path === 'sourceList' ? 'source' : 'destination';
    const type = o.type === undefined ? '' : canonize(this.scalar(o.type, `${path}.type`));
    const value = canonize(this.scalar(o[valueKey], ''));
    return (type === '' ? '' : `type=${type}`) + (value === '' ? '' : `${valueKey}=${value}`);
  }

  members(o: unknown, path: string): Node[] {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return [];
    const out: Node[] = [];
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      if (k === '#text' || k === 'rdfs:comment' || k === 'comment') continue;
      out.push(...this.nodes(k, v, path === '' ? k : `${path}.${k}`));
    }
    return out;
  }
}

function canonicalValue(text: string, name: string): string {
  const t = text.trim();
  if (t === '') return '';
  const lower = name.toLowerCase();
  if (lower.includes('time') && !lower.includes('offset')) {
    const fixed = utcMillis(t);
    if (fixed !== undefined) return fixed;
  }
  return canonize(t);
}

function canonize(text: string): string {
  const vocab = text
    .replace('urn:epcglobal:cbv:bizstep:', 'https://ns.gs1.org/voc/Bizstep-')
    .replace('urn:epcglobal:cbv:disp:', 'https://ns.gs1.org/voc/Disp-')
    .replace('urn:epcglobal:cbv:btt:', 'https://ns.gs1.org/voc/BTT-')
    .replace('urn:epcglobal:cbv:sdt:', 'https://ns.gs1.org/voc/SDT-')
    .replace('urn:epcglobal:cbv:er:', 'https://ns.gs1.org/voc/ER-');
  const numeric = pyNumeric(vocab);
  return canonicalGs1Uri(numeric) ?? numeric;
}

/** Sorted, joined pre-hash strings of the children named in `order`; consumed children are removed. */
function ordered(children: Node[], order: Order): string {
  let out = '';
  for (const [name, sub] of order) {
    const matching = children.filter((c) => c.name === name);
    const values = matching.map((c) => childString(c, sub)).filter((s) => s !== '');
    for (const c of matching) children.splice(children.indexOf(c), 1);
    values.sort(compareCodePoints);
    out += values.join('');
  }
  return out;
}

function childString(c: Node, sub: Order | null): string {
  const grand = sub ? ordered(c.children, sub) + generic(c.children) : generic(c.children);
  const text = c.value === '' ? '' : canonicalValue(c.value, c.name);
  const own = text === '' ? '' : `=${text}`;
  return own !== '' || grand !== '' ? c.name + own + grand : '';
}

/** User extensions and anything else not in the standard order: name=value, recursively, sorted. */
function generic(children: readonly Node[]): string {
  const values = children.map((c) => {
    if (c.fixed !== undefined) return c.fixed;
    const t = c.value.trim();
    return c.name + (t === '' ? '' : `=${canonize(t)}`) + generic(c.children);
  });
  values.sort(compareCodePoints);
  return values.join('');
}

function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A timestamp in UTC at millisecond precision, as `YYYY-MM-DDTHH:MM:SS.mmmZ`. */
function utcMillis(s: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})$/i.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac = '', zone = 'Z'] = m as unknown as string[];
  // Rounded to the nearest millisecond, halves up (the reference vectors' TimeStampRoundOff).
  const ms = Number((frac + '000').slice(0, 3)) + ((frac[3] ?? '0') >= '5' ? 1 : 0);
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms);
  if (Number.isNaN(t)) return undefined;
  if (zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '');
    const sign = z.startsWith('-') ? -1 : 1;
    t -= sign * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60_000;
  }
  return new Date(t).toISOString();
}

const PY_FLOAT = /^\s*[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?\s*$/;

/** Python's str(float(x)) with whole numbers printed as integers, as the reference implementation does; other text unchanged. */
function pyNumeric(text: string): string {
  if (!PY_FLOAT.test(text)) return text;
  return pyStr(Number(text.replace(/_/g, '').trim()));
}

function pyStr(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return BigInt(x).toString();
  const abs = Math.abs(x);
  if (abs < 1e-4) {
    const [mant = '', exp = ''] = x.toExponential().split('e');
    const e = Number(exp);
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(x);
}

/** What an event's hash depends on besides the event: its document's namespaces and the extension fields the document says to ignore. */
export interface HashContext {
  readonly namespaces: ReadonlyMap<string, string>;
  /** Extension fields (as written, e.g. `example:captureID`) left out of the hash. */
  readonly ignore: ReadonlySet<string>;
}

/**
 * The hash context of a document: the namespaces of its `@context` and the fields named by a
 * document-level `…:ignoreFields` list (a repository's own annotations, such as a capture id, that
 * must not change the event's identity; as in the reference vectors).
 */
export function hashContext(doc: unknown): HashContext {
  const o = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {};
  const ignore = new Set<string>();
  const scan = (x: unknown, depth: number) => {
    if (typeof x !== 'object' || x === null || Array.isArray(x) || depth > 3) return;
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
      if (k.endsWith(':ignoreFields') && Array.isArray(v)) {
        for (const f of v) if (typeof f === 'string') ignore.add(f);
      } else if (k === 'epcisBody' || k === 'queryResults') {
        scan(v, depth + 1);
      }
    }
  };
  scan(o, 0);
  return { namespaces: contextNamespaces(o['@context']), ignore };
}

const NO_CONTEXT: HashContext = { namespaces: contextNamespaces(undefined), ignore: new Set() };

/** The pre-hash string of one event (a JSON object) in its document's hash context. */
export function preHashString(event: Readonly<Record<string, unknown>>, context: HashContext = NO_CONTEXT): string {
  const h = new PreHasher(context.namespaces);
  const children: Node[] = [];
  for (const [k, v] of Object.entries(event))
    if (!IGNORED.has(k) && !context.ignore.has(k)) children.push(...h.nodes(k, v, k));
  const type = typeof event.type === 'string' ? event.type : '';
  return `eventType=${type}${ordered(children, ORDER)}${generic(children)}`;
}

/** The CBV 2.0 event hash ID of one event. */
export function eventHashId(event: Readonly<Record<string, unknown>>, context?: HashContext): string {
  return `ni:///sha-256;${createHash('sha256').update(preHashString(event, context), 'utf8').digest('hex')}?ver=CBV2.0`;
}
