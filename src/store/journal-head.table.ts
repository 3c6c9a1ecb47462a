import type { Selectable } from 'kysely';

/** The one-row counter that hands out gapless journal sequence numbers (id is always 1). */
export interface JournalHeadTable {
  id: number;
  next_seq: number;
}

export type JournalHeadRow = Selectable<JournalHeadTable>;
