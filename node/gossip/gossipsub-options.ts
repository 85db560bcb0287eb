/**
 * Every gossipsub setting of the mesh in one place (@chainsafe/libp2p-gossipsub 14.1.2), with the
 * reason for each value that differs from the library's default. Settings that only make sense
 * when every peer shares one host (loopback and test networks) are apart, in `loopbackOverrides()`.
 *
 * Peer scoring, in short: a REJECT (provably invalid message) costs a peer 10·t² through the
 * invalid-deliveries term (P4, t = its decayed REJECT count on that topic) and 10·n² through the
 * application term (P5, n = its decayed REJECT count on all topics, counted by the validation
 * adapter); good behaviour adds at most +10 in total. So, whatever its past, a peer scores at most
 * -10 after one REJECT (the gossip threshold), -50 after two (publish threshold) and -110 after
 * three: below the graylist threshold (-80), where gossipsub ignores it and the peer manager
 * disconnects and bans it. Penalties fade to a tenth in an hour.
 */
import { createHash } from 'node:crypto';
import { StrictNoSign } from '@libp2p/interface';
import type { Message } from '@libp2p/interface';
import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub';
import type {
  PeerScoreParams,
  PeerScoreThresholds,
  TopicScoreParams,
} from '@chainsafe/libp2p-gossipsub/score';
import type { ConnectionManagerInit } from 'libp2p';
import { MAX_WIRE_BYTES } from '../../protocol/codec/wire.ts';
import { ACTIVE_SIGNED_ENTITY_TYPES } from '../../protocol/message/signed-entity-type.ts';
import type { MeshTopic } from './topics.ts';
import { topicName } from './topics.ts';

/**
 * Largest gossip message: a certificate announcement, whose multi-signature alone may take
 * `MAX_WIRE_BYTES` (1 MiB, a mainnet proof is at most about 310 KB) and whose other fields (the
 * signer list of its metadata, protocol message, AVK) fit in another MiB. Registrations are 797
 * bytes and single signatures under 2 KB. Each `TopicHandler.maxMessageBytes` is at most this.
 */
export const MAX_GOSSIP_MESSAGE_BYTES = 2 * MAX_WIRE_BYTES;

/** Behaviour-penalty units tolerated before P7 counts (Lighthouse, Lodestar: 6). */
const BEHAVIOUR_PENALTY_THRESHOLD = 6;
/** Heartbeats a received message stays cached for forwarding once validated: 10 min (library default 5 s). */
const MCACHE_HEARTBEATS = 600;
/** Heartbeats of validated messages advertised by IHAVE (library default 3). */
const MCACHE_GOSSIP_HEARTBEATS = 10;
/** IDONTWANT for every message above this: the smallest we send (a single signature) is larger. */
const IDONTWANT_MIN_BYTES = 128;
/** As the validation adapter's bound per topic (validation.ts DEFAULT_MAX_PENDING): one round of mainnet signatures. */
const DEFAULT_MAX_PENDING_VALIDATIONS = 4096;

/**
 * Largest gossipsub RPC frame read from a peer. One frame can carry many messages (an IWANT reply
 * to 5,000 message ids, gossipsub's IHAVE limit, of single signatures under 2 KB is 10 MB), and a
 * frame over the bound drops the peer's whole gossip stream, so it is 5 largest messages: 10 MiB,
 * Ethereum's GOSSIP_MAX_SIZE. Messages are held to their topic's own bound by the adapter.
 */
export const MAX_RPC_FRAME_BYTES = 5 * MAX_GOSSIP_MESSAGE_BYTES;

/**
 * Bytes queued for one peer before gossipsub drops what it sends to that peer: a peer that has not
 * drained 3 full frames cannot keep up, and the queue would otherwise grow without bound.
 */
const MAX_OUTBOUND_BUFFER_BYTES = 3 * MAX_RPC_FRAME_BYTES;

/**
 * Message ids travel in every IHAVE, IWANT and IDONTWANT and fill the seen cache for a whole
 * epoch: 20 bytes of SHA-256 (a 2^80 birthday bound, as Ethereum's 20-byte ids) instead of 32.
 */
