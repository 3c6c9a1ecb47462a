import type { Command } from 'commander';
import {
  addPeer,
  federationAlerts,
  federationEvidence,
  federationIdentity,
  federationStatus,
  type AppContext,
  type FederationStatus,
} from '../app/index.js';
import { ValidationError } from '../domain/index.js';
import type { SyncReport } from '../federation/index.js';

/** The federation node (the NATS client, ~0.2 s to load), imported by the commands that talk to NATS. */
const federationNode = async () => (await import('../federation/index.js')).FederationNode;
import { readJsonFile } from './files.js';

export interface FederationCliDeps {
  readonly withApp: <T>(fn: (ctx: AppContext) => Promise<T>) => Promise<T>;
  readonly print: (text: string) => void;
}

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** `--nats` (else LODESTONE_NATS_URL, else the local server): comma-separated nats:// or tls:// URLs. */
export function parseNatsServers(input: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const text = input ?? (env.LODESTONE_NATS_URL === '' ? undefined : env.LODESTONE_NATS_URL) ?? DEFAULT_NATS_URL;
  const field = input === undefined ? 'LODESTONE_NATS_URL' : '--nats';
  return text.split(',').map((s) => {
    let url: URL;
    try {
      url = new URL(s.trim());
    } catch {
      throw new ValidationError(field, `must be nats:// URLs such as ${DEFAULT_NATS_URL}, got ${JSON.stringify(s)}`);
    }
    if (url.protocol !== 'nats:' && url.protocol !== 'tls:')
      throw new ValidationError(field, `must be nats:// or tls:// URLs, got ${JSON.stringify(s)}`);
    return url.href.replace(/\/$/, '');
  });
}

/** `--node` (else LODESTONE_NODE): this node's federation name. */
export function nodeName(input: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = input ?? (env.LODESTONE_NODE === '' ? undefined : env.LODESTONE_NODE);
  if (name === undefined)
    throw new ValidationError('--node', 'is required (or LODESTONE_NODE): this node\'s name, e.g. "cn"');
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name))
    throw new ValidationError('--node', `must be a-z, 0-9 and "-" (at most 32), got ${JSON.stringify(name)}`);
  return name;
}

function formatReport(r: SyncReport): string {
  const peers = Object.keys(r.received).map(
    (p) => `${p}: received ${r.received[p] ?? 0}, imported ${r.imported[p] ?? 0}, still queued ${r.pending[p] ?? 0}`,
  );
  return [
    `published ${r.published} journal entr${r.published === 1 ? 'y' : 'ies'}`,
    ...peers,
    ...r.splitViews.map((s) => `SPLIT VIEW: ${s}`),
  ].join('\n');
}

function formatStatus(s: FederationStatus, wire: Record<string, number> | undefined): string {
  const lines = [
    `this node: ${s.origin}, journal ${s.journalSize} entries, published ${s.publishedSeq} (checkpoint ${s.publishedCheckpointSize})`,
  ];
  if (s.peers.length === 0) lines.push('(no peers: lodestone federation peer add IDENTITY.json --countries CC)');
  for (const p of s.peers) {
    lines.push(
      `peer ${p.node}  ${p.origin}  (takes roles for ${p.countries.join(', ') || 'no country'} from its trust list)`,
      `  heard size ${p.heardSize}${p.heardAt === null ? '' : ` at ${p.heardAt}`}; mirrored ${p.mirrored}; cosigned ${p.cosignedSize}; applied ${p.appliedSeq}; lag ${p.lag} record${p.lag === 1 ? '' : 's'}${wire === undefined ? '' : `; ${wire[p.node] ?? 0} message(s) queued on NATS`}`,
      `  it cosigned this node's checkpoint up to size ${p.cosignedOurs}`,
      ...(p.splitAlertSeq === null
        ? []
        : [`  SPLIT VIEW recorded at journal entry ${p.splitAlertSeq}: its records are refused`]),
      ...(p.lastError === null ? [] : [`  last problem: ${p.lastError}`]),
      ...(p.cosigned === null
        ? ['  last cosigned checkpoint: (none yet)']
        : [
            '  last cosigned checkpoint:',
            ...p.cosigned
              .trimEnd()
              .split('\n')
              .map((l) => `    ${l}`),
          ]),
    );
  }
  return lines.join('\n');
}

