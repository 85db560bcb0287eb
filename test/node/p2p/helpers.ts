/**
 * Test nodes on TCP loopback in one process: real libp2p hosts with the mesh's settings, and
 * event-driven waits (never sleeps).
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { BanList } from '../../../node/discovery/ban-list.ts';
import { MeshEvents } from '../../../node/events.ts';
import { PeerPenalties } from '../../../node/gossip/peer-penalties.ts';
import { createHost } from '../../../node/p2p/host.ts';
import type { MeshHost } from '../../../node/p2p/host.ts';
import { systemClock } from '../../../node/runtime/clock.ts';
import type { PeerRecord, PeerStore } from '../../../node/store/types.ts';

export const NETWORK = 'testnet';

export interface TestNode {
  host: MeshHost;
  events: MeshEvents;
  penalties: PeerPenalties;
  banList: BanList;
  /** The node's first listen address with `/p2p/<PeerId>`. */
  addr: string;
  id: string;
}

/** A fresh Ed25519 key typed as libp2p 2.x takes it (see `asLibp2pKey` in node/p2p/peer-id.ts). */
export async function generatePeerKey(): Promise<PrivateKey> {
  return (await generateKeyPair('Ed25519')) as unknown as PrivateKey;
}

export async function startNode(
  options: { bootstrap?: string[]; maxConnections?: number } = {},
): Promise<TestNode> {
  const key = await generatePeerKey();
  const penalties = new PeerPenalties(systemClock);
  const banList = new BanList(systemClock);
  const host = await createHost({
    network: NETWORK,
    privateKey: key,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: options.bootstrap ?? [],
    loopback: true,
    maxConnections: options.maxConnections ?? 50,
    seenTtlMs: 60_000,
    rejectCount: (peerId) => penalties.rejects(peerId),
    isBanned: (peerId) => banList.isBanned(peerId),
    logger: defaultLogger(),
  });
  await host.start();
  const addr = host.getMultiaddrs()[0]?.toString();
  if (addr === undefined) throw new Error('host listens nowhere');
  return { host, events: new MeshEvents(), penalties, banList, addr, id: host.peerId.toString() };
}

/** Stops every node, whatever happens to the others. */
export async function stopAll(nodes: { host: MeshHost }[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.host.stop()));
}

interface Listenable<K extends string> {
  addEventListener(type: K, listener: () => void): void;
  removeEventListener(type: K, listener: () => void): void;
}

/**
 * Resolves once `condition()` holds, checking now and after each of `events` on `target`;
 * rejects after `timeoutMs`.
 */
export function until<K extends string>(
  target: Listenable<K>,
  events: K[],
  condition: () => boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!condition()) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      for (const e of events) target.removeEventListener(e, check);
    };
    for (const e of events) target.addEventListener(e, check);
    check();
  });
}

/** Resolves at the next `event` on `target`; rejects after `timeoutMs`. */
export function nextEvent<K extends string>(
  target: Listenable<K>,
  event: K,
  timeoutMs = 20_000,
): Promise<void> {
  let seen = false;
  return until(
    target,
    [event],
    () => {
      // The first check runs at once, before any event.
      const fired = seen;
      seen = true;
      return fired;
    },
    timeoutMs,
    event,
  );
}

export class MemoryPeerStore implements PeerStore {
  readonly records = new Map<string, PeerRecord>();

  async put(record: PeerRecord): Promise<void> {
    this.records.set(record.peerId, record);
  }

  async list(): Promise<PeerRecord[]> {
    return [...this.records.values()];
  }

  async remove(peerId: string): Promise<void> {
    this.records.delete(peerId);
  }
}
