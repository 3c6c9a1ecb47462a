/**
 * Progress for long-running commands: a single updating line on a terminal's stderr, nothing at
 * all when stderr is piped or redirected (so logs and scripts stay clean).
 */
export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

export function progress(
  label: string,
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean } = process.stderr,
): Progress {
  if (stream.isTTY !== true) return { update: () => undefined, finish: () => undefined };
  let last = 0;
  let shown = false;
  return {
    update(done, total) {
      const now = Date.now();
      if (done !== total && now - last < 100) return;
      last = now;
      shown = true;
      const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
      stream.write(`\r${label}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${pct} %)\x1b[K`);
    },
    finish() {
      if (shown) stream.write('\n');
    },
  };
}
