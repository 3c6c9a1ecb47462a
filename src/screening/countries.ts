/** Country names as lists write them ("Korea, North", "Iran, Islamic Republic of") to ISO 3166-1 alpha-2. */
import { foldLatin } from './normalize.js';

const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

const EXTRA: Readonly<Record<string, string>> = {
  'korea north': 'KP',
  'north korea': 'KP',
  'democratic peoples republic of korea': 'KP',
  dprk: 'KP',
  'korea south': 'KR',
  'republic of korea': 'KR',
  'iran islamic republic of': 'IR',
  'islamic republic of iran': 'IR',
  'syrian arab republic': 'SY',
  'russian federation': 'RU',
  burma: 'MM',
  'democratic republic of the congo': 'CD',
  'congo democratic republic of the': 'CD',
  'republic of the congo': 'CG',
  'lao peoples democratic republic': 'LA',
  'viet nam': 'VN',
  'united states of america': 'US',
  usa: 'US',
  uk: 'GB',
  'united kingdom of great britain and northern ireland': 'GB',
  'china peoples republic of': 'CN',
  'peoples republic of china': 'CN',
  prc: 'CN',
  'hong kong sar': 'HK',
  'hong kong china': 'HK',
  macau: 'MO',
  'west bank': 'PS',
  'gaza strip': 'PS',
  'palestinian territories': 'PS',
  'cote divoire': 'CI',
  'ivory coast': 'CI',
  turkiye: 'TR',
  'czech republic': 'CZ',
  'bolivia plurinational state of': 'BO',
  'venezuela bolivarian republic of': 'VE',
  'tanzania united republic of': 'TZ',
  'moldova republic of': 'MD',
  'the gambia': 'GM',
  'the bahamas': 'BS',
  'bosnia herzegovina': 'BA',
  kosovo: 'XK',
};

let table: Map<string, string> | undefined;

function build(): Map<string, string> {
  const m = new Map<string, string>();
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const n = names.of(code);
      if (n !== undefined && n !== code) m.set(foldLatin(n), code);
    }
  }
  for (const [k, v] of Object.entries(EXTRA)) m.set(k, v);
  return m;
}

/** The alpha-2 code for a country name or code, or undefined. */
export function countryCode(nameOrCode: string): string | undefined {
  const s = nameOrCode.trim();
  if (/^[A-Za-z]{2}$/.test(s)) return s.toUpperCase();
  table ??= build();
  return table.get(foldLatin(s));
}
