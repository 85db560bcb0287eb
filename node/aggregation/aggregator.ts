/**
 * The aggregator (docs/convergence.md, "Storm control"): on a node with the aggregator role, once
 * the open message of a beacon holds signatures covering k distinct lottery indexes, it waits
 * `window · H(beacon ‖ node id) / 2^256`, then, unless a certificate for the beacon was stored
 * meanwhile, builds the canonical certificate, verifies it against its parent, stores it and
 * publishes it. A beacon whose parent is not certified yet waits for it: the node that assembled
 * the parent then assembles it at once, any other node draws its delay when the parent arrives.
 * Only nodes with the role construct this service: signer-only nodes never assemble.
 *
 * The window is 1/20 of the epoch, at most 10 minutes. The delays of N aggregators spread
 * uniformly over it, so with a gossip latency L about 1 + N·L/window of them publish before the
 * first certificate reaches the others: with 20 s devnet epochs (1 s window), 5 nodes and 50 ms of
 * latency, 1.25; with mainnet's 5-day epochs (capped at 10 min), 3,000 pools and 1 s, 6. The cap
 * keeps a certificate within minutes of its quorum and far inside the reference's open-message
 * timeouts (30 min to 1 h) during which late signatures are still collected.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { logger } from '@libp2p/logger';
import type { ChainObserver } from '../chain/observer.ts';
import type { MeshEvents } from '../events.ts';
import type { GossipPublisher } from '../gossip/handler.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import { entityKey } from '../signing/open-message.ts';
import type { SigningService } from '../signing/service.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import { bytesToBigIntBE, concatBytes, utf8 } from '../../protocol/encoding/bytes.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import {
  SignedEntityTypeError,
  epochWhenSigned,
  timePointToSignedEntityType,
} from '../../protocol/message/signed-entity-type.ts';
import { buildCandidateCertificate } from './builder.ts';
import { encodeCertificateGossip } from './certificate-message.ts';
import type { CertificateChain, CertificateStoredEvent } from './chain.ts';
import { parentBeacon } from './chain.ts';
import { AggregationError } from './errors.ts';

const log = logger('mithril-mesh:aggregation:aggregator');

/** The window is this fraction of the epoch: the rest of the epoch is left for the certificate to spread. */
const STORM_WINDOW_EPOCH_FRACTION = 1 / 20;
/** 10 minutes: well inside the reference's open-message timeouts (30 min CSD, 1 h MSD). */
export const MAX_STORM_WINDOW_MS = 10 * 60 * 1000;
/** Bits of the hash used for the delay fraction: a double holds 53 exactly. */
const DELAY_BITS = 53n;
const HASH_BITS = 256n;

/** The storm-control window for an epoch of `epochLengthMs`. */
export function stormWindowMs(epochLengthMs: number): number {
  return Math.min(epochLengthMs * STORM_WINDOW_EPOCH_FRACTION, MAX_STORM_WINDOW_MS);
}

/** `window · H(beacon ‖ node id) / 2^256`, H = SHA-256 (the beacon as its JSON key). */
export function stormDelayMs(windowMs: number, entity: SignedEntityType, nodeId: string): number {
  const hash = bytesToBigIntBE(sha256(concatBytes(utf8(entityKey(entity)), utf8(nodeId))));
  return (windowMs * Number(hash >> (HASH_BITS - DELAY_BITS))) / 2 ** Number(DELAY_BITS);
}

/** A certificate this node published (the lead maps it to a 'certificate:published' event). */
export interface CertificatePublishedEvent {
  hash: string;
  entity: SignedEntityType;
  epoch: number;
  /** Peers it was sent to. */
  peers: number;
  /** Sent as an announcement (above the gossip bound) rather than in full. */
  announced: boolean;
}

export interface AggregatorServiceOptions {
  /** This node's PeerId: the storm-control delays of two nodes differ. */
  nodeId: string;
  network: string;
  /** Types this node aggregates (the ones it signs). */
  entityTypes: readonly SignedEntityTypeName[];
  chain: ChainObserver;
  signing: Pick<SigningService, 'openMessage'>;
  certificates: CertificateChain;
  publisher: GossipPublisher;
  events: MeshEvents;
  clock: Clock;
  /** Storm-control window; default `stormWindowMs` of the signing epoch's length. */
  windowMs?: number;
}

export class AggregatorService {
  private readonly types: ReadonlySet<SignedEntityTypeName>;
  private readonly timers = new Map<string, TimerHandle>();
  /** Beacons at quorum whose parent has no certificate yet. */
  private readonly waiting = new Map<string, SignedEntityType>();
  /** Beacons whose open message is being looked at. */
  private readonly checking = new Set<string>();
  private readonly published = new Map<string, number>();
  private readonly listeners = new Set<(event: CertificatePublishedEvent) => void>();
  private unsubscribe: (() => void)[] = [];
  private work: Promise<void> = Promise.resolve();
  private running = false;

  constructor(private readonly options: AggregatorServiceOptions) {
    if (options.windowMs !== undefined && !(options.windowMs >= 0 && Number.isFinite(options.windowMs))) {
      throw new AggregationError(
        'INVALID_OPTIONS',
        `windowMs must be a non-negative number, got ${options.windowMs}`,
      );
    }
    this.types = new Set(options.entityTypes);
  }

