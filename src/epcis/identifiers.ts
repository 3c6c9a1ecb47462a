/**
 * GS1 identifiers in EPCIS events: EPC URNs (EPC Tag Data Standard: `urn:epc:id:sgtin:…`,
 * `urn:epc:class:lgtin:…`, `urn:epc:idpat:sgtin:…`, `urn:epc:id:sscc:…`, …) and GS1 Digital Link URIs
 * (`https://id.gs1.org/01/…/21/…`, on any host). Everything is normalised to the canonical GS1 Digital
 * Link URI on id.gs1.org, the form the CBV 2.0 event hash (§8.9) uses, so one identifier written two
 * ways compares equal.
 */

/** What Lodestone can track: a serialised item, a lot (batch) of a GTIN, all of a GTIN, or a logistic unit. */
export type EpcIdentifier =
  | { readonly kind: 'sgtin'; readonly gtin: string; readonly serial: string; readonly uri: string }
  | { readonly kind: 'lgtin'; readonly gtin: string; readonly lot: string; readonly uri: string }
  | { readonly kind: 'gtin'; readonly gtin: string; readonly uri: string }
  | { readonly kind: 'sscc'; readonly sscc: string; readonly uri: string };

const DL = 'https://id.gs1.org';

/** GS1 mod-10 check digit of the digits before it (weights 3, 1, 3 … from the right). */
export function gs1CheckDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    sum += i % 2 === 0 ? d * 3 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

const withCheck = (digits: string) => digits + gs1CheckDigit(digits);

