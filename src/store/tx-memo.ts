/**
 * A transaction's memo of rows that cannot change once they exist, so that a batch of many use
 * cases in ONE transaction (an EPCIS capture document, a custody batch) reads each of them once
 * instead of once per event.
 *
 * Only rows that are never updated or deleted while the store is open are kept: parties and
 * licences (inserted once, then only read; `rebuild` truncates them, but in its own transaction,
 * which is never memoised) and journal times. Only rows that were found are kept: a row that is
 * inserted later in the same transaction is read from the database as before. The lists in force
 * (`list_imports`) do change, by an import: an import in a memoised transaction drops them.
 *
 * Opt-in and transaction-scoped: the memo lives as long as the transaction object (a WeakMap entry),
 * so nothing outlives the transaction and no other transaction, connection or process sees it.
 */
import type { ListImportRow } from './screening.tables.js';
import type { EpcisEventRow, EpcisLotLinkRow } from './epcis.tables.js';
import type { CustodyLedgerRow, LicenceBalanceRow, LicenceRow, LotRow, ShipmentRow } from './licensing.tables.js';
import type { PartyRow } from './parties.table.js';
import type { ScreeningReviewRow } from './screening-reviews.table.js';

export interface TxMemo {
  readonly parties: Map<string, PartyRow>;
  readonly licences: Map<string, LicenceRow>;
  readonly recordedAt: Map<number, Date>;
  currentImports: readonly ListImportRow[] | undefined;
  /**
   * Lots and shipments this transaction holds (set-based ingest, issue 21): a row is here only while
   * the transaction holds its row lock — it locked it (`heldRowsRepo.lockFor`: FOR UPDATE, in one
   * statement for a whole batch), inserted it or updated it — and exactly as the database has it
   * (every write through the repository returns the row it wrote). No other transaction can change
   * a row while it is locked, so reads and locks of it are answered from here. In a batch that defers
   * its writes (`deferWrites`) a row it writes is built here as the database will have it, and
   * written later (`pending`). `null`: the id named
   * no row when the batch looked (its existence check is answered from here; if another transaction
   * inserts it meanwhile, this one's insert fails on the primary key and nothing is kept).
   */
  readonly held: { readonly lots: Map<string, LotRow | null>; readonly shipments: Map<string, ShipmentRow | null> };
  /**
   * Licence balance rows this transaction locked (`licencesRepo.lockBalances`: FOR UPDATE, held until
   * it ends), by licence, as they stand in it — its own draw-downs applied, written or not yet. A
   * batch locks a licence's balances once and then checks every later shipment against these rows.
   */
  readonly balances: Map<string, LicenceBalanceRow[]>;
  /**
   * Set by a batch (`deferDrawDowns`): draw-downs on balances it holds are summed here, by licence and
   * line, and written with one statement by `licencesRepo.flushDrawDowns`, which the batch calls
   * before it commits. Off: each draw-down is written at once, as before.
   */
  deferDrawDowns: boolean;
  readonly drawDowns: Map<string, PendingDrawDown>;
  /**
   * The lots that shipments this transaction holds left from (`heldRowsRepo.lockFor`), read without a
   * lock at the batch's start: a receipt reads the source lot's item, holder and location from here,
   * which a lot never changes.
   */
  readonly sourceLots: Map<string, LotRow>;
  /**
   * The screening decisions in force per subject ("kind\0subject" → rows in list, entry order), as
   * `screeningReviewsRepo.latestFor` read them; a review inserted in the transaction drops its subject.
   */
  readonly reviews: Map<string, ScreeningReviewRow[]>;
  /**
   * What each custody write of the transaction did to the running totals per licence and holder
   * (`licence_holder_totals`, kept by triggers: migration 0013), in write order: the diversion monitor,
   * run once at a batch's end, takes the totals as they stood after each event from the totals at
   * the end less what later events added. `unknown`: a lot was written whose previous row the
   * transaction did not hold, so its effect is not known here.
   */
  readonly totals: { readonly deltas: TotalsDelta[]; unknown: boolean };
  /**
   * Set by a batch (`heldRowsRepo.deferWrites`, set-based ingest part 3): the lot, shipment,
   * custody-ledger and EPCIS rows its records write are kept here (each lot and shipment as it stands after the
   * batch's latest write, also in `held`) and written by `heldRowsRepo.flush` and `epcisRepo.flush`,
   * each table with one statement. Every read of those tables that SQL answers flushes them first,
   * except reads by key, answered from here (`held`, an EPCIS event by hash id) or from the database
   * and here together (an EPC's lot links). Off: each write goes to the database at once, as before.
   */
  deferWrites: boolean;
  readonly pending: PendingRows;
}

