/**
 * In-memory fakes of what the registration service talks to: a chain on a shared clock, the
 * registration and own-key stores, and a network that joins several services in one process
 * (gossip delivered to every other node through decode → validate → accept, requests answered by
 * the peer's handler).
 */
import type { TimePoint } from '../../../protocol/message/signed-entity-type.ts';
import type { ChainObserver, EpochWindow } from '../../../node/chain/observer.ts';
import { GossipValidationError } from '../../../node/gossip/errors.ts';
import type { GossipAction } from '../../../node/gossip/errors.ts';
import type { GossipPublisher, TopicHandler } from '../../../node/gossip/handler.ts';
import type { RequestHandler, RequestResponse } from '../../../node/p2p/request-response.ts';
import type { Clock, TimerHandle } from '../../../node/runtime/clock.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type {
  ClosedRegistrationRecord,
  OwnKeyStore,
  RegistrationStore,
  StoredMessage,
} from '../../../node/store/types.ts';

export const EPOCH_MS = 100_000;
/** Epoch `FIRST_EPOCH` starts at `GENESIS_MS`. */
export const GENESIS_MS = 1_800_000_000_000;
export const FIRST_EPOCH = 10;
/**
 * Service timings of the tests. The manual clock moves only when a test moves it: each proof of
 * possession is checked at once (batches of 1), not after a batch timer.
 */
export const SERVICE_TIMING = {
  reannounceMs: 10_000,
  pullIntervalMs: 20_000,
  pullPeers: 2,
  requestTimeoutMs: 5_000,
  proofBatchSize: 1,
};

/** Epochs of `EPOCH_MS` from `GENESIS_MS`; the KES period is `kesPeriod` unless `kesPeriodMs` makes it advance. */
export class FakeChain implements ChainObserver {
  kesPeriod: bigint;
  stakes: ReadonlyMap<string, bigint>;
  /** Number of `stakeDistribution` calls. */
  stakeReads = 0;

  constructor(
    private readonly clock: Clock,
    stakes: ReadonlyMap<string, bigint>,
    kesPeriod: bigint,
  ) {
    this.stakes = stakes;
    this.kesPeriod = kesPeriod;
  }

  currentEpoch(): number {
    return FIRST_EPOCH + Math.floor((this.clock.now() - GENESIS_MS) / EPOCH_MS);
  }

  epochWindow(epoch: number): EpochWindow {
    const startMs = GENESIS_MS + (epoch - FIRST_EPOCH) * EPOCH_MS;
    return { epoch, startMs, endMs: startMs + EPOCH_MS };
  }

  currentTimePoint(): TimePoint {
    return { epoch: this.currentEpoch(), immutableFileNumber: 0, blockNumber: 0 };
  }

  async stakeDistribution(): Promise<ReadonlyMap<string, bigint>> {
    this.stakeReads++;
    return this.stakes;
  }

  currentKesPeriod(): bigint {
    return this.kesPeriod;
  }
}

/** Unix ms of `fraction` into `epoch`. */
export const epochTime = (epoch: number, fraction = 0): number =>
  GENESIS_MS + (epoch - FIRST_EPOCH) * EPOCH_MS + Math.round(fraction * EPOCH_MS);

export class MemoryRegistrationStore implements RegistrationStore {
  readonly messages = new Map<number, Map<string, Uint8Array>>();
  readonly closed = new Map<number, ClosedRegistrationRecord>();

  async put(epoch: number, partyId: string, message: Uint8Array): Promise<void> {
    let byPool = this.messages.get(epoch);
    if (byPool === undefined) this.messages.set(epoch, (byPool = new Map()));
    byPool.set(partyId, Uint8Array.from(message));
  }

  async get(epoch: number, partyId: string): Promise<Uint8Array | undefined> {
    return this.messages.get(epoch)?.get(partyId);
  }

  async list(epoch: number): Promise<StoredMessage[]> {
    return [...(this.messages.get(epoch) ?? [])].map(([partyId, message]) => ({ partyId, message }));
  }

  async putClosed(record: ClosedRegistrationRecord): Promise<void> {
    this.closed.set(record.epoch, record);
  }

  async getClosed(epoch: number): Promise<ClosedRegistrationRecord | undefined> {
    return this.closed.get(epoch);
  }

  async prune(beforeEpoch: number): Promise<void> {
    for (const epoch of this.messages.keys()) if (epoch < beforeEpoch) this.messages.delete(epoch);
    for (const epoch of this.closed.keys()) if (epoch < beforeEpoch) this.closed.delete(epoch);
  }
}

export class MemoryOwnKeyStore implements OwnKeyStore {
  readonly keys = new Map<string, bigint>();