  /** Watches signatures and stored certificates; looks at the current beacons at once. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { events, certificates, chain } = this.options;
    this.unsubscribe = [
      events.on('signature:accepted', ({ entity }) => this.consider(entity)),
      certificates.subscribe((event) => this.onStored(event)),
    ];
    for (const type of this.types) {
      try {
        this.consider(timePointToSignedEntityType(type, chain.currentTimePoint()));
      } catch (error) {
        // CardanoStakeDistribution has no beacon in epoch 0.
        if (!(error instanceof SignedEntityTypeError)) throw error;
      }
    }
    await this.whenIdle();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    for (const timer of this.timers.values()) this.options.clock.clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    await this.whenIdle();
  }

  /** Resolves once the checks and builds started so far are done. */
  async whenIdle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.work;
      await current;
    } while (current !== this.work);
  }

  /** Certificates published per beacon (key: the beacon's JSON, as `entityKey`). */
  publications(): ReadonlyMap<string, number> {
    return this.published;
  }

  /** Calls `listener` after each publication; returns the unsubscribe function. */
  subscribe(listener: (event: CertificatePublishedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private enqueue(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((error: unknown) => log.error('aggregation failed: %s', error));
  }

  /** Schedules the beacon once its open message reaches the quorum. */
  private consider(entity: SignedEntityType): void {
    const key = entityKey(entity);
    if (!this.running || !this.types.has(entity.type) || this.checking.has(key)) return;
    const { certificates } = this.options;
    if (this.timers.has(key) || this.waiting.has(key) || certificates.isCertified(entity)) return;
    if (!certificates.certifiable(entity)) return;
    this.checking.add(key);
    this.enqueue(async () => {
      try {
        const result = await this.options.signing.openMessage(entity);
        if (result.status !== 'open') return;
        const open = result.openMessage;
        if (open.distinctIndexes < open.parameters.k) return;
        this.schedule(entity);
      } finally {
        this.checking.delete(key);
      }
    });
  }

  private schedule(entity: SignedEntityType): void {
    const key = entityKey(entity);
    if (!this.running || this.timers.has(key) || this.options.certificates.isCertified(entity)) return;
    const { clock, chain, nodeId, certificates } = this.options;
    if (certificates.parentOf(entity) === undefined) {
      // The delay starts once the parent is stored: drawn before, it would run twice.
      log('%s reached its quorum and waits for the certificate of its parent beacon', key);
      this.waiting.set(key, entity);
      return;
    }
    const epoch = chain.epochWindow(epochWhenSigned(entity));
    const windowMs = this.options.windowMs ?? stormWindowMs(epoch.endMs - epoch.startMs);
    const delay = stormDelayMs(windowMs, entity, nodeId);
    log('%s reached its quorum: assembling in %d ms unless a certificate comes', key, Math.round(delay));
    this.timers.set(
      key,
      clock.setTimeout(() => {
        this.timers.delete(key);
        this.enqueue(() => this.assemble(entity));
      }, delay),
    );
  }

  private onStored(event: CertificateStoredEvent): void {
    const key = entityKey(event.entity);
    const timer = this.timers.get(key);
    if (timer !== undefined) {
      this.options.clock.clearTimeout(timer);
      this.timers.delete(key);
      log('a certificate for %s came during the delay: not assembling', key);
    }
    this.waiting.delete(key);
    for (const [waitingKey, entity] of this.waiting) {
      if (entityKey(parentBeacon(entity)) !== key) continue;
      this.waiting.delete(waitingKey);
      // The parent's assembler holds it before anyone else: it goes on at once, and the others'
      // delays, which start when the parent reaches them, leave time for its certificate to come.
      if (event.own) this.enqueue(() => this.assemble(entity));
      else this.schedule(entity);
    }
  }

  private async assemble(entity: SignedEntityType): Promise<void> {
    const { certificates, signing, chain, network } = this.options;
    const key = entityKey(entity);
    if (!this.running || certificates.isCertified(entity) || !certificates.certifiable(entity)) return;
    const parent = certificates.parentOf(entity);
    if (parent === undefined) {
      log('%s waits for the certificate of its parent beacon', key);
      this.waiting.set(key, entity);
      return;
    }
    const result = await signing.openMessage(entity);
    if (result.status !== 'open') return;
    const open = result.openMessage;
    let certificate: Certificate;
    try {
      certificate = buildCandidateCertificate(open, parent, {
        network,
        epochStartMs: chain.epochWindow(open.signingEpoch).startMs,
      });
      certificates.verify(certificate, parent);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      log.error('cannot assemble the certificate of %s: %s', key, error.message);
      return;
    }
    if ((await certificates.offer(certificate, true)) !== 'stored') return;
    await this.publish(entity, certificates.getByBeacon(entity) ?? certificate);
  }

  private async publish(entity: SignedEntityType, certificate: Certificate): Promise<void> {
    const key = entityKey(entity);
    const { bytes, announced } = encodeCertificateGossip(certificate);
    this.published.set(key, (this.published.get(key) ?? 0) + 1);
    const peers = await this.options.publisher.publish(
      { kind: 'certificate', entityType: entity.type },
      bytes,
    );
    log('published certificate %s of %s to %d peers', certificate.hash, key, peers);
    const event: CertificatePublishedEvent = {
      hash: certificate.hash,
      entity,
      epoch: certificate.epoch,
      peers,
      announced,
    };
    for (const listener of this.listeners) listener(event);
  }
}
