/**
 * List parsers: text in, entries and per-line problems out. A malformed row is reported with its
 * line number and skipped; a file that is not of the format at all (empty, binary, another format)
 * is a ValidationError naming the field, and nothing is returned.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError } from '../domain/index.js';
import { countryCode } from './countries.js';
import type { EntityType, EntryIdentifier, ListEntry, ListFormat, ParsedList, ParseIssue } from './model.js';

export interface SdnFiles {
  /** sdn.csv (or cons_prim.csv). */
  readonly sdn: string;
  /** alt.csv: alternate names. */
  readonly alt?: string;
  /** add.csv: addresses (for countries). */
  readonly add?: string;
}

/** Refuses text that cannot be a list: empty, or binary (NUL bytes, many replacement characters). */
export function checkText(text: string, field: string): void {
  if (text.split(EOF).join('').trim() === '') throw new ValidationError(field, 'is empty');
  const sample = text.slice(0, 65_536);
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    if (c === 0) throw new ValidationError(field, 'is a binary file, not a list');
    if (c === 0xfffd || (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 26)) bad++;
  }
  if (bad > sample.length / 100) throw new ValidationError(field, 'is a binary file or not UTF-8 text');
}

function freezeEntry(e: ListEntry): ListEntry {
  const aliases = [...new Set(e.aliases.map((a) => a.trim()).filter((a) => a !== '' && a !== e.name))];
  return Object.freeze({
    ...e,
    aliases: Object.freeze(aliases),
    countries: Object.freeze([...new Set(e.countries)].sort()),
    identifiers: Object.freeze(e.identifiers.map((i) => Object.freeze({ ...i }))),
  });
}

/** A table lookup that never reaches Object.prototype ("constructor", "toString" …). */
function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const NONE = '-0-';
/** Called while a list is parsed: rows (or entities) done of the total. */
export type ParseProgress = (done: number, total: number) => void;

/** A tick per row, reported every 1,000 rows and at the last. */
function counter(total: number, onProgress: ParseProgress | undefined): () => void {
  if (onProgress === undefined) return () => undefined;
  let done = 0;
  return () => {
    done++;
    if (done % 1000 === 0 || done === total) onProgress(done, total);
  };
}

/** OFAC ends its CSVs with a Ctrl-Z (0x1A) line. */
const EOF = String.fromCharCode(0x1a);
function field(v: string | undefined): string {
  const s = (v ?? '').trim();
  return s === NONE ? '' : s;
}

interface CsvRow {
  readonly record: string[];
  readonly line: number;
}

/** CSV rows with the line each starts on; a row csv-parse cannot read is an issue, not a failure. */
function csvRows(text: string, issues: ParseIssue[]): CsvRow[] {
  const clean = text
    .replace(/^\uFEFF/, '')
    .split(EOF)
    .join('');
  const out = parseCsv(clean, {
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
    on_skip: (err: { lines?: number; message: string } | undefined) => {
      if (err) issues.push({ line: err.lines ?? 0, reason: err.message });
    },
  }) as unknown as { record: string[]; info: { lines: number } }[];
  return out.map((r) => ({ record: r.record, line: r.info.lines }));
}

const SDN_TYPE: Readonly<Record<string, EntityType>> = { individual: 'person', vessel: 'vessel', aircraft: 'aircraft' };

/** Aliases written in an SDN remark: a.k.a. 'X'; f.k.a. "Y"; n.k.a. 'Z'. */
function remarkAliases(remarks: string): string[] {
  const out: string[] = [];
  for (const m of remarks.matchAll(/\b[afn]\.k\.a\.,?\s*['"]([^'"]+)['"]/gi)) if (m[1] !== undefined) out.push(m[1]);
  return out;
}

/** Identifiers in an SDN remark (Passport, National ID No., Registration ID, Tax ID No., IMO …). */
function remarkIdentifiers(remarks: string): EntryIdentifier[] {
  const out: EntryIdentifier[] = [];
  const re =
    /(Passport|National ID No\.|Registration (?:ID|Number)|Tax ID No\.|Unified Social Credit Code \(USCC\)|Vessel Registration Identification IMO|Identification Number)\s+([A-Z0-9][A-Z0-9-]{3,})/g;
  for (const m of remarks.matchAll(re))
    if (m[1] !== undefined && m[2] !== undefined)
      out.push({
        scheme: m[1]
          .replace(/[^A-Za-z]+/g, '-')
          .replace(/-$/, '')
          .toUpperCase(),
        value: m[2],
      });
  return out;
}