/** A batch's lot, shipment and custody-ledger rows not yet written (`TxMemo.deferWrites`). */
export interface PendingRows {
  /** By id, the row as it stands now; `insert`: not in the database yet (else: an update of its mutable columns). */
  readonly lots: Map<string, { row: LotRow; insert: boolean }>;
  readonly shipments: Map<string, { row: ShipmentRow; insert: boolean }>;
  readonly ledger: CustodyLedgerRow[];
  /** Captured EPCIS events ("kind\0hash id" → the row as the database will have it, and its event time as recorded). */
  readonly epcisEvents: Map<string, { readonly row: EpcisEventRow; readonly eventTime: string }>;
  /** EPC ↔ lot links ("epc\0holder\0lot"), the first of each key (a link already stored is kept, as `on conflict do nothing`). */
  readonly epcisLinks: Map<string, EpcisLotLinkRow>;
}

/** One custody write's effect on the running totals of one licence and holder. */
export interface TotalsDelta {
  readonly seq: number;
  readonly licenceId: string;
  readonly holder: string;
  readonly createdGrams: number;
  readonly netGrams: number;
  readonly onHandGrams: number;
}

/** A batch's draw-downs on one licence line, not yet written. */
export interface PendingDrawDown {
  readonly licenceId: string;
  readonly lineRef: string;
  grams: number;
  valueMinor: number;
  shipments: number;
}

const memos = new WeakMap<object, TxMemo>();

/** From now on, reads through `tx` of the rows above are answered from a memo kept for `tx`. */
export function rememberReadsIn(tx: object): void {
  if (!memos.has(tx))
    memos.set(tx, {
      parties: new Map(),
      licences: new Map(),
      recordedAt: new Map(),
      currentImports: undefined,
      held: { lots: new Map(), shipments: new Map() },
      balances: new Map(),
      deferDrawDowns: false,
      drawDowns: new Map(),
      sourceLots: new Map(),
      reviews: new Map(),
      totals: { deltas: [], unknown: false },
      deferWrites: false,
      pending: { lots: new Map(), shipments: new Map(), ledger: [], epcisEvents: new Map(), epcisLinks: new Map() },
    });
}

/** The memo of `db` if it is a transaction that `rememberReadsIn` was called on. */
export function memoOf(db: object): TxMemo | undefined {
  return memos.get(db);
}

/**
 * Rows by key, from `cache` for the keys it has and from `load` (one query) for the rest; what
 * `load` found is added to `cache`. Without a cache, simply `load(keys)`.
 */
export async function throughMemo<K, R>(
  cache: Map<K, R> | undefined,
  keys: readonly K[],
  keyOf: (row: R) => K,
  load: (keys: readonly K[]) => Promise<R[]>,
): Promise<R[]> {
  if (cache === undefined) return load(keys);
  const unique = [...new Set(keys)];
  const missing = unique.filter((k) => !cache.has(k));
  if (missing.length > 0) for (const row of await load(missing)) cache.set(keyOf(row), row);
  return unique.flatMap((k) => {
    const row = cache.get(k);
    return row === undefined ? [] : [row];
  });
}