/** GS1 Digital Link percent-encoding of characters an EPC URI may carry literally (DL 1.1 Table 7-1). */
function dlEncode(s: string): string {
  return s.replace(/[!()*+,:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const SAFE = String.raw`(?:%[0-9A-Fa-f]{2}|[!'()*+,.0-9:;=A-Za-z_-])`;

/** Splits "CP.REF" where the company prefix and reference together have `total` digits. */
function companyAndRef(cp: string, ref: string, total: number): boolean {
  return /^\d{6,12}$/.test(cp) && /^\d*$/.test(ref) && cp.length + ref.length === total;
}

/**
 * The canonical GS1 Digital Link URI of an EPC URN (id, class or id-pattern), or undefined when the
 * string is not one this module knows. Covers the schemes of the EPC Tag Data Standard that EPCIS
 * events use: sgtin, lgtin, sscc, sgln, pgln, grai, giai, gsrn, gsrnp, gdti, cpi, sgcn, ginc, gsin,
 * itip, upui and the sgtin id pattern.
 */
export function epcUrnToDigitalLink(urn: string): string | undefined {
  const m = /^urn:epc:(id|class|idpat):([a-z]+):(.*)$/.exec(urn);
  if (!m) return undefined;
  const [, kind, scheme, rest] = m as unknown as [string, string, string, string];
  const parts = rest.split('.');
  const serialOk = (s: string, max: number) => new RegExp(`^${SAFE}{1,${max}}$`).test(s);
  const gtinOf = (cp: string, ir: string) => withCheck(ir.slice(0, 1) + cp + ir.slice(1));
  if (kind === 'id') {
    switch (scheme) {
      case 'sgtin': {
        const [cp = '', ir = '', ...s] = parts;
        const serial = s.join('.');
        if (!companyAndRef(cp, ir, 13) || !serialOk(serial, 20)) return undefined;
        return `${DL}/01/${gtinOf(cp, ir)}/21/${dlEncode(serial)}`;
      }
      case 'sscc': {
        const [cp = '', sr = ''] = parts;
        if (parts.length !== 2 || !companyAndRef(cp, sr, 17)) return undefined;
        return `${DL}/00/${withCheck(sr.slice(0, 1) + cp + sr.slice(1))}`;
      }
      case 'sgln': {
        const [cp = '', lr = '', ...e] = parts;
        const ext = e.join('.');
        if (!companyAndRef(cp, lr, 12) || !serialOk(ext, 20)) return undefined;
        const gln = withCheck(cp + lr);
        return ext === '0' ? `${DL}/414/${gln}` : `${DL}/414/${gln}/254/${dlEncode(ext)}`;
      }
      case 'pgln': {
        const [cp = '', pr = ''] = parts;
        if (parts.length !== 2 || !companyAndRef(cp, pr, 12)) return undefined;
        return `${DL}/417/${withCheck(cp + pr)}`;
      }
      case 'grai': {
        const [cp = '', ar = '', ...s] = parts;
        const serial = s.join('.');
        if (!companyAndRef(cp, ar, 12) || !serialOk(serial, 16)) return undefined;
        return `${DL}/8003/${withCheck(`0${cp}${ar}`)}${dlEncode(serial)}`;
      }
      case 'giai': {
        const [cp = '', ...a] = parts;
        const ref = a.join('.');
        if (!/^\d{6,12}$/.test(cp) || !serialOk(ref, 30 - cp.length)) return undefined;
        return `${DL}/8004/${cp}${dlEncode(ref)}`;
      }
      case 'gsrn':
      case 'gsrnp': {
        const [cp = '', sr = ''] = parts;
        if (parts.length !== 2 || !companyAndRef(cp, sr, 17)) return undefined;
        return `${DL}/${scheme === 'gsrn' ? '8018' : '8017'}/${withCheck(cp + sr)}`;
      }
      case 'gdti':
      case 'sgcn': {
        const [cp = '', dt = '', ...s] = parts;
        const serial = s.join('.');
        if (!companyAndRef(cp, dt, 12) || (serial !== '' && !serialOk(serial, scheme === 'gdti' ? 17 : 12)))
          return undefined;
        return `${DL}/${scheme === 'gdti' ? '253' : '255'}/${withCheck(cp + dt)}${dlEncode(serial)}`;
      }
      case 'cpi': {
        const last = rest.lastIndexOf('.');
        const first = rest.indexOf('.');
        const cp = rest.slice(0, first);
        const ref = rest.slice(first + 1, last);
        const serial = rest.slice(last + 1);
        if (!/^\d{6,12}$/.test(cp) || first === last || !/^\d{1,12}$/.test(serial)) return undefined;
        return `${DL}/8010/${dlEncode(decodeURIComponent(`${cp}${ref}`)).replace(/[#/]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}/8011/${serial}`;
      }
      case 'ginc': {
        const [cp = '', ...a] = parts;
        const ref = a.join('.');
        if (!/^\d{6,12}$/.test(cp) || !serialOk(ref, 30 - cp.length)) return undefined;
        return `${DL}/401/${cp}${dlEncode(ref)}`;
      }
      case 'gsin': {
        const [cp = '', sr = ''] = parts;
        if (parts.length !== 2 || !companyAndRef(cp, sr, 16)) return undefined;
        return `${DL}/402/${withCheck(cp + sr)}`;
      }
      case 'itip': {
        const [cp = '', ir = '', piece = '', total = '', ...s] = parts;
        const serial = s.join('.');
        if (!companyAndRef(cp, ir, 13) || !/^\d{2}$/.test(piece) || !/^\d{2}$/.test(total) || !serialOk(serial, 20))
          return undefined;
        return `${DL}/8006/${gtinOf(cp, ir)}${piece}${total}/21/${dlEncode(serial)}`;
      }
      case 'upui': {
        const [cp = '', ir = '', ...s] = parts;
        const serial = s.join('.');
        if (!companyAndRef(cp, ir, 13) || !serialOk(serial, 28)) return undefined;
        return `${DL}/01/${gtinOf(cp, ir)}/235/${dlEncode(serial)}`;
      }
      default:
        return undefined;
    }
  }
  if (kind === 'class' && scheme === 'lgtin') {
    const [cp = '', ir = '', ...l] = parts;
    const lot = l.join('.');
    if (!companyAndRef(cp, ir, 13) || !serialOk(lot, 20)) return undefined;
    return `${DL}/01/${gtinOf(cp, ir)}/10/${dlEncode(lot)}`;
  }
  if (kind === 'idpat' && parts[parts.length - 1] === '*') {
    const [cp = '', ref = ''] = parts;
    switch (scheme) {
      case 'sgtin':
      case 'upui':
        return parts.length === 3 && companyAndRef(cp, ref, 13) ? `${DL}/01/${gtinOf(cp, ref)}` : undefined;
      case 'grai':
        return parts.length === 3 && companyAndRef(cp, ref, 12) ? `${DL}/8003/${withCheck(`0${cp}${ref}`)}` : undefined;
      case 'gdti':
        return parts.length === 3 && companyAndRef(cp, ref, 12) ? `${DL}/253/${withCheck(cp + ref)}` : undefined;
      case 'sgcn':
        return parts.length === 3 && companyAndRef(cp, ref, 12) ? `${DL}/255/${withCheck(cp + ref)}` : undefined;
      case 'cpi':
        return parts.length === 3 && /^\d{6,12}$/.test(cp) ? `${DL}/8010/${cp}${ref}` : undefined;
      case 'itip': {
        const [, , piece = '', total = ''] = parts;
        return parts.length === 5 && companyAndRef(cp, ref, 13) && /^\d{2}$/.test(piece) && /^\d{2}$/.test(total)
          ? `${DL}/8006/${gtinOf(cp, ref)}${piece}${total}`
          : undefined;
      }
      default:
        return undefined;
    }
  }
  return undefined;
}

/** Short names some Digital Link URIs use instead of application identifiers. */
const DL_ALIASES: Readonly<Record<string, string>> = {
  gtin: '01',
  itip: '8006',
  cpid: '8010',
  gln: '414',
  party: '417',
  gsrnp: '8017',
  gsrn: '8018',
  gcn: '255',
  sscc: '00',
  gdti: '253',
  ginc: '401',
  gsin: '402',
  grai: '8003',
  giai: '8004',
  cpv: '22',
  lot: '10',
  ser: '21',
};
const PRIMARY = new Set([
  '01',
  '8006',
  '8010',
  '414',
  '417',
  '8017',
  '8018',
  '255',
  '00',
  '253',
  '401',
  '402',
  '8003',
  '8004',
]);

/**
 * The canonical form of a GS1 Digital Link URI (any host, http or https): on id.gs1.org, short names
 * replaced by application identifiers, GTINs padded to 14 digits, the query string and the consumer
 * product variant (22) dropped, and only the finest level kept (a serial drops the lot). Undefined when
 * the string is not a GS1 Digital Link URI with a primary key.
 */
export function canonicalDigitalLink(uri: string): string | undefined {
  const m = /^https?:\/\/[^/?#]+((?:\/[^/?#]+)+)\/?(?:\?[^#]*)?(?:#.*)?$/.exec(uri);
  if (!m) return undefined;
  const segs = (m[1] ?? '')
    .split('/')
    .slice(1)
    .map((s) => DL_ALIASES[s] ?? s);
  const start = segs.findIndex((s, i) => PRIMARY.has(s) && i + 1 < segs.length && /^\d{4}/.test(segs[i + 1] ?? ''));
  if (start < 0) return undefined;
  const key = segs[start] ?? '';
  let value = segs[start + 1] ?? '';
  const qualifiers: [string, string][] = [];
  for (let i = start + 2; i + 1 < segs.length; i += 2) qualifiers.push([segs[i] ?? '', segs[i + 1] ?? '']);
  if ((start + 2 - segs.length) % 2 !== 0) return undefined;
  if (key === '01') {
    if (!/^(\d{8}|\d{12}|\d{13}|\d{14})$/.test(value)) return undefined;
    value = value.padStart(14, '0');
  }
  const kept = qualifiers.filter(([ai]) => ai !== '22');
  const finest = kept.some(([ai]) => ai === '21') ? kept.filter(([ai]) => ai !== '10') : kept;
  return `${DL}/${key}/${value}${finest.map(([ai, v]) => `/${ai}/${v}`).join('')}`;
}

/** Any GS1 identifier string (EPC URN or Digital Link) in canonical Digital Link form, or undefined. */
export function canonicalGs1Uri(s: string): string | undefined {
  return s.startsWith('urn:epc:') ? epcUrnToDigitalLink(s) : canonicalDigitalLink(s);
}

/**
 * Parses an identifier Lodestone can track — SGTIN (serialised item), LGTIN (lot), a GTIN class
 * (`urn:epc:idpat:sgtin:CP.IR.*` or a Digital Link with only a GTIN) or an SSCC — from an EPC URN or a
 * GS1 Digital Link URI. Other identifiers (locations, assets, documents …) give undefined.
 */
export function parseEpc(s: string): EpcIdentifier | undefined {
  const uri = canonicalGs1Uri(s);
  if (uri === undefined) return undefined;
  const path = uri.slice(DL.length + 1).split('/');
  const [key, value = '', q, qv = ''] = path;
  if (key === '00' && path.length === 2 && /^\d{18}$/.test(value)) return { kind: 'sscc', sscc: value, uri };
  if (key !== '01' || !/^\d{14}$/.test(value)) return undefined;
  if (path.length === 2) return { kind: 'gtin', gtin: value, uri };
  if (path.length !== 4) return undefined;
  const decoded = safeDecode(qv);
  if (q === '21') return { kind: 'sgtin', gtin: value, serial: decoded, uri };
  if (q === '10') return { kind: 'lgtin', gtin: value, lot: decoded, uri };
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Whether an event identifier matches a query pattern, EPCIS 2.0 §8.2.7.1 MATCH_epc style: equal after
 * normalisation, or the pattern is a class (a GTIN, `urn:epc:idpat:sgtin:CP.IR.*`) and the identifier
 * is an instance or lot of that GTIN.
 */
export function epcMatches(identifier: string, pattern: string): boolean {
  const a = canonicalGs1Uri(identifier) ?? identifier;
  const p = canonicalGs1Uri(pattern) ?? pattern;
  if (a === p) return true;
  const pc = parseEpc(pattern);
  const ac = parseEpc(identifier);
  return pc?.kind === 'gtin' && ac !== undefined && 'gtin' in ac && ac.gtin === pc.gtin;
}
