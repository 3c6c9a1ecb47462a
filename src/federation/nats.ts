/**
 * The federation transport on NATS JetStream (issue 24 item 3, docs/federation.md). No replication
 * protocol of our own: each node publishes its journal records and checkpoints, and its cosignatures
 * of its peers' checkpoints, to its own stream `LODESTONE_<NODE>` (subjects `lodestone.<node>.record`,
 * `.checkpoint`, `.cosignature`; file storage). A record's `Nats-Msg-Id` is its record hash, so
 * JetStream drops a re-publication inside the stream's duplicate window, and the receiving node's
 * mirror (keyed by seq, checked by hash) drops any later one. Each node reads each peer's stream
 * through a durable pull consumer (`<me>-follows-<peer>`, explicit acks, from the first message): a
 * message is acknowledged only after the use case that handles it has committed, so a node that was
 * down, or cut off, resumes where it stopped (at-least-once; the use cases are idempotent).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  acceptCosignature,
  acceptPeerCheckpoint,
  applyPeerRecords,
  LOG_ID,
  logOrigin,
  mirrorPeerRecord,
  type AppContext,
  type CosignatureMessage,
} from '../app/index.js';
import { federationRepo, logRepo } from '../store/index.js';
import { sha256Hex } from '../trust/index.js';

export const streamName = (node: string): string => `LODESTONE_${node.toUpperCase().replace(/-/g, '_')}`;
export const subjectOf = (node: string, kind: 'record' | 'checkpoint' | 'cosignature'): string =>
  `lodestone.${node}.${kind}`;
export const durableName = (me: string, peer: string): string => `${me}-follows-${peer}`;

/** JetStream's duplicate window for the node streams: two minutes, in nanoseconds. */
const DUPLICATE_WINDOW_NS = 120 * 1_000_000_000;
const PUBLISH_BATCH = 500;
const FETCH_BATCH = 200;

export interface FederationNodeOptions {
  /** This node's name (the one its peers follow it by). */
  readonly node: string;
  /** NATS server URLs, e.g. ["nats://127.0.0.1:4222"]. */
  readonly servers: readonly string[];
  /** How long a fetch waits for the messages the consumer said it holds (default 2000 ms; at least 1000). */
  readonly fetchExpiresMs?: number;
}

export interface SyncReport {
  /** Journal entries published to this node's stream in this round. */
  readonly published: number;
  /** Messages handled from each peer's stream. */
  readonly received: Readonly<Record<string, number>>;
  /** Peer records imported into this node's journal. */
  readonly imported: Readonly<Record<string, number>>;
  /** Messages the consumer of each peer still holds for this node after the round. */
  readonly pending: Readonly<Record<string, number>>;
  readonly splitViews: readonly string[];
}

