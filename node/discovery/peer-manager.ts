/**
 * Keeps the node connected to `targetPeers` peers (libp2p 2.x dials nobody by itself):
 * - dials peers as they are discovered (bootstrap, DHT answers, remembered peers), and on every
 *   tick dials known peers while below target, with a back-off per peer after a failed dial;
 * - while below target, runs a DHT random walk (closest peers of a random key), as often as every
 *   `walkMinIntervalMs`, doubling the interval up to `walkMaxIntervalMs` while walks bring no new
 *   peer;
 * - disconnects and bans peers whose gossipsub score fell below `disconnectBelowScore` (REJECTed
 *   messages drive it down, see gossipsub-options.ts);
 * - disconnects connected gossip peers that have had no open outbound gossipsub stream for
 *   `streamRepairMs`: gossipsub opens that stream once per connection and never retries one that
 *   failed (`createOutboundStream`, "TODO make this behavior more robust"), keeps a stream whose
 *   connection closed, and drops a peer on a read error while another connection to it stays open.
 *   The peer then stays connected but never hears our subscriptions or messages: at mainnet scale
 *   (bench:network mainnet-scale, a node blocked long enough for its TCP sockets to time out) 10
 *   to 17 of 30 nodes ended connected to 25-29 peers and deaf to all gossip. A new connection
 *   (ours, the peer's, or another peer's) gets new streams;
 * - remembers identified peers with a non-negative score in the `PeerStore`, and dials them again
 *   after a restart;
 * - emits 'peers:changed' when the number of connected peers changes.
 * Time comes from the injected `Clock`.
 */