function remarkCountries(remarks: string): string[] {
  const out: string[] = [];
  for (const m of remarks.matchAll(
    /(?:nationality|citizen|Nationality of Registration)\s+([A-Z][A-Za-z ,]+?)(?:;|\.|$)/g,
  )) {
    const c = m[1] === undefined ? undefined : countryCode(m[1]);
    if (c !== undefined) out.push(c);
  }
  return out;
}

export function parseSdnCsv(files: SdnFiles, onProgress?: ParseProgress): ParsedList {
  checkText(files.sdn, 'sdn.csv');
  const errors: ParseIssue[] = [];
  const rows = csvRows(files.sdn, errors);
  const first = rows[0]?.record;
  if (first === undefined || first.length < 4 || !/^\d+$/.test(field(first[0]))) {
    throw new ValidationError(
      'sdn.csv',
      'is not an OFAC SDN CSV (expected rows of ent_num,SDN_Name,SDN_Type,Program,…)',
    );
  }
  const byId = new Map<
    string,
    {
      name: string;
      aliases: string[];
      type: EntityType;
      countries: string[];
      identifiers: EntryIdentifier[];
      program: string;
    }
  >();
  const tick = counter(rows.length, onProgress);
  for (const { record, line } of rows) {
    tick();
    if (record.length === 1 && field(record[0]) === '') continue;
    const id = field(record[0]);
    const name = field(record[1]);
    if (record.length < 4 || record.length > 12) {
      errors.push({ line, reason: `expected 12 columns, found ${record.length}` });
      continue;
    }
    if (!/^\d+$/.test(id)) {
      errors.push({ line, reason: `ent_num must be a number, got ${JSON.stringify(id)}` });
      continue;
    }
    if (name === '') {
      errors.push({ line, reason: `entry ${id} has no name` });
      continue;
    }
    if (byId.has(id)) {
      errors.push({ line, reason: `duplicate ent_num ${id}` });
      continue;
    }
    const remarks = field(record[11]);
    const type = own(SDN_TYPE, field(record[2]).toLowerCase()) ?? 'entity';
    const vesselFlag = countryCode(field(record[9]));
    byId.set(id, {
      name,
      aliases: remarkAliases(remarks),
      type,
      countries: [...remarkCountries(remarks), ...(vesselFlag ? [vesselFlag] : [])],
      identifiers: remarkIdentifiers(remarks),
      program: field(record[3]),
    });
  }
  if (files.alt !== undefined) {
    checkText(files.alt, 'alt.csv');
    for (const { record, line } of csvRows(files.alt, errors)) {
      const id = field(record[0]);
      const alt = field(record[3]);
      const e = byId.get(id);
      if (record.length < 4 || alt === '')
        errors.push({ line, reason: `alt.csv: expected ent_num,alt_num,alt_type,alt_name,…` });
      else if (e === undefined) errors.push({ line, reason: `alt.csv: no SDN entry ${id}` });
      else e.aliases.push(alt);
    }
  }
  if (files.add !== undefined) {
    checkText(files.add, 'add.csv');
    for (const { record, line } of csvRows(files.add, errors)) {
      const id = field(record[0]);
      const e = byId.get(id);
      if (record.length < 5) errors.push({ line, reason: 'add.csv: expected ent_num,add_num,address,city,country,…' });
      else if (e === undefined) errors.push({ line, reason: `add.csv: no SDN entry ${id}` });
      else {
        const c = countryCode(field(record[4]));
        if (c !== undefined) e.countries.push(c);
      }
    }
  }
  const entries = [...byId].map(([id, { program, ...e }]) =>
    freezeEntry({ id, ...e, ...(program === '' ? {} : { program }) }),
  );
  return Object.freeze({ format: 'sdn-csv', entries: Object.freeze(entries), errors: Object.freeze(errors) });
}

type Xml = Record<string, unknown>;
function arr(v: unknown): unknown[] {
  return v === undefined || v === null || v === '' ? [] : Array.isArray(v) ? v : [v];
}
function text(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return String(v);
  return '';
}

