/**
 * The real CLI (`main`) run in-process on a store the test keeps open: each command gets a context
 * of its own (keystore, rule packs, options resolved from its flags and the environment as `openApp`
 * resolves them) over the one store, and the command's `close` leaves the store open. Opening a
 * PGlite data directory costs ~0.5–1 s of CPU; a test that runs dozens of commands on one store pays
 * it once. What a command writes is committed before it returns, as in its own process; the
 * data directory's reopening is covered by the tests that spawn the command.
 */
import { createApp, resolveOptions } from '../../src/app/index.js';
import type { CliHost } from '../../src/cli/main.js';
import type { Store } from '../../src/store/index.js';

/** `store`, with a `close` that leaves it open (the owner closes it). */
function keptOpen(store: Store): Store {
  return {
    kind: store.kind,
    db: store.db,
    transaction: (fn) => store.transaction(fn),
    close: () => Promise.resolve(),
  };
}

export function sharedStoreHost(store: Store): Required<CliHost> {
  return {
    openApp: (flags) => Promise.resolve(createApp(keptOpen(store), resolveOptions(flags))),
  };
}
