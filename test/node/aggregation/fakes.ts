/**
 * In-memory fakes for the aggregation tests: a chain whose epochs follow a clock, a registration
 * view of real closed STM sets with real BLS keys, a certificate store with the LevelDB store's
 * beacon rule, and networks joining several nodes in one process (request/response answered by
 * the peer's handler; gossip delivered after a latency on the shared clock).
 */
import type { ChainObserver, EpochWindow } from '../../../node/chain/observer.ts';
import type { GossipPublisher, TopicHandler } from '../../../node/gossip/handler.ts';
import type { MeshTopic } from '../../../node/gossip/topics.ts';
import type { RequestHandler, RequestResponse } from '../../../node/p2p/request-response.ts';
import type { Clock } from '../../../node/runtime/clock.ts';
import { entityKey } from '../../../node/signing/open-message.ts';
import { StoreError } from '../../../node/store/errors.ts';
import type { CertificateStore } from '../../../node/store/types.ts';
import { poolIdFromHash } from '../../../protocol/cardano/pool-id.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import {
  certificateSignedEntityType,
  isGenesisCertificate,
  parseCertificate,
  stringifyCertificate,
} from '../../../protocol/certificate/index.ts';
import { ProtocolError } from '../../../protocol/errors.ts';
import type { SignedEntityTypeName, TimePoint } from '../../../protocol/message/signed-entity-type.ts';

export const EPOCH_MS = 100_000;

/** A pool id from a one-byte seed. */
export const poolId = (seed: number): string => poolIdFromHash(new Uint8Array(28).fill(seed));

/** Epoch e spans [e·EPOCH_MS, (e+1)·EPOCH_MS). */
export class FakeChain implements ChainObserver {
  constructor(
    private readonly clock: Clock,
    readonly stakes: ReadonlyMap<string, bigint>,
  ) {}

  currentEpoch(): number {
    return Math.floor(this.clock.now() / EPOCH_MS);
  }

  epochWindow(epoch: number): EpochWindow {
    return { epoch, startMs: epoch * EPOCH_MS, endMs: (epoch + 1) * EPOCH_MS };
  }

  currentTimePoint(): TimePoint {
    return { epoch: this.currentEpoch(), immutableFileNumber: 0, blockNumber: 0 };
  }

  stakeDistribution(): Promise<ReadonlyMap<string, bigint>> {
    return Promise.resolve(this.stakes);
  }

  currentKesPeriod(): bigint {
    return 0n;
  }
}

export { FakeView } from '../support/fake-view.ts';

/** Keeps certificates as their JSON (like LevelDB) and refuses a second one per beacon, like the real store. */
export class MemoryCertificateStore implements CertificateStore {
  private readonly texts = new Map<string, string>();
  private readonly beacons = new Map<string, string>();

  private keep(expected: string | undefined, certificate: Certificate): Promise<void> {
    const key = entityKey(certificateSignedEntityType(certificate));
    const kept = this.beacons.get(key);
    if (kept !== expected && kept !== certificate.hash) {
      return Promise.reject(
        new StoreError('BEACON_CONFLICT', `${key} keeps ${kept ?? '(none)'}, not ${expected ?? '(none)'}`),
      );
    }
    if (kept !== undefined) this.texts.delete(kept);
    this.texts.set(certificate.hash, stringifyCertificate(certificate));
    this.beacons.set(key, certificate.hash);
    return Promise.resolve();
  }

  private load(hash: string | undefined): Certificate | undefined {
    const text = hash === undefined ? undefined : this.texts.get(hash);
    return text === undefined ? undefined : parseCertificate(text);
  }

  put(certificate: Certificate): Promise<void> {
    return this.keep(undefined, certificate);
  }

  replaceForBeacon(previousHash: string | undefined, certificate: Certificate): Promise<void> {
    return this.keep(previousHash, certificate);
  }

  get(hash: string): Promise<Certificate | undefined> {
    return Promise.resolve(this.load(hash));
  }

  getByBeacon(entity: Parameters<CertificateStore['getByBeacon']>[0]): Promise<Certificate | undefined> {
    return Promise.resolve(this.load(this.beacons.get(entityKey(entity))));
  }

