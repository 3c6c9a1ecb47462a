import type { ColumnType, Selectable } from 'kysely';

/** One row per applied SQL file of migrations/, written by the migration runner. */
export interface SchemaMigrationsTable {
  version: number;
  name: string;
  /** Hex SHA-256 of the file's text with CRLF normalised to LF. */
  sha256: string;
  applied_at: ColumnType<Date, Date | string | undefined, never>;
}

export type SchemaMigrationRow = Selectable<SchemaMigrationsTable>;
