export const STORE_KINDS = ['pglite', 'postgres'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The stores to test: all by default, or the comma-separated list in env STORES (e.g. `STORES=pglite`). */
export function selectedStores(): StoreKind[] {
  const raw = process.env.STORES;
  if (raw === undefined || raw.trim() === '') return [...STORE_KINDS];
  const wanted = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = wanted.filter((s) => !(STORE_KINDS as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`STORES: unknown store ${unknown.join(', ')}; expected a list of ${STORE_KINDS.join(', ')}`);
  return STORE_KINDS.filter((k) => wanted.includes(k));
}