export const MESSAGE_ID_BYTES = 20;

/** Score counters decay once a second (library default), and count as zero below a tenth (default). */
const DECAY_INTERVAL_MS = 1000;
export const DECAY_TO_ZERO = 0.1;

/**
 * Misbehaviour is remembered about an hour: a counter falls to `DECAY_TO_ZERO` of its value in
 * that time, matching gossipsub's `retainScore` default (a disconnected peer's score is kept 1 h).
 */
export const PENALTY_MEMORY_MS = 60 * 60 * 1000;

/** Per-interval decay factor that takes a counter to `DECAY_TO_ZERO` in `memoryMs`. */
function decayPerInterval(memoryMs: number): number {
  return DECAY_TO_ZERO ** (DECAY_INTERVAL_MS / memoryMs);
}

/** Positive score (time in mesh, first deliveries, all topics together) never exceeds this. */
const POSITIVE_SCORE_CAP = 10;

/** P4 weight: t REJECTs on one topic cost 10·t². */
const INVALID_MESSAGE_WEIGHT = -10;

/** P5 weight: the application score is -(REJECTs on all topics)², so n REJECTs cost 10·n². */
const APP_SPECIFIC_WEIGHT = 10;

/** First deliveries counted towards P2, at most (then P2 is at its maximum). */
const FIRST_DELIVERIES_CAP = 100;

/** P1 counts whole seconds in the mesh, up to an hour. */
const TIME_IN_MESH_QUANTUM_MS = 1000;
const TIME_IN_MESH_CAP = 3600;

/**
 * Score thresholds (the library's values, spelt out because the weights above are derived from
 * them): below `gossipThreshold` no IHAVE/IWANT with the peer, below `publishThreshold` we do not
 * publish to it, below `graylistThreshold` every RPC from it is ignored. `opportunisticGraftThreshold`
 * is lowered from 20 to half of `POSITIVE_SCORE_CAP`: 20 is out of reach, so the median mesh score
 * would always look poor and trigger opportunistic grafting.
 */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -10,
  publishThreshold: -50,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: POSITIVE_SCORE_CAP / 2,
};

/**
 * Score parameters of each topic, the same for every kind: an invalid message costs the same on
 * any topic. P1 and P2 share the positive cap evenly among the `topicCount` topics, so that no
 * past good behaviour on other topics can absorb the penalties of a topic.
 */
function topicScoreParams(topicCount: number): TopicScoreParams {
  const perTerm = POSITIVE_SCORE_CAP / 2 / topicCount;
  const penaltyDecay = decayPerInterval(PENALTY_MEMORY_MS);
  return {
    topicWeight: 1,
    // P1: an hour in the mesh earns the term's share.
    timeInMeshWeight: perTerm / TIME_IN_MESH_CAP,
    timeInMeshQuantum: TIME_IN_MESH_QUANTUM_MS,
    timeInMeshCap: TIME_IN_MESH_CAP,
    // P2: first deliveries of valid messages, remembered like penalties.
    firstMessageDeliveriesWeight: perTerm / FIRST_DELIVERIES_CAP,
    firstMessageDeliveriesDecay: penaltyDecay,
    firstMessageDeliveriesCap: FIRST_DELIVERIES_CAP,
    // P3 and P3b off (weight 0; the other values only pass the library's checks): traffic comes in
    // bursts (registrations at epoch start, signatures at each beacon) with long silences between,
    // so a minimum delivery rate would punish honest mesh peers.
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: penaltyDecay,
    meshMessageDeliveriesCap: 1,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 0,
    meshMessageDeliveriesActivation: 0,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: penaltyDecay,
    // P4: REJECTed messages.
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    invalidMessageDeliveriesDecay: penaltyDecay,
  };
}

