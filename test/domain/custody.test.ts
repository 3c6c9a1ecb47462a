import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkOnwardTransfer,
  controllingOwners,
  inheritRestrictions,
  remainderAfter,
  type Item,
  type Lot,
  type Party,
  type Restriction,
} from '../../src/domain/index.js';

const item: Item = {
  form: 'magnet',
  magnetFamily: 'NdFeB',
  hsCode: '850511',
  composition: { Nd: 300000, Dy: 40000 },
  origin: 'CN',
};

function restriction(licenceId: string, grams: number, prohibited: string[] = ['US']): Restriction {
  return {
    licenceId,
    authority: 'cn-mofcom',
    endUser: 'chakan-drive-systems',
    prohibitedDestinations: prohibited,
    useOnlyIn: 'IN',
    extendsToProducts: true,
    licensedGrams: grams,
    massSharePpm: 1_000_000,
    chain: [`licence ${licenceId}`],
    clauses: ['no re-export to US'],
  };
}

function lot(id: string, massGrams: number, restrictions: Restriction[]): Lot {
  return { id, holder: 'h', location: 'IN', item, massGrams, restrictions };
}

/** A random supply graph: splits (shipments) and transformations that merge lots with other material. */
const operation = fc.oneof(
  fc.record({ kind: fc.constant('split' as const), pick: fc.nat(), fraction: fc.integer({ min: 1, max: 999 }) }),
  fc.record({
    kind: fc.constant('transform' as const),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
    fraction: fc.integer({ min: 1, max: 1000 }),
    other: fc.integer({ min: 0, max: 100_000 }),
  }),
);