  async put(epoch: number, partyId: string, secretKey: bigint): Promise<void> {
    this.keys.set(`${epoch}/${partyId}`, secretKey);
  }

  async get(epoch: number, partyId: string): Promise<bigint | undefined> {
    return this.keys.get(`${epoch}/${partyId}`);
  }

  async prune(beforeEpoch: number): Promise<void> {
    for (const key of this.keys.keys()) if (Number(key.split('/')[0]) < beforeEpoch) this.keys.delete(key);
  }
}

export const memoryStore = (): { registrations: MemoryRegistrationStore; ownKeys: MemoryOwnKeyStore } => ({
  registrations: new MemoryRegistrationStore(),
  ownKeys: new MemoryOwnKeyStore(),
});

export interface Verdict {
  to: string;
  action: GossipAction;
  reason: string;
}

interface FakeNode {
  // The network carries every topic's messages as opaque values.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler?: TopicHandler<any>;
  protocols: Map<string, RequestHandler>;
}

/**
 * Every node is connected to every other; `deaf` nodes receive no gossip; `isolated` nodes are
 * cut off (a partition): they neither send nor receive gossip or requests, and see no peers.
 */
export class FakeNetwork {
  readonly deaf = new Set<string>();
  readonly isolated = new Set<string>();
  readonly verdicts: Verdict[] = [];
  /** Bytes each node published, in order. */
  readonly published = new Map<string, Uint8Array[]>();
  requests = 0;
  private readonly nodes = new Map<string, FakeNode>();
  private readonly pending = new Set<Promise<void>>();

  join(id: string): { publisher: GossipPublisher; requestResponse: RequestResponse } {
    const node: FakeNode = { protocols: new Map() };
    this.nodes.set(id, node);
    this.published.set(id, []);
    const publisher: GossipPublisher = {
      publish: async (_topic, data) => {
        if (this.nodes.get(id) !== node) return 0;
        this.published.get(id)!.push(data);
        const peers = [...this.nodes].filter(
          ([peer, n]) => peer !== id && n.handler !== undefined && this.linked(id, peer),
        );
        for (const [peer, n] of peers) if (!this.deaf.has(peer)) this.track(this.deliver(peer, n, data, id));
        if (node.handler !== undefined) await node.handler.accept(node.handler.decode(data), id);
        return peers.length;
      },
    };
    const requestResponse: RequestResponse = {
      handle: async (protocol, handler) => {
        node.protocols.set(protocol, handler);
      },
      unhandle: async (protocol) => {
        node.protocols.delete(protocol);
      },
      request: async (peer, protocol, request, { maxResponseBytes }) => {
        this.requests++;
        const handler = this.linked(id, peer) ? this.nodes.get(peer)?.protocols.get(protocol) : undefined;
        if (handler === undefined) throw new Error(`${peer} does not handle ${protocol}`);
        const response = await handler(request, id);
        if (response.length > maxResponseBytes) throw new Error('response too large');
        return response;
      },
      connectedPeers: () => [...this.nodes.keys()].filter((peer) => peer !== id && this.linked(id, peer)),
    };
    return { publisher, requestResponse };
  }

  private linked(a: string, b: string): boolean {
    return !this.isolated.has(a) && !this.isolated.has(b);
  }

  /** Disconnects `id`: it neither sends nor receives anything any more. */
  leave(id: string): void {
    this.nodes.delete(id);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  attach(id: string, handler: TopicHandler<any>): void {
    this.nodes.get(id)!.handler = handler;
  }

  /** Resolves when every delivery in flight (and those they caused) has finished. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private track(delivery: Promise<void>): void {
    const tracked = delivery.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async deliver(to: string, node: FakeNode, data: Uint8Array, from: string): Promise<void> {
    // As over a real link: the receiver gets its own copy, later.
    await Promise.resolve();
    const handler = node.handler!;
    try {
      const message: unknown = handler.decode(Uint8Array.from(data));
      await handler.validate(message, from);
      await handler.accept(message, from);
    } catch (error) {
      if (!(error instanceof GossipValidationError)) throw error;
      this.verdicts.push({ to, action: error.action, reason: error.reason });
    }
  }
}

/** A `ManualClock` that counts its pending timers. */
export class CountingClock extends ManualClock {
  private readonly live = new Set<number>();

  get pendingTimers(): number {
    return this.live.size;
  }

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = super.setTimeout(() => {
      this.live.delete(handle.id);
      fn();
    }, ms);
    this.live.add(handle.id);
    return handle;
  }

  override clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle.id);
    super.clearTimeout(handle);
  }
}