export function parseUnXml(xml: string, onProgress?: ParseProgress): ParsedList {
  checkText(xml, 'file');
  if (!/<CONSOLIDATED_LIST[\s>]/.test(xml.slice(0, 4096)))
    throw new ValidationError('file', 'is not the UN Security Council consolidated list XML (no <CONSOLIDATED_LIST>)');
  // The validator is deprecated in favour of a separate package; it is the same code, kept until we move.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new ValidationError('file', `line ${valid.err.line}: ${valid.err.msg}`);
  const doc = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true }).parse(xml) as Xml;
  const root = (doc.CONSOLIDATED_LIST ?? {}) as Xml;
  const entries: ListEntry[] = [];
  const errors: ParseIssue[] = [];
  const lineOf = (dataId: string): number => {
    const at = xml.indexOf(`<DATAID>${dataId}</DATAID>`);
    if (at < 0) return 0;
    let line = 1;
    for (let i = xml.indexOf('\n'); i >= 0 && i < at; i = xml.indexOf('\n', i + 1)) line++;
    return line;
  };
  const sections: [string, string, EntityType][] = [
    ['INDIVIDUALS', 'INDIVIDUAL', 'person'],
    ['ENTITIES', 'ENTITY', 'entity'],
  ];
  const tick = counter(
    sections.reduce((k, [section, tag]) => k + arr(((root[section] ?? {}) as Xml)[tag]).length, 0),
    onProgress,
  );
  for (const [section, tag, type] of sections) {
    for (const raw of arr(((root[section] ?? {}) as Xml)[tag])) {
      tick();
      const e = raw as Xml;
      const dataId = text(e.DATAID);
      const ref = text(e.REFERENCE_NUMBER);
      const name = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME']
        .map((k) => text(e[k]))
        .filter((s) => s !== '')
        .join(' ');
      if (name === '' || (ref === '' && dataId === '')) {
        const line = dataId === '' ? 0 : lineOf(dataId);
        errors.push({
          line,
          reason: `${tag} ${ref || dataId || '(no id)'} has no ${name === '' ? 'name' : 'reference number'}`,
        });
        continue;
      }
      const aliases = arr(e[`${tag}_ALIAS`]).map((a) => text((a as Xml).ALIAS_NAME));
      const original = text(e.NAME_ORIGINAL_SCRIPT);
      if (original !== '') aliases.push(original);
      const countries: string[] = [];
      for (const v of arr((e.NATIONALITY as Xml | undefined)?.VALUE)) {
        const c = countryCode(text(v));
        if (c) countries.push(c);
      }
      for (const a of arr(e[`${tag}_ADDRESS`])) {
        const c = countryCode(text((a as Xml).COUNTRY));
        if (c) countries.push(c);
      }
      const identifiers: EntryIdentifier[] = [];
      for (const d of arr(e[`${tag}_DOCUMENT`])) {
        const n = text((d as Xml).NUMBER);
        if (n !== '')
          identifiers.push({
            scheme:
              text((d as Xml).TYPE_OF_DOCUMENT)
                .toUpperCase()
                .replace(/[^A-Z0-9]+/g, '-') || 'DOCUMENT',
            value: n,
          });
      }
      const program = text(e.UN_LIST_TYPE);
      entries.push(
        freezeEntry({
          id: ref || dataId,
          name,
          aliases,
          type,
          countries,
          identifiers,
          ...(program ? { program } : {}),
        }),
      );
    }
  }
  if (entries.length === 0 && errors.length === 0)
    throw new ValidationError('file', 'has no INDIVIDUAL or ENTITY entries');
  return Object.freeze({ format: 'un-xml', entries: Object.freeze(entries), errors: Object.freeze(errors) });
}

const FTM_TYPES: Readonly<Record<string, EntityType>> = {
  Person: 'person',
  Company: 'entity',
  Organization: 'entity',
  LegalEntity: 'entity',
  PublicBody: 'entity',
  Vessel: 'vessel',
  Airplane: 'aircraft',
};
const FTM_ID_PROPS = [
  'registrationNumber',
  'innCode',
  'ogrnCode',
  'taxNumber',
  'leiCode',
  'imoNumber',
  'idNumber',
  'passportNumber',
  'swiftBic',
];