describe('restrictions through a supply graph (property)', () => {
  it('are never lost along any path, and licensed mass is conserved (nothing created, losses only by rounding or scrap)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.array(operation, { maxLength: 25 }),
        (ga, gb, ops) => {
          const lots: Lot[] = [
            lot('A', ga, [restriction('L1', ga)]),
            lot('B', gb, [restriction('L2', gb, ['RU'])]),
            lot('C', 1_000_000, []),
          ];
          /** For every lot: the licences of the lots it descends from with a positive share of material. */
          const ancestry = new Map<string, Set<string>>([
            ['A', new Set(['L1'])],
            ['B', new Set(['L2'])],
            ['C', new Set()],
          ]);

          let n = 0;
          for (const op of ops) {
            const live = lots.filter((l) => l.massGrams > 0);
            if (live.length === 0) break;
            if (op.kind === 'split') {
              const src = live[op.pick % live.length]!;
              const g = Math.max(1, Math.floor((src.massGrams * op.fraction) / 1000));
              if (g >= src.massGrams) continue;
              const id = `S${n++}`;
              const out = lot(
                id,
                g,
                inheritRestrictions([{ lot: src, grams: g }], { id, massGrams: g }, `shipment ${id}`),
              );
              const rest = remainderAfter(src, g);
              lots[lots.indexOf(src)] = { ...src, massGrams: rest.massGrams, restrictions: rest.restrictions };
              lots.push(out);
              ancestry.set(id, new Set(ancestry.get(src.id)));
            } else {
              const chosen = [...new Set(op.picks.map((p) => live[p % live.length]!))];
              const parts = chosen.map((l) => ({
                lot: l,
                grams: Math.max(1, Math.floor((l.massGrams * op.fraction) / 1000)),
              }));
              const id = `T${n++}`;
              const embodied = parts.reduce((s, p) => s + p.grams, 0);
              const out = lot(
                id,
                embodied + op.other,
                inheritRestrictions(parts, { id, massGrams: embodied + op.other }, `transformation ${id}`),
              );
              for (const p of parts) {
                const idx = lots.findIndex((l) => l.id === p.lot.id);
                const rest = remainderAfter(lots[idx]!, p.grams);
                lots[idx] = { ...lots[idx]!, massGrams: rest.massGrams, restrictions: rest.restrictions };
              }
              lots.push(out);
              ancestry.set(id, new Set(chosen.flatMap((c) => [...(ancestry.get(c.id) ?? [])])));
            }
          }
          for (const l of lots) {
            // Never lost: every licence of every ancestor is still carried.
            const carried = new Set(l.restrictions.map((r) => r.licenceId));
            for (const lic of ancestry.get(l.id) ?? []) expect(carried.has(lic)).toBe(true);
            for (const r of l.restrictions) {
              expect(r.licensedGrams).toBeGreaterThanOrEqual(0);
              expect(r.licensedGrams).toBeLessThanOrEqual(l.massGrams);
            }
          }
          for (const [lic, initial] of [
            ['L1', ga],
            ['L2', gb],
          ] as const) {
            const total = lots.reduce(
              (s, l) => s + l.restrictions.filter((r) => r.licenceId === lic).reduce((t, r) => t + r.licensedGrams, 0),
              0,
            );
            expect(total).toBeLessThanOrEqual(initial); // never created
            // Rounding loses at most one gram per lot created; nothing else goes missing.
            expect(initial - total).toBeLessThanOrEqual(lots.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('no licensed mass or value is created (property, issue 18 item 5)', () => {
  it('a lot made of parts of restricted lots (a receipt, a transformation with other material) carries at most the licensed grams and value of the parts taken', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            mass: fc.integer({ min: 1, max: 5_000_000 }),
            licensedPpm: fc.integer({ min: 0, max: 1_000_000 }),
            value: fc.integer({ min: 0, max: 1_000_000_000 }),
            takePpm: fc.integer({ min: 1, max: 1_000_000 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 10_000_000 }),
        (inputs, other) => {
          const parts = inputs.map((x, i) => {
            const licensed = Math.floor((x.mass * x.licensedPpm) / 1_000_000);
            const r = {
              ...restriction('L1', licensed),
              licensedValueMinor: Math.floor((x.value * x.licensedPpm) / 1_000_000),
              currency: 'USD',
            };
            const src: Lot = { ...lot(`I${i}`, x.mass, [r]), valueMinor: x.value, currency: 'USD' };
            return { lot: src, grams: Math.max(1, Math.floor((x.mass * x.takePpm) / 1_000_000)) };
          });
          const taken = parts.reduce((s, p) => s + p.grams, 0);
          const [out] = inheritRestrictions(
            parts,
            { id: 'OUT', massGrams: taken + other, valueMinor: 1, currency: 'USD' },
            'transformation T',
          );
          const inGrams = parts.reduce(
            (s, p) => s + (p.lot.restrictions[0]!.licensedGrams * p.grams) / p.lot.massGrams,
            0,
          );
          const inValue = parts.reduce(
            (s, p) => s + (p.lot.restrictions[0]!.licensedValueMinor! * p.grams) / p.lot.massGrams,
            0,
          );
          expect(out!.licensedGrams).toBeLessThanOrEqual(inGrams);
          expect(out!.licensedGrams).toBeLessThanOrEqual(taken + other);
          expect(out!.licensedValueMinor!).toBeLessThanOrEqual(inValue);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('what remains of a lot keeps its value per gram: remainder value + the part taken = the lot value, exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (mass, value, takePpm) => {
          const g = Math.floor((mass * takePpm) / 1_000_000);
          const l: Lot = { ...lot('V', mass, []), valueMinor: value, currency: 'USD' };
          const rest = remainderAfter(l, g);
          const takenValue = Number((BigInt(value) * BigInt(g)) / BigInt(mass));
          expect(rest.valueMinor! + takenValue).toBe(value);
          if (rest.massGrams > 0)
            expect(BigInt(rest.valueMinor!) * BigInt(mass)).toBeGreaterThanOrEqual(
              BigInt(value) * BigInt(rest.massGrams),
            ); // never less per gram than before
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('onward transfers', () => {
  const us: Party = { id: 'lakeshore-ev', name: 'Lakeshore EV', country: 'US' };
  const ae: Party = {
    id: 'gulf-horizon',
    name: 'Gulf Horizon',
    country: 'AE',
    owners: [{ partyId: 'holdco', name: 'Holdco', sharePpm: 600_000 }],
  };
  const holdco: Party = {
    id: 'holdco',
    name: 'Holdco',
    country: 'SG',
    owners: [{ partyId: 'lakeshore-ev', name: 'Lakeshore EV', sharePpm: 500_000 }],
  };
  const lookup = (id: string) => [us, ae, holdco].find((p) => p.id === id);
  const magnets = lot('M', 1000, [restriction('L1', 1000)]);

  it('refuses a prohibited destination with the chain and the clause', () => {
    const [r] = checkOnwardTransfer(magnets, us, 'US', lookup);
    expect(r?.rule).toBe('PROHIBITED_DESTINATION');
    expect(r?.chain).toEqual(['licence L1', 'clause: no re-export to US']);
  });

  it('follows ownership chains of 50 % and more', () => {
    expect(controllingOwners(ae, lookup).map((o) => o.country)).toEqual(['SG', 'US']);
    const [r] = checkOnwardTransfer(magnets, ae, 'AE', lookup);
    expect(r?.rule).toBe('PROHIBITED_VIA_OWNER');
    expect(r?.message).toContain('Holdco is 50 % owned by Lakeshore EV (US)');
  });

  it('a 49.9 % owner does not control', () => {
    const minority: Party = { ...ae, owners: [{ partyId: 'lakeshore-ev', name: 'Lakeshore EV', sharePpm: 499_999 }] };
    expect(checkOnwardTransfer(magnets, minority, 'AE', lookup).map((r) => r.rule)).toEqual([
      'REEXPORT_WITHOUT_CONSENT',
    ]);
  });

  it("allows transfers within the country of use, and abroad with the authority's consent", () => {
    const domestic: Party = { id: 'deccan', name: 'Deccan', country: 'IN' };
    expect(checkOnwardTransfer(magnets, domestic, 'IN', lookup)).toEqual([]);
    const de: Party = { id: 'de-buyer', name: 'DE Buyer', country: 'DE' };
    expect(checkOnwardTransfer(magnets, de, 'DE', lookup).map((r) => r.rule)).toEqual(['REEXPORT_WITHOUT_CONSENT']);
    expect(checkOnwardTransfer(magnets, de, 'DE', lookup, [{ licenceId: 'L1', destination: 'DE' }])).toEqual([]);
  });

  it('undertakings that do not extend to products stop binding after a transformation', () => {
    const r = { ...restriction('L1', 1000), extendsToProducts: false };
    const motors = lot(
      'MOT',
      45_000,
      inheritRestrictions(
        [{ lot: lot('M', 1000, [r]), grams: 1000 }],
        { id: 'MOT', massGrams: 45_000 },
        'transformation T',
      ),
    );
    expect(checkOnwardTransfer(motors, us, 'US', lookup)).toEqual([]);
    expect(motors.restrictions[0]?.massSharePpm).toBe(22_222);
  });
});