/** Federation (docs/federation.md): identity, peers, replication over NATS JetStream, status and evidence. */
export function registerFederationCommands(program: Command, { withApp, print }: FederationCliDeps): void {
  const fed = program
    .command('federation')
    .description('federated nodes over NATS JetStream: identity, peers, sync, status, post-shipment evidence');
  fed
    .command('identity')
    .description(
      'print what a peer pins for this node (JSON): its name, log key (with its origin), witness key, trust-list root key and public URL (--public-url)',
    )
    .option('--node <name>', "this node's name (or LODESTONE_NODE)")
    .action(async (o: { node?: string }) => {
      const node = nodeName(o.node);
      print(JSON.stringify(await withApp((ctx) => federationIdentity(ctx, node)), null, 2));
    });
  fed
    .command('peer')
    .description('follow a peer node')
    .command('add')
    .description(
      "follow a peer, or change its countries: pin its identity (the JSON `federation identity` prints on the peer's node) in a journal record signed by the operator root key",
    )
    .argument('<identity.json>')
    .requiredOption(
      '--countries <CC,...>',
      "countries whose roles (licensing authority, countersigner) this node takes from the peer's trust list (ISO 3166-1 alpha-2; none that this node's own trust list names)",
    )
    .action(async (file: string, o: { countries: string }) => {
      const read = readJsonFile(file);
      if (typeof read !== 'object' || read === null || Array.isArray(read))
        throw new ValidationError(file, 'must be a JSON object as `lodestone federation identity` prints');
      const identity = read as Record<string, unknown>;
      const countries = o.countries
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0);
      if (Object.hasOwn(identity, 'countries'))
        throw new ValidationError(
          `${file}: countries`,
          'is no part of an identity: give the countries with --countries',
        );
      // The identity whole, every field as read: the root-signed record carries it verbatim.
      const peer = await withApp((ctx) => addPeer(ctx, { ...identity, countries }));
      print(
        `following ${peer.node} (${peer.origin}); roles for ${peer.countries.join(', ') || 'no country'} from its trust list; signed by the operator root key as journal entry ${String(peer.followed_seq)}`,
      );
    });
  fed
    .command('sync')
    .description("one round: publish this node's new records and checkpoint, read each peer's stream, cosign, apply")
    .option('--node <name>', "this node's name (or LODESTONE_NODE)")
    .option('--nats <urls>', `NATS server URLs (or LODESTONE_NATS_URL; default ${DEFAULT_NATS_URL})`)
    .action(async (o: { node?: string; nats?: string }) => {
      const node = nodeName(o.node);
      const servers = parseNatsServers(o.nats);
      const report = await withApp(async (ctx) => {
        const FederationNode = await federationNode();
        const f = new FederationNode(ctx, { node, servers });
        try {
          await f.start();
          return await f.sync();
        } finally {
          await f.close();
        }
      });
      print(formatReport(report));
    });
  fed
    .command('run')
    .description('replicate continuously (a round every --interval-ms) until SIGINT or SIGTERM')
    .option('--node <name>', "this node's name (or LODESTONE_NODE)")
    .option('--nats <urls>', `NATS server URLs (or LODESTONE_NATS_URL; default ${DEFAULT_NATS_URL})`)
    .option('--interval-ms <ms>', 'pause between rounds', '1000')
    .action(async (o: { node?: string; nats?: string; intervalMs: string }) => {
      const node = nodeName(o.node);
      const servers = parseNatsServers(o.nats);
      const interval = Number(o.intervalMs);
      if (!/^\d+$/.test(o.intervalMs) || interval < 10 || interval > 3_600_000)
        throw new ValidationError('--interval-ms', `must be a whole number of milliseconds from 10 to 3600000`);
      await withApp(async (ctx) => {
        const FederationNode = await federationNode();
        const f = new FederationNode(ctx, { node, servers });
        const stop = new AbortController();
        const onSignal = () => {
          stop.abort();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          await f.start();
          print(`federation node ${node} on ${servers.join(', ')}: replicating`);
          await f.run(interval, stop.signal, (r) => {
            if (r.published > 0 || Object.values(r.received).some((n) => n > 0) || r.splitViews.length > 0)
              print(formatReport(r));
          });
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          await f.close();
        }
      });
    });
  fed
    .command('status')
    .description('the peers, their replication lag and the last checkpoint of each that this node cosigned')
    .option('--node <name>', "with --nats: this node's name, to read its consumers' queues (or LODESTONE_NODE)")
    .option('--nats <urls>', 'also ask NATS how many messages each peer stream still holds for this node')
    .option('--json', 'print as JSON')
    .action(async (o: { node?: string; nats?: string; json?: boolean }) => {
      const servers = o.nats === undefined ? undefined : parseNatsServers(o.nats);
      const node = servers === undefined ? undefined : nodeName(o.node);
      const { status, wire } = await withApp(async (ctx) => {
        const status = await federationStatus(ctx);
        if (servers === undefined || node === undefined) return { status, wire: undefined };
        const FederationNode = await federationNode();
        const f = new FederationNode(ctx, { node, servers });
        try {
          await f.start();
          return { status, wire: await f.consumerLag() };
        } finally {
          await f.close();
        }
      });
      print(
        o.json === true
          ? JSON.stringify({ ...status, ...(wire ? { queued: wire } : {}) }, null, 2)
          : formatStatus(status, wire),
      );
    });
  fed
    .command('evidence')
    .description(
      "post-shipment evidence from peers about this node's shipments (receipts, transformations, onward transfers, revocations heard late)",
    )
    .option('--shipment <id>', 'one shipment only')
    .option('--json', 'print as JSON')
    .action(async (o: { shipment?: string; json?: boolean }) => {
      const rows = await withApp((ctx) => federationEvidence(ctx, o.shipment));
      if (o.json === true) print(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) print('(no post-shipment evidence from peers)');
      else
        for (const r of rows)
          print(
            `${r.shipment_id}  ${r.node} #${r.peer_seq} ${r.record_type}  ${r.summary}  (journal entry ${r.imported_seq})`,
          );
    });
  fed
    .command('alerts')
    .description('split views recorded: a peer showed a checkpoint inconsistent with one this node cosigned')
    .action(async () => {
      const rows = await withApp((ctx) => federationAlerts(ctx));
      if (rows.length === 0) print('(no split view recorded)');
      for (const a of rows)
        print(
          [
            `journal entry ${a.seq}: peer ${a.node}: ${a.explanation}`,
            '  cosigned:',
            indent(a.cosigned),
            '  shown:',
            indent(a.shown),
          ].join('\n'),
        );
    });
}

const indent = (t: string) =>
  t
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