  latest(type: SignedEntityTypeName): Promise<Certificate | undefined> {
    const all = this.all().filter((c) => certificateSignedEntityType(c).type === type);
    return Promise.resolve(all.sort((a, b) => b.epoch - a.epoch)[0]);
  }

  genesis(): Promise<Certificate | undefined> {
    return Promise.resolve(this.all().find(isGenesisCertificate));
  }

  list(): Promise<Certificate[]> {
    return Promise.resolve(this.all());
  }

  /** Every stored certificate's JSON, sorted: equal for two stores holding the same chain. */
  snapshot(): string[] {
    return [...this.texts.values()].sort();
  }

  private all(): Certificate[] {
    return [...this.beacons.values()].map((hash) => this.load(hash)!);
  }
}

/** Peers answering requests with their registered handlers, in-process. */
export class FakeRequestNetwork {
  private readonly handlers = new Map<string, Map<string, RequestHandler>>();

  /** The `RequestResponse` of peer `self`; it sees every other registered peer as connected. */
  endpoint(self: string): RequestResponse {
    const handlers = new Map<string, RequestHandler>();
    this.handlers.set(self, handlers);
    return {
      handle: (protocol, handler) => {
        handlers.set(protocol, handler);
        return Promise.resolve();
      },
      unhandle: (protocol) => {
        handlers.delete(protocol);
        return Promise.resolve();
      },
      request: async (peerId, protocol, request, { maxResponseBytes }) => {
        const handler = this.handlers.get(peerId)?.get(protocol);
        if (handler === undefined)
          throw new ProtocolError('DIAL_FAILED', `${peerId} does not serve ${protocol}`);
        const response = await handler(request, self);
        if (response.length > maxResponseBytes)
          throw new ProtocolError('RESPONSE_TOO_LARGE', 'response too large');
        return response;
      },
      connectedPeers: () => [...this.handlers.keys()].filter((p) => p !== self),
    };
  }
}

/** One node of a `FakeGossip`: its handlers, and whatever it published. */
export interface GossipNode {
  id: string;
  handlers: readonly TopicHandler<unknown>[];
}

/**
 * Gossip over a shared clock: `publish` runs the publisher's own `accept` at once (as the real
 * adapter does) and delivers to every other node `latencyMs` later through decode → validate →
 * accept. Verdicts are recorded per node.
 */
export class FakeGossip {
  readonly nodes: GossipNode[] = [];
  readonly verdicts: { to: string; verdict: string }[] = [];
  private inFlight = new Set<Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly latencyMs: number,
  ) {}

  publisher(from: string): GossipPublisher {
    return {
      publish: async (topic, data) => {
        const self = this.node(from);
        const handler = findHandler(self, topic);
        if (handler !== undefined) await handler.accept(handler.decode(data), from);
        for (const node of this.nodes) {
          if (node.id === from) continue;
          this.clock.setTimeout(() => this.track(this.deliver(node, topic, data, from)), this.latencyMs);
        }
        return this.nodes.length - 1;
      },
    };
  }

  /** Resolves once every delivery started so far is done. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private node(id: string): GossipNode {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }

  private async deliver(node: GossipNode, topic: MeshTopic, data: Uint8Array, from: string): Promise<void> {
    const handler = findHandler(node, topic);
    if (handler === undefined) return;
    try {
      const message = handler.decode(data);
      await handler.validate(message, from);
      await handler.accept(message, from);
      this.verdicts.push({ to: node.id, verdict: 'accept' });
    } catch (error) {
      const e = error as { action?: string; reason?: string };
      this.verdicts.push({ to: node.id, verdict: `${e.action ?? 'error'}:${e.reason ?? String(error)}` });
    }
  }
}

function findHandler(node: GossipNode, topic: MeshTopic): TopicHandler<unknown> | undefined {
  return node.handlers.find((h) => JSON.stringify(h.topic) === JSON.stringify(topic));
}

/** Lets pending promise chains (fakes resolve immediately) run to their next real wait. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