/** One node on NATS: its publication, its consumers of its peers' streams, and a round of both. */
export class FederationNode {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly opts: FederationNodeOptions,
  ) {}

  /** Connects and makes sure this node's stream and its durable consumers of its peers' streams exist. */
  async start(): Promise<void> {
    const nc = await connect({ servers: [...this.opts.servers], name: `lodestone-${this.opts.node}` });
    this.nc = nc;
    this.jsm = await jetstreamManager(nc);
    this.js = jetstream(nc);
    await this.ensureStream(this.opts.node);
    for (const p of await federationRepo.peers(this.ctx.store.db)) {
      await this.ensureStream(p.node);
      await this.ensureConsumer(p.node);
    }
  }

  private async ensureStream(node: string): Promise<void> {
    const jsm = this.manager();
    const config = {
      name: streamName(node),
      subjects: [`lodestone.${node}.>`],
      storage: StorageType.File,
      duplicate_window: DUPLICATE_WINDOW_NS,
    };
    try {
      await jsm.streams.info(config.name);
    } catch {
      try {
        await jsm.streams.add(config);
      } catch (e) {
        // Its peer may have created it meanwhile.
        await jsm.streams.info(config.name).catch(() => {
          throw e;
        });
      }
    }
  }

  private async ensureConsumer(peer: string): Promise<void> {
    const jsm = this.manager();
    const name = durableName(this.opts.node, peer);
    try {
      await jsm.consumers.info(streamName(peer), name);
    } catch {
      await jsm.consumers.add(streamName(peer), {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: 1000,
        ack_wait: 30 * 1_000_000_000,
      });
    }
  }

  private manager(): JetStreamManager {
    if (this.jsm === undefined) throw new Error('the federation node is not started');
    return this.jsm;
  }
  private client(): JetStreamClient {
    if (this.js === undefined) throw new Error('the federation node is not started');
    return this.js;
  }

  /**
   * Publishes what this node's stream does not have yet: its journal entries after the last one
   * acknowledged by JetStream, then its latest checkpoint. Progress is stored only after each PubAck,
   * so a crash re-publishes (the Msg-Id and the peers' mirror drop the copies).
   */
  async publish(): Promise<number> {
    const js = this.client();
    const db = this.ctx.store.db;
    let published = 0;
    // The checkpoint as the log signed it (without cosignatures: each peer adds its own).
    const cp = await logRepo.getCheckpoint(db, LOG_ID);
    if (cp === undefined) return 0;
    let { published_seq: from } = await federationRepo.outbox(db);
    while (from < cp.size) {
      const rows = await federationRepo.journalAfter(db, from, Math.min(PUBLISH_BATCH, cp.size - from));
      if (rows.length === 0) break;
      for (const r of rows) {
        await js.publish(subjectOf(this.opts.node, 'record'), JSON.stringify({ seq: r.seq, canonical: r.canonical }), {
          msgID: r.record_hash,
        });
        published++;
      }
      from = rows[rows.length - 1]?.seq ?? from;
      await federationRepo.setOutbox(db, { published_seq: from });
    }
    const outbox = await federationRepo.outbox(db);
    if (outbox.published_checkpoint_size < cp.size) {
      await js.publish(subjectOf(this.opts.node, 'checkpoint'), JSON.stringify({ body: cp.body }), {
        msgID: `checkpoint-${sha256Hex(cp.body)}`,
      });
      await federationRepo.setOutbox(db, { published_checkpoint_size: cp.size });
    }
    return published;
  }

  private async publishCosignature(c: CosignatureMessage): Promise<void> {
    await this.client().publish(subjectOf(this.opts.node, 'cosignature'), JSON.stringify(c), {
      msgID: `cosignature-${sha256Hex(c.line)}`,
    });
  }

  /**
   * Reads a peer's stream until its consumer holds nothing more for this node, handling each
   * message (mirror a record, judge a checkpoint, store a cosignature) before acknowledging it;
   * then applies the peer's records this node has cosigned.
   */
  async follow(
    peer: string,
  ): Promise<{ received: number; imported: number; pending: number; split: string | undefined }> {
    const js = this.client();
    const consumer = await js.consumers.get(streamName(peer), durableName(this.opts.node, peer));
    let received = 0;
    let split: string | undefined;
    for (;;) {
      // Ask for what the consumer holds (a fetch of more would wait out its expiry for the rest).
      const held = (await consumer.info()).num_pending;
      if (held === 0) break;
      const batch = await consumer.fetch({
        max_messages: Math.min(held, FETCH_BATCH),
        expires: this.opts.fetchExpiresMs ?? 2000,
      });
      let n = 0;
      for await (const m of batch) {
        n++;
        try {
          const s = await this.handle(peer, m);
          if (s !== undefined) split = s;
          m.ack();
        } catch (e) {
          // Not handled (the store is down, ...): redelivered later, nothing lost.
          m.nak(1000);
          throw e;
        }
      }
      received += n;
      if (n === 0) break;
    }
    const { imported } = await applyPeerRecords(this.ctx, peer);
    const info = await consumer.info();
    return { received, imported, pending: info.num_pending + info.num_ack_pending, split };
  }

  private async handle(peer: string, m: JsMsg): Promise<string | undefined> {
    const data = m.json<Record<string, unknown>>();
    if (m.subject === subjectOf(peer, 'record')) {
      await mirrorPeerRecord(this.ctx, peer, Number(data.seq), String(data.canonical));
      return undefined;
    }
    if (m.subject === subjectOf(peer, 'checkpoint')) {
      const out = await acceptPeerCheckpoint(this.ctx, peer, String(data.body));
      if (out.status === 'cosigned') await this.publishCosignature(out.cosignature);
      if (out.status === 'pending') {
        // Its records are behind it on the stream, handled in this batch: judge it again afterwards.
        this.retry.set(peer, String(data.body));
      }
      return out.status === 'split' ? out.explanation : undefined;
    }
    if (m.subject === subjectOf(peer, 'cosignature')) {
      const origin = await logOrigin(this.ctx);
      if (data.origin === origin)
        await acceptCosignature(this.ctx, peer, {
          origin,
          size: Number(data.size),
          line: String(data.line),
        });
      return undefined;
    }
    return undefined;
  }

  /** Checkpoints heard before their records (judged again after each round). */
  private readonly retry = new Map<string, string>();

  /** One round: publish, then follow every peer. */
  async sync(): Promise<SyncReport> {
    const published = await this.publish();
    const received: Record<string, number> = {};
    const imported: Record<string, number> = {};
    const pending: Record<string, number> = {};
    const splitViews: string[] = [];
    for (const p of await federationRepo.peers(this.ctx.store.db)) {
      const r = await this.follow(p.node);
      const again = this.retry.get(p.node);
      if (again !== undefined) {
        this.retry.delete(p.node);
        const out = await acceptPeerCheckpoint(this.ctx, p.node, again);
        if (out.status === 'cosigned') await this.publishCosignature(out.cosignature);
        if (out.status === 'split') splitViews.push(out.explanation);
        r.imported += (await applyPeerRecords(this.ctx, p.node)).imported;
      }
      received[p.node] = r.received;
      imported[p.node] = r.imported;
      pending[p.node] = r.pending;
      if (r.split !== undefined) splitViews.push(r.split);
    }
    // Cosignatures made in this round go out now.
    return { published: published + (await this.publish()), received, imported, pending, splitViews };
  }

  /** Runs rounds every `intervalMs` until `signal` aborts. */
  async run(intervalMs: number, signal: AbortSignal, onRound?: (r: SyncReport) => void): Promise<void> {
    while (!signal.aborted) {
      const r = await this.sync();
      onRound?.(r);
      await new Promise<void>((res) => {
        const t = setTimeout(res, intervalMs);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  /** The messages each peer's consumer still holds for this node (replication lag on the wire). */
  async consumerLag(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of await federationRepo.peers(this.ctx.store.db)) {
      const info = await this.manager().consumers.info(streamName(p.node), durableName(this.opts.node, p.node));
      out[p.node] = info.num_pending + info.num_ack_pending;
    }
    return out;
  }

  async close(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    this.js = undefined;
    this.jsm = undefined;
    if (nc !== undefined && !nc.isClosed()) await nc.close();
  }
}
