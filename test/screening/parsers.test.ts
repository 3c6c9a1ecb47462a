import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/index.js';
import { parseList } from '../../src/screening/index.js';

const fixture = (f: string): string => readFileSync(new URL(`../fixtures/screening/${f}`, import.meta.url), 'utf8');

describe('OFAC SDN CSV', () => {
  it('reads sdn.csv with alt.csv and add.csv: names, aliases, types, countries', () => {
    const r = parseList('sdn-csv', fixture('sdn.csv'), { alt: fixture('alt.csv'), add: fixture('add.csv') });
    expect(r.errors).toEqual([]);
    expect(r.entries).toHaveLength(19);
    const bnc = r.entries.find((e) => e.id === '306');
    expect(bnc).toMatchObject({ name: 'BANCO NACIONAL DE CUBA', type: 'entity', program: 'CUBA' });
    expect(bnc?.aliases).toContain('NATIONAL BANK OF CUBA');
    expect(bnc?.aliases).toContain('BNC');
    expect(bnc?.countries).toEqual(expect.arrayContaining(['CH', 'ES', 'JP', 'PA']));
    const zawahiri = r.entries.find((e) => e.id === '2676');
    expect(zawahiri?.type).toBe('person');
    expect(zawahiri?.aliases.length).toBeGreaterThanOrEqual(3);
  });

  it('reads sdn.csv alone, taking aliases from the a.k.a. remarks', () => {
    const r = parseList('sdn-csv', fixture('sdn-2024-remarks.csv'));
    expect(r.errors).toEqual([]);
    expect(r.entries.length).toBe(18);
    expect(r.entries.every((e) => e.aliases.length > 0 || e.id === '306' || e.id === '7843' || e.id === '6365')).toBe(
      true,
    );
  });

  it('reports a malformed row with its line number and keeps the others', () => {
    const lines = fixture('sdn.csv').split('\r\n');
    lines.splice(
      2,
      0,
      'abc,"NO NUMBER",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      '999999,"UNCLOSED QUOTE,-0- ,"CUBA"',
      '12345',
    );
    const r = parseList('sdn-csv', lines.join('\r\n'));
    expect(r.entries.length).toBe(19);
    expect(r.errors.map((e) => e.line)).toContain(3);
    expect(r.errors.length).toBeGreaterThanOrEqual(2);
    for (const e of r.errors) expect(e.line).toBeGreaterThan(0);
  });

  it('refuses an empty, binary or other-format file', () => {
    expect(() => parseList('sdn-csv', '')).toThrow(ValidationError);
    expect(() => parseList('sdn-csv', '\x1a')).toThrow(/empty/);
    expect(() => parseList('sdn-csv', 'abc\u0000def')).toThrow(/binary/);
    expect(() => parseList('sdn-csv', fixture('plain.csv'))).toThrow(/not an OFAC SDN CSV/);
  });
});

describe('UN consolidated XML', () => {
  it('reads individuals and entities with original-script names and nationalities', () => {
    const r = parseList('un-xml', fixture('un-consolidated.xml'));
    expect(r.errors).toEqual([]);
    expect(r.entries).toHaveLength(12);
    const saddam = r.entries.find((e) => e.id === 'IQi.001');
    expect(saddam?.type).toBe('person');
    expect(saddam?.aliases).toContain('صدام حسين التكريتي');
    expect(saddam?.countries).toContain('IQ');
    expect(r.entries.find((e) => e.id === 'QDi.290')?.aliases).toContain('Умаров Доку Хаматович');
    expect(r.entries.filter((e) => e.type === 'entity')).toHaveLength(5);
  });

  it('names the line of malformed XML and refuses other formats', () => {
    const broken = fixture('un-consolidated.xml').replace('</FIRST_NAME>', '</FIRSTNAME>');
    expect(() => parseList('un-xml', broken)).toThrow(/line \d+/);
    expect(() => parseList('un-xml', fixture('sdn.csv'))).toThrow(/not the UN Security Council/);
  });

  it('reports an entry without a name with its line', () => {
    const xml = fixture('un-consolidated.xml').replace('<FIRST_NAME>ADF</FIRST_NAME>', '<FIRST_NAME/>');
    const r = parseList('un-xml', xml);
    expect(r.entries).toHaveLength(11);
    expect(r.errors).toHaveLength(1);
    const line = r.errors[0]!.line;
    expect(xml.split('\n')[line - 1]).toContain('<DATAID>');
  });
});

describe('FollowTheMoney JSON lines', () => {
  it('keeps parties (people, companies, organisations, vessels), skips other schemata, reports bad lines', () => {
    const r = parseList('ftm-json', fixture('ftm-synthetic.jsonl'));
    expect(r.entries.map((e) => e.id)).toEqual(['syn-co-1', 'syn-person-1', 'syn-co-2', 'syn-vessel-1']);
    expect(r.errors).toEqual([
      { line: 5, reason: expect.stringContaining('not JSON') as string },
      { line: 6, reason: 'entity syn-noname has no name' },
    ]);
    expect(r.entries[0]).toMatchObject({
      countries: ['RU'],
      identifiers: [{ scheme: 'innCode', value: '7701234567' }],
    });
  });

  it('refuses a file without any entity', () => {
    expect(() => parseList('ftm-json', 'name,aliases\nfoo,bar\n')).toThrow(/not FollowTheMoney/);
  });
});

describe('plain CSV', () => {
  it('reads entries and reports bad rows by line', () => {
    const r = parseList('csv', fixture('plain.csv'));
    expect(r.entries.map((e) => e.id)).toEqual(['SYN-001', 'SYN-002', 'SYN-003', 'SYN-006']);
    expect(r.entries[2]).toMatchObject({
      countries: ['CN', 'HK'],
      aliases: ['深圳明亮电路科技有限公司', 'Bright Circuit Tech'],
      program: 'Synthetic concern list',
    });
    expect(r.errors.map((e) => e.line)).toEqual([5, 6, 7]);
  });

  it('refuses a file without the header', () => {
    expect(() => parseList('csv', 'a,b,c\n1,2,3\n')).toThrow(/header must be exactly/);
  });
});
