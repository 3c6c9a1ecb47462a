/**
 * Where the shared corpora are: ../shared/corpora beside the checkout (main's layout), or the
 * directory LODESTONE_CORPORA names (a worktree elsewhere, a CI cache). Tests and benchmarks that
 * need them skip, saying so, when the directory is absent.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

const given = process.env.LODESTONE_CORPORA;
export const CORPORA_URL: URL =
  given !== undefined && given !== ''
    ? pathToFileURL(given.endsWith('/') ? given : `${given}/`)
    : new URL('../../../shared/corpora/', import.meta.url);
export const CORPORA_DIR: string = fileURLToPath(CORPORA_URL);