/** Every topic a network has (all active signed-entity types), so that each has score parameters. */
export function meshTopics(): MeshTopic[] {
  return [
    { kind: 'registration' },
    ...ACTIVE_SIGNED_ENTITY_TYPES.map((entityType): MeshTopic => ({ kind: 'signature', entityType })),
    ...ACTIVE_SIGNED_ENTITY_TYPES.map((entityType): MeshTopic => ({ kind: 'certificate', entityType })),
  ];
}

/**
 * Content-addressed message id: SHA-256 over the topic (length-prefixed) and the data, truncated to
 * `MESSAGE_ID_BYTES`. Without signatures there is no (author, seqno) to name a message, and the
 * same bytes relayed by many peers must be one message. The topic is included so that valid bytes
 * first sent on a wrong topic (REJECTed there) cannot make the right topic drop them as seen.
 */
export function messageId(message: Pick<Message, 'topic' | 'data'>): Uint8Array {
  const topic = new TextEncoder().encode(message.topic);
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, topic.length);
  const digest = createHash('sha256').update(length).update(topic).update(message.data).digest();
  return Uint8Array.from(digest.subarray(0, MESSAGE_ID_BYTES));
}

export interface GossipsubSettings {
  network: string;
  /**
   * How long message ids are remembered: at least one epoch (from config), so that a message is
   * never processed twice in the round it belongs to. Memory grows with the messages of one epoch.
   */
  seenTtlMs: number;
  /** Decayed count of a peer's REJECTed messages (`PeerPenalties.rejects`): feeds P5. */
  rejectCount: (peerId: string) => number;
  /** Every peer shares one host (tests, local devnet): apply `loopbackOverrides()`. */
  loopback: boolean;
}

/** Library default seen cache (2 min): a shorter configured epoch never shortens it. */
const MIN_SEEN_TTL_MS = 2 * 60 * 1000;