import type { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { IdentifyResult, Logger, PeerId, PeerInfo, Startable } from '@libp2p/interface';
import type { KadDHT } from '@libp2p/kad-dht';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { systemRandom } from '../../protocol/crypto/random.ts';
import type { MeshEvents } from '../events.ts';
import { PENALTY_MEMORY_MS, SCORE_THRESHOLDS } from '../gossip/gossipsub-options.ts';
import type { MeshHost } from '../p2p/host.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { PeerStore } from '../store/types.ts';
import type { BanList } from './ban-list.ts';

/** What the peer manager uses of the host. */
export type PeerManagerHost = Pick<
  MeshHost,
  | 'peerId'
  | 'getPeers'
  | 'dial'
  | 'hangUp'
  | 'getConnections'
  | 'peerStore'
  | 'addEventListener'
  | 'removeEventListener'
  | 'logger'
> & {
  services: {
    dht: Pick<KadDHT, 'getClosestPeers'>;
    pubsub: Pick<GossipSub, 'getScore' | 'peers'>;
  };
};

export interface PeerManagerInit {
  targetPeers: number;
  clock: Clock;
  events: MeshEvents;
  /** Remembered peers (`MeshStore.peers`). */
  store: PeerStore;
  banList: BanList;
  random?: RandomSource;
  /** Peers scoring below this are disconnected and banned (default: gossipsub's graylist threshold). */
  disconnectBelowScore?: number;
  banMs?: number;
  tickMs?: number;
  walkMinIntervalMs?: number;
  walkMaxIntervalMs?: number;
  walkTimeoutMs?: number;
  dialTimeoutMs?: number;
  redialBackoffMs?: number;
  /** Remembered peers not seen for this long are forgotten at start. */
  forgetAfterMs?: number;
  /** A gossip peer without an open outbound gossipsub stream this long is disconnected. */
  streamRepairMs?: number;
}

/** Gossipsub refreshes scores once a heartbeat (1 s): checking more often sees nothing new. */
const DEFAULT_TICK_MS = 1000;
/** kad-dht's own first self-queries run every second; its later ones every 5 minutes. */
const DEFAULT_WALK_MIN_INTERVAL_MS = 1000;
const DEFAULT_WALK_MAX_INTERVAL_MS = 5 * 60 * 1000;
/** libp2p's default dial timeout; a walk is a few dials and FIND_NODE round trips. */
const DEFAULT_DIAL_TIMEOUT_MS = 10_000;
const DEFAULT_WALK_TIMEOUT_MS = 10_000;
/** A peer that could not be dialled is left alone for 30 s (three libp2p dial timeouts). */
const DEFAULT_REDIAL_BACKOFF_MS = 30_000;
/** A relay gone for a week has most likely moved or retired. */
const DEFAULT_FORGET_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Three of libp2p's 10-s protocol negotiation timeouts (`PROTOCOL_NEGOTIATION_TIMEOUT`): gossipsub
 * opens outbound streams one at a time, so a healthy one may wait behind a couple that time out.
 */
const DEFAULT_STREAM_REPAIR_MS = 30_000;
/** Gossipsub's protocol ids: /meshsub/1.0.0 to /meshsub/1.2.0. */
const GOSSIPSUB_PROTOCOL_PREFIX = '/meshsub/';
/** Random walk keys: 32 bytes, the size of the SHA-256 DHT key space. */
const WALK_KEY_BYTES = 32;

export class PeerManager implements Startable {
  private readonly host: PeerManagerHost;
  private readonly init: PeerManagerInit;
  private readonly random: RandomSource;
  private readonly log: Logger;
  private readonly disconnectBelowScore: number;
  private readonly banMs: number;
  private readonly tickMs: number;
  private readonly walkMinIntervalMs: number;
  private readonly walkMaxIntervalMs: number;
  private readonly walkTimeoutMs: number;
  private readonly dialTimeoutMs: number;
  private readonly redialBackoffMs: number;
  private readonly forgetAfterMs: number;
  private readonly streamRepairMs: number;

  private running = false;
  /** Bumped at each start: a tick of an earlier run never schedules the next one. */
  private generation = 0;
  private stopController = new AbortController();
  private timer: TimerHandle | undefined;
  private readonly dialing = new Set<string>();
  /** PeerId → time of its last failed dial. */
  private readonly failedAt = new Map<string, number>();
  private walking = false;
  private walkIntervalMs: number;
  private nextWalkAt = 0;
  private lastConnected = -1;
  /** Gossip peer → when it was first seen without an outbound stream. */
  private readonly streamlessSince = new Map<string, number>();

  constructor(host: PeerManagerHost, init: PeerManagerInit) {
    this.host = host;
    this.init = init;
    this.random = init.random ?? systemRandom;
    this.log = host.logger.forComponent('mithril-mesh:peer-manager');
    this.disconnectBelowScore = init.disconnectBelowScore ?? SCORE_THRESHOLDS.graylistThreshold;
    // As long as gossipsub keeps a disconnected peer's score and our REJECT counts.
    this.banMs = init.banMs ?? PENALTY_MEMORY_MS;
    this.tickMs = init.tickMs ?? DEFAULT_TICK_MS;
    this.walkMinIntervalMs = init.walkMinIntervalMs ?? DEFAULT_WALK_MIN_INTERVAL_MS;
    this.walkMaxIntervalMs = init.walkMaxIntervalMs ?? DEFAULT_WALK_MAX_INTERVAL_MS;
    this.walkTimeoutMs = init.walkTimeoutMs ?? DEFAULT_WALK_TIMEOUT_MS;
    this.dialTimeoutMs = init.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
    this.redialBackoffMs = init.redialBackoffMs ?? DEFAULT_REDIAL_BACKOFF_MS;
    this.forgetAfterMs = init.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.streamRepairMs = init.streamRepairMs ?? DEFAULT_STREAM_REPAIR_MS;
    this.walkIntervalMs = this.walkMinIntervalMs;
  }

  /** Starts managing connections; the host must be started. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.stopController = new AbortController();
    this.host.addEventListener('peer:discovery', this.onDiscovery);
    this.host.addEventListener('peer:connect', this.onConnectionsChanged);
    this.host.addEventListener('peer:disconnect', this.onDisconnect);
    this.host.addEventListener('peer:identify', this.onIdentify);
    await this.loadRemembered();
    this.onConnectionsChanged();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopController.abort();
    if (this.timer !== undefined) this.init.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.host.removeEventListener('peer:discovery', this.onDiscovery);
    this.host.removeEventListener('peer:connect', this.onConnectionsChanged);
    this.host.removeEventListener('peer:disconnect', this.onDisconnect);
    this.host.removeEventListener('peer:identify', this.onIdentify);
  }

  /** Connected peers now. */
  connected(): number {
    return this.host.getPeers().length;
  }

  private schedule(ms: number): void {
    const generation = this.generation;
    this.timer = this.init.clock.setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => {
        if (this.running && generation === this.generation) this.schedule(this.tickMs);
      });
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      await this.disconnectBadPeers();
      await this.disconnectStreamlessPeers();
      if (this.connected() >= this.init.targetPeers) return;
      await this.dialKnownPeers();
      if (!this.walking && this.init.clock.now() >= this.nextWalkAt) void this.walk();
    } catch (err) {
      this.log.error('tick failed: %e', err);
    }
  }

  private async disconnectBadPeers(): Promise<void> {
    for (const peer of this.host.getPeers()) {
      const id = peer.toString();
      const score = this.host.services.pubsub.getScore(id);
      if (score >= this.disconnectBelowScore) continue;
      this.log('disconnecting %p: score %d < %d', peer, score, this.disconnectBelowScore);
      this.init.banList.ban(id, this.banMs);
      await Promise.all([
        this.host.hangUp(peer).catch((err: unknown) => this.log.error('hang up %p: %e', peer, err)),
        this.init.store.remove(id).catch((err: unknown) => this.log.error('forget %p: %e', peer, err)),
      ]);
    }
  }

  private async disconnectStreamlessPeers(): Promise<void> {
    const { peers } = this.host.services.pubsub;
    const now = this.init.clock.now();
    const streamless = new Map<string, PeerId>();
    for (const peer of this.host.getPeers()) {
      const id = peer.toString();
      if (peers.has(id) && this.sendsGossipTo(peer)) continue;
      if (await this.speaksGossip(peer)) streamless.set(id, peer);
    }
    for (const id of this.streamlessSince.keys()) {
      if (!streamless.has(id)) this.streamlessSince.delete(id);
    }
    for (const [id, peer] of streamless) {
      const since = this.streamlessSince.get(id);
      if (since === undefined) {
        this.streamlessSince.set(id, now);
        continue;
      }
      if (now - since < this.streamRepairMs) continue;
      this.streamlessSince.delete(id);
      this.log('disconnecting %s: no open outbound gossip stream for %d ms', id, now - since);
      await this.host.hangUp(peer).catch((err: unknown) => this.log.error('hang up %s: %e', id, err));
    }
  }

  /** Some open connection to `peer` carries an open gossipsub stream of ours. */
  private sendsGossipTo(peer: PeerId): boolean {
    return this.host
      .getConnections(peer)
      .some(
        (c) =>
          c.status === 'open' &&
          c.streams.some(
            (s) =>
              s.direction === 'outbound' &&
              s.status === 'open' &&
              s.protocol?.startsWith(GOSSIPSUB_PROTOCOL_PREFIX),
          ),
      );
  }

  /** The peer announced gossipsub (identify): a peer not identified yet is left alone. */
  private async speaksGossip(peer: PeerId): Promise<boolean> {
    try {
      const { protocols } = await this.host.peerStore.get(peer);
      return protocols.some((p) => p.startsWith(GOSSIPSUB_PROTOCOL_PREFIX));
    } catch {
      // Not in the peer store (yet): nothing known to repair.
      return false;
    }
  }

  /** Dials known (peer store) peers until the dials in flight would fill the target. */
  private async dialKnownPeers(): Promise<void> {
    const now = this.init.clock.now();
    for (const [id, at] of this.failedAt) if (now - at >= this.redialBackoffMs) this.failedAt.delete(id);
    const connected = new Set(this.host.getPeers().map((p) => p.toString()));
    const candidates = (await this.host.peerStore.all()).filter(
      (peer) => peer.addresses.length > 0 && this.dialable(peer.id.toString(), connected),
    );
    for (const peer of this.shuffle(candidates)) {
      if (!this.wantsMore()) break;
      this.dial(peer.id);
    }
  }

  private dialable(id: string, connected: ReadonlySet<string>): boolean {
    return (
      id !== this.host.peerId.toString() &&
      !connected.has(id) &&
      !this.dialing.has(id) &&
      !this.failedAt.has(id) &&
      !this.init.banList.isBanned(id)
    );
  }

  private wantsMore(): boolean {
    return this.running && this.connected() + this.dialing.size < this.init.targetPeers;
  }

  private dial(peer: PeerId): void {
    const id = peer.toString();
    this.dialing.add(id);
    const signal = AbortSignal.any([AbortSignal.timeout(this.dialTimeoutMs), this.stopController.signal]);
    this.host
      .dial(peer, { signal })
      .catch((err: unknown) => {
        this.failedAt.set(id, this.init.clock.now());
        this.log('dial %p failed: %e', peer, err);
      })
      .finally(() => this.dialing.delete(id));
  }

  private async walk(): Promise<void> {
    this.walking = true;
    let fresh = 0;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.walkTimeoutMs), this.stopController.signal]);
      const connected = new Set(this.host.getPeers().map((p) => p.toString()));
      for await (const event of this.host.services.dht.getClosestPeers(this.random(WALK_KEY_BYTES), {
        signal,
      })) {
        if (event.name !== 'FINAL_PEER' || !this.dialable(event.peer.id.toString(), connected)) continue;
        fresh++;
        if (this.wantsMore()) this.dial(event.peer.id);
      }
    } catch (err) {
      this.log('random walk ended: %e', err);
    } finally {
      this.walking = false;
    }
    // Back off while walks find nobody new: the network may simply be smaller than the target.
    this.walkIntervalMs =
      fresh > 0 ? this.walkMinIntervalMs : Math.min(2 * this.walkIntervalMs, this.walkMaxIntervalMs);
    this.nextWalkAt = this.init.clock.now() + this.walkIntervalMs;
  }

  private async loadRemembered(): Promise<void> {
    const now = this.init.clock.now();
    for (const record of await this.init.store.list()) {
      if (now - record.lastSeenMs > this.forgetAfterMs) {
        await this.init.store.remove(record.peerId);
        continue;
      }
      if (this.init.banList.isBanned(record.peerId)) continue;
      try {
        // New peers in the peer store come back as 'peer:discovery', which dials them.
        await this.host.peerStore.merge(peerIdFromString(record.peerId), {
          multiaddrs: record.multiaddrs.map((a) => multiaddr(a)),
        });
      } catch (err) {
        this.log.error('remembered peer %s unusable: %e', record.peerId, err);
      }
    }
  }

  private readonly onDiscovery = (event: CustomEvent<PeerInfo>): void => {
    const peer = event.detail;
    if (!this.wantsMore() || peer.multiaddrs.length === 0) return;
    const connected = new Set(this.host.getPeers().map((p) => p.toString()));
    if (this.dialable(peer.id.toString(), connected)) this.dial(peer.id);
  };

  private readonly onDisconnect = (): void => {
    // Fewer peers than before: look for new ones soon again.
    this.walkIntervalMs = this.walkMinIntervalMs;
    this.nextWalkAt = Math.min(this.nextWalkAt, this.init.clock.now() + this.walkIntervalMs);
    this.onConnectionsChanged();
  };

  private readonly onConnectionsChanged = (): void => {
    const connected = this.connected();
    if (connected === this.lastConnected) return;
    this.lastConnected = connected;
    this.init.events.emit('peers:changed', { connected });
  };

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, listenAddrs } = event.detail;
    const id = peerId.toString();
    if (listenAddrs.length === 0 || this.host.services.pubsub.getScore(id) < 0) return;
    this.init.store
      .put({
        peerId: id,
        multiaddrs: listenAddrs.map((a) => a.toString()),
        lastSeenMs: this.init.clock.now(),
      })
      .catch((err: unknown) => this.log.error('remember %p: %e', peerId, err));
  };

  /** Fisher-Yates with the injected randomness: dial order must not favour early entries. */
  private shuffle<T>(items: T[]): T[] {
    const bytes = this.random(4 * items.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = items.length - 1; i > 0; i--) {
      const j = view.getUint32(4 * i) % (i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}
