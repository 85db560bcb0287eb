/**
 * The libp2p host of a mesh node: TCP + Noise + Yamux, identify, ping, a private Kademlia DHT
 * (`/mithril-mesh/<network>/kad/1.0.0`, server mode), bootstrap peers, and gossipsub with the
 * settings of `node/gossip/gossipsub-options.ts`. The host is returned unstarted, so that handlers
 * can be registered before the first peer connects.
 *
 * libp2p 2.x does not dial discovered peers by itself: `node/discovery/peer-manager.ts` does.
 */
import { GossipSub } from '@chainsafe/libp2p-gossipsub';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { bootstrap } from '@libp2p/bootstrap';
import { identify } from '@libp2p/identify';
import type { Identify } from '@libp2p/identify';
import type { ComponentLogger, PeerInfo, PrivateKey, Transport } from '@libp2p/interface';
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht';
import type { KadDHT } from '@libp2p/kad-dht';
import { ping } from '@libp2p/ping';
import type { Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import type { TCPComponents } from '@libp2p/tcp';
import { createLibp2p } from 'libp2p';
import type { Libp2p } from 'libp2p';
import { ProtocolError } from '../../protocol/errors.ts';
import { gossipsubOptions, loopbackOverrides } from '../gossip/gossipsub-options.ts';
import { isValidNetworkName } from '../gossip/topics.ts';
import type { GossipWireMetrics } from '../gossip/wire-metrics.ts';

/** Bad host options. Code: INVALID_NETWORK (a network name outside `[a-z0-9-]`, 1-32 chars). */
export class HostError extends ProtocolError {}

export type MeshServices = {
  identify: Identify;
  /** Named `ping`: kad-dht finds it under that name to check routing-table peers. */
  ping: Ping;
  dht: KadDHT;
  pubsub: GossipSub;
};

export type MeshHost = Libp2p<MeshServices>;

export interface HostOptions {
  network: string;
  privateKey: PrivateKey;
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`. */
  listen: string[];
  /** Multiaddrs to advertise instead of the listen addresses (behind NAT, a public name). */
  announce?: string[];
  /** Multiaddrs with `/p2p/<PeerId>` of peers to dial at start. */
  bootstrap: string[];
  /** Every peer shares one host (tests, local devnet): `loopbackOverrides()` and loopback DHT addresses. */
  loopback: boolean;
  /** Above this many connections libp2p prunes the least valuable ones. */
  maxConnections: number;
  /** Gossipsub seen cache: at least an epoch (see `GossipsubSettings.seenTtlMs`). */
  seenTtlMs: number;
  /** Decayed REJECT count of a peer (`PeerPenalties.rejects`): gossipsub's application score. */
  rejectCount: (peerId: string) => number;
  /** Peers refused in both directions (`BanList.isBanned`). */
  isBanned: (peerId: string) => boolean;
  /** Per-node log names (simulations run many nodes in one process). */
  logger?: ComponentLogger;
  /** Gossipsub's message counters go here (`GossipWireMetrics`). */
  wireMetrics?: GossipWireMetrics;
  /** The TCP transport to use instead of `tcp()` (simulations: `scripts/simnet/link.ts`). */
  transport?: (components: TCPComponents) => Transport;
}

/** The DHT protocol of a network: a private DHT, never mixed with IPFS's or another network's. */
export function kadProtocol(network: string): string {
  return `/mithril-mesh/${network}/kad/1.0.0`;
}

export async function createHost(options: HostOptions): Promise<MeshHost> {
  if (!isValidNetworkName(options.network))
    throw new HostError('INVALID_NETWORK', `invalid network name ${JSON.stringify(options.network)}`);
  const gossip = gossipsubOptions({
    network: options.network,
    seenTtlMs: options.seenTtlMs,
    rejectCount: options.rejectCount,
    loopback: options.loopback,
  });
  const banned = (peerId: { toString(): string }): boolean => options.isBanned(peerId.toString());
  return createLibp2p<MeshServices>({
    start: false,
    privateKey: options.privateKey,
    addresses: { listen: options.listen, announce: options.announce ?? [] },
    transports: [options.transport ?? tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.maxConnections,
      ...(options.loopback ? loopbackOverrides().connectionManager : {}),
    },
    // libp2p pings every peer every 10 s and, by default, aborts a connection whose ping times
    // out. A node stalled a few seconds (a burst of registration checks) then loses healthy
    // connections; gossipsub drops the peer on the stream error, and does not add it back while
    // another connection to it stays open: measured with 20 node processes on 2 cores, nodes
    // ended with 19 connections and no gossip peer at all. Dead connections are still found by
    // TCP and Yamux errors.
    connectionMonitor: { abortConnectionOnPingFailure: false },
    connectionGater: {
      denyDialPeer: banned,
      denyInboundEncryptedConnection: banned,
    },
    peerDiscovery: options.bootstrap.length > 0 ? [bootstrap({ list: options.bootstrap })] : [],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: kadProtocol(options.network),
        // Every mesh node answers DHT queries: without a public address libp2p would keep it a
        // client, and a network of clients finds nobody.
        clientMode: false,
        peerInfoMapper: options.loopback ? passthroughMapper : withoutLoopbackAddresses,
      }),
      pubsub: (components) =>
        new GossipSub(components, {
          ...gossip,
          ...(options.wireMetrics === undefined
            ? {}
            : {
                metricsRegister: options.wireMetrics,
                metricsTopicStrToLabel: options.wireMetrics.topicLabels,
              }),
        }),
    },
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

/** multiaddr protocol codes (multicodec table): ip4, ip6, dns, dns4, dns6. */
const IP4 = 4;
const IP6 = 41;
const DNS_CODES = new Set([53, 54, 55]);

/**
 * Keeps public and LAN addresses (relays of one operator often peer over a private network) and
 * drops loopback ones, which only ever reach the node that receives them.
 */
function withoutLoopbackAddresses(peer: PeerInfo): PeerInfo {
  return {
    ...peer,
    multiaddrs: peer.multiaddrs.filter((ma) => {
      const [first] = ma.stringTuples();
      if (first === undefined) return false;
      const [code, host] = first;
      if (code === IP4) return !(host ?? '').startsWith('127.');
      if (code === IP6) return host !== '::1';
      if (DNS_CODES.has(code)) return host !== 'localhost';
      return true;
    }),
  };
}