/** Gossipsub options for a node of `settings.network`. */
export function gossipsubOptions(settings: GossipsubSettings): Partial<GossipsubOpts> {
  const topics = meshTopics();
  const scoreParams: Partial<PeerScoreParams> = {
    topics: Object.fromEntries(
      topics.map((t) => [topicName(settings.network, t), topicScoreParams(topics.length)]),
    ),
    // A guard: the topic terms already share the positive cap.
    topicScoreCap: POSITIVE_SCORE_CAP,
    appSpecificScore: (peerId) => -(settings.rejectCount(peerId) ** 2),
    appSpecificWeight: APP_SPECIFIC_WEIGHT,
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: DECAY_TO_ZERO,
    // P6 (IP colocation) keeps the library default (-5 beyond 10 peers per IP). P7 (behaviour:
    // GRAFT during backoff, IWANT promises broken for 3 s) tolerates 6 units before its
    // -10·(counter − 6)², as Lighthouse and Lodestar: a node stalled a few seconds (20 nodes on 2
    // cores) breaks promises without fault, and with the library's 0 a one-second spike of 3
    // units crossed the graylist threshold, got honest peers banned and cut a bootstrap node off
    // the registrations of an epoch.
    behaviourPenaltyThreshold: BEHAVIOUR_PENALTY_THRESHOLD,
    ...(settings.loopback ? loopbackOverrides().scoreParams : {}),
  };
  return {
    // Payloads authenticate themselves (KES-signed registrations, BLS signatures, certificates):
    // libp2p signatures would only add an Ed25519 sign/verify per message (measured: 25 nodes, 1,000
    // messages: 24.4 s signed, 4.5 s with StrictNoSign and content ids).
    globalSignaturePolicy: StrictNoSign,
    msgIdFn: messageId,
    // Validation awaits crypto (batched BLS, KES): the adapter reports each verdict, and messages are
    // forwarded only once ACCEPTed.
    asyncValidation: true,
    // mcache keeps a message for this many heartbeats (1 s each, default 5); with asyncValidation a
    // message is forwarded only if its verdict comes back while it is cached, and validations wait
    // in per-topic queues and signature batches under load. Measured: 20 nodes sharing 2 cores,
    // each checking 200 registrations (~9 ms each) in a burst, took over 10 s to return verdicts,
    // and registrations stopped spreading after the first hop (closed sets of 70-139 of 200 pools).
    // 30 nodes checking 3,000 registrations each on 2 cores return verdicts up to ~7 min late (and
    // closed 1,055-1,390 of 3,000 with a 1-min cache): 10 min keeps relaying through such backlogs
    // while verdicts can still count (a registration window is minutes or more); the cache holds
    // one registration per pool and a few rounds of signatures, a few MB at mainnet scale.
    mcacheLength: MCACHE_HEARTBEATS,
    // IHAVE advertises the messages validated within the last this many heartbeats (default 3): a
    // message validated after a longer backlog would never be advertised to non-mesh peers.
    mcacheGossip: MCACHE_GOSSIP_HEARTBEATS,
    seenTTL: Math.max(settings.seenTtlMs, MIN_SEEN_TTL_MS),
    // Publishing with no subscribed peer yet is not an error: publishers check the recipient count
    // and re-announce later (a node alone at start must not crash).
    allowPublishToZeroTopicPeers: true,
    // Re-announcing bytes already seen within seenTTL is a no-op (0 recipients), not an error.
    ignoreDuplicatePublishError: true,
    // A closed network of gossipsub peers: floodsub peers would bypass the mesh and scoring.
    fallbackToFloodsub: false,
    // Only this network's topics: subscriptions and messages on any other topic are dropped before
    // they allocate per-topic state.
    allowedTopics: topics.map((t) => topicName(settings.network, t)),
    // Gossipsub 1.2 IDONTWANT: on a message's first copy a node tells its mesh peers not to send
    // it; they skip it if they have not forwarded yet, which is the common case since forwarding
    // waits for validation (batched BLS). The library sends it only for messages of 512 B and
    // more; ours are smaller (signatures with small parameters: about 450 B) and each duplicate
    // avoided saves its size for ~25 B per mesh peer. Measured (8 nodes, 30 ms links): 4.3
    // signature copies per node per signature without it.
    idontwantMinDataSize: IDONTWANT_MIN_BYTES,
    // One round brings one signature per signer and beacon type within seconds (mainnet: ~3,000
    // pools): the default 512 IDONTWANTs per peer and heartbeat would drop most of them.
    idontwantMaxMessages: DEFAULT_MAX_PENDING_VALIDATIONS,
    maxInboundDataLength: MAX_RPC_FRAME_BYTES,
    maxOutboundBufferSize: MAX_OUTBOUND_BUFFER_BYTES,
    scoreParams,
    scoreThresholds: SCORE_THRESHOLDS,
    // Kept at the library defaults: D = 6, Dlo = 4, Dhi = 12, Dlazy = 6, heartbeat 1 s,
    // floodPublish (own messages go to every subscribed peer above publishThreshold: a fast first
    // hop), doPX off (discovery is the DHT's job), emitSelf off (the adapter runs our own accept
    // path), tagMeshPeers (the connection manager keeps mesh peers when it prunes).
  };
}

export interface LoopbackOverrides {
  scoreParams: Pick<PeerScoreParams, 'IPColocationFactorWeight'>;
  connectionManager: Pick<
    ConnectionManagerInit,
    'inboundConnectionThreshold' | 'maxIncomingPendingConnections'
  >;
}

/**
 * Settings for networks whose peers all share one host (tests, a local devnet): never for a real
 * network, where they would remove Sybil and connection-flood protections.
 */
export function loopbackOverrides(): LoopbackOverrides {
  return {
    scoreParams: {
      // Every peer is 127.0.0.1: P6 would treat them as one host's Sybils (measured: beyond 10
      // peers every score fell to about -600 and meshes stayed empty).
      IPColocationFactorWeight: 0,
    },
    connectionManager: {
      // libp2p accepts 5 inbound connections per second from one host; here every peer is that
      // host. 100 lets a 100-node simulation start at once.
      inboundConnectionThreshold: 100,
      // libp2p allows 10 inbound connections in upgrade at once; same reason, same bound.
      maxIncomingPendingConnections: 100,
    },
  };
}