export function parseFtmJson(text: string, onProgress?: ParseProgress): ParsedList {
  checkText(text, 'file');
  const entries: ListEntry[] = [];
  const errors: ParseIssue[] = [];
  let sawEntity = false;
  const lines = text.split(/\r?\n/);
  const tick = counter(lines.length, onProgress);
  for (const [i, l] of lines.entries()) {
    tick();
    const line = i + 1;
    if (l.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      errors.push({ line, reason: `not JSON (${(e as Error).message})` });
      continue;
    }
    if (
      typeof v !== 'object' ||
      v === null ||
      typeof (v as Xml).id !== 'string' ||
      typeof (v as Xml).schema !== 'string'
    ) {
      errors.push({ line, reason: 'not a FollowTheMoney entity (needs "id", "schema" and "properties")' });
      continue;
    }
    sawEntity = true;
    const o = v as { id: string; schema: string; properties?: Record<string, unknown> };
    const type = own(FTM_TYPES, o.schema);
    if (type === undefined) continue; // sanctions, addresses, ownerships …: not parties
    const p = o.properties ?? {};
    const strings = (k: string): string[] => arr(p[k]).filter((x): x is string => typeof x === 'string');
    const names = strings('name');
    const first = names[0];
    if (first === undefined) {
      errors.push({ line, reason: `entity ${o.id} has no name` });
      continue;
    }
    const countries = [
      ...strings('country'),
      ...strings('nationality'),
      ...strings('jurisdiction'),
      ...strings('citizenship'),
    ]
      .map((c) => c.toUpperCase())
      .filter((c) => /^[A-Z]{2}$/.test(c));
    const identifiers = FTM_ID_PROPS.flatMap((k) => strings(k).map((value) => ({ scheme: k, value })));
    entries.push(
      freezeEntry({
        id: o.id,
        name: first,
        aliases: [...names.slice(1), ...strings('alias'), ...strings('previousName'), ...strings('weakAlias')],
        type,
        countries,
        identifiers,
        ...(strings('program')[0] ? { program: strings('program')[0] } : {}),
      }),
    );
  }
  if (!sawEntity)
    throw new ValidationError(
      'file',
      'is not FollowTheMoney JSON lines (no line holds an entity with "id" and "schema")',
    );
  return Object.freeze({ format: 'ftm-json', entries: Object.freeze(entries), errors: Object.freeze(errors) });
}

const CSV_HEADER = ['name', 'aliases', 'country', 'type', 'list', 'id'];
const CSV_TYPES: Readonly<Record<string, EntityType>> = {
  person: 'person',
  individual: 'person',
  entity: 'entity',
  company: 'entity',
  organization: 'entity',
  vessel: 'vessel',
  aircraft: 'aircraft',
  '': 'unknown',
};

/** The plain CSV: header `name,aliases,country,type,list,id`, aliases and countries separated by `;`. */
export function parsePlainCsv(text: string, onProgress?: ParseProgress): ParsedList {
  checkText(text, 'file');
  const errors: ParseIssue[] = [];
  const rows = csvRows(text, errors);
  const header = rows[0]?.record.map((h) => h.trim().toLowerCase());
  if (header === undefined || header.join(',') !== CSV_HEADER.join(',')) {
    throw new ValidationError(
      'file',
      `is not the plain list CSV: the header must be exactly "${CSV_HEADER.join(',')}"`,
    );
  }
  const entries: ListEntry[] = [];
  const seen = new Set<string>();
  const tick = counter(rows.length - 1, onProgress);
  for (const { record, line } of rows.slice(1)) {
    tick();
    if (record.length !== 6) {
      errors.push({ line, reason: `expected 6 columns, found ${record.length}` });
      continue;
    }
    const [name = '', aliases = '', ctry = '', type = '', list = '', id = ''] = record.map((s) => s.trim());
    if (name === '') {
      errors.push({ line, reason: 'name is empty' });
      continue;
    }
    if (id === '') {
      errors.push({ line, reason: 'id is empty' });
      continue;
    }
    if (seen.has(id)) {
      errors.push({ line, reason: `duplicate id ${JSON.stringify(id)}` });
      continue;
    }
    const t = own(CSV_TYPES, type.toLowerCase());
    if (t === undefined) {
      errors.push({
        line,
        reason: `type must be person, entity, vessel, aircraft or empty, got ${JSON.stringify(type)}`,
      });
      continue;
    }
    const countries: string[] = [];
    let badCountry: string | undefined;
    for (const c of ctry
      .split(';')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      const code = countryCode(c);
      if (code === undefined) badCountry = c;
      else countries.push(code);
    }
    if (badCountry !== undefined) {
      errors.push({ line, reason: `country ${JSON.stringify(badCountry)} is not a country code or name` });
      continue;
    }
    seen.add(id);
    entries.push(
      freezeEntry({
        id,
        name,
        aliases: aliases.split(';'),
        type: t,
        countries,
        identifiers: [],
        ...(list ? { program: list } : {}),
      }),
    );
  }
  return Object.freeze({ format: 'csv', entries: Object.freeze(entries), errors: Object.freeze(errors) });
}

/** Parses a list file of the given format (SDN: pass alt / add for the full set). */
export function parseList(
  format: ListFormat,
  main: string,
  extra: { alt?: string; add?: string; onProgress?: ParseProgress | undefined } = {},
): ParsedList {
  const { onProgress, ...files } = extra;
  switch (format) {
    case 'sdn-csv':
      return parseSdnCsv({ sdn: main, ...files }, onProgress);
    case 'un-xml':
      return parseUnXml(main, onProgress);
    case 'ftm-json':
      return parseFtmJson(main, onProgress);
    case 'csv':
      return parsePlainCsv(main, onProgress);
  }
}
