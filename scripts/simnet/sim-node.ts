/**
 * One simulated node as the runner drives it, wherever it runs: `SimNodeSpec` says what to build
 * (a plain, serialisable description, so that a child process can build the same node), and
 * `RunningNode` is the node built from it: a `MeshNode` on the link-conditioned transport
 * (link.ts), its adversarial behaviour if any (adversary.ts), and the measures the runner reads.
 *
 * Events reach the runner as `(name, payload, atMs)`: the node's own events, plus `sim:quorum`
 * when its open message for a beacon first holds k distinct lottery indexes (read after each
 * accepted signature, so the time may exceed the true quorum time by that read, never undercut it).
 */
import type { MeshEventMap, MeshEventName } from '../../node/events.ts';
import { validateNodeConfig } from '../../node/config/index.ts';
import type { NodeConfigInput } from '../../node/config/index.ts';
import { parseTopic } from '../../node/gossip/topics.ts';
import { createSimulatedIdentity } from '../../node/identity/index.ts';
import type { SignerIdentity } from '../../node/identity/index.ts';
import { MeshNode } from '../../node/mesh-node.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../protocol/crypto/random.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { startAdversary } from './adversary.ts';
import { beaconLabel } from './measure.ts';
import { ByteCounters, conditionedTcp } from './link.ts';
import { derivedRandom, derivedSeed } from './random.ts';
import type { LinkConditions } from './link.ts';
import type { AdversaryKind } from './scenario.ts';

export interface SimNodeSpec {
  index: number;
  /** Its node config, validated where the node is built. */
  config: NodeConfigInput;
  /** The scenario seed: signer identities, link randomness and adversarial choices derive from it. */
  seed: number;
  /** How many times this node started before (churn): a fresh link random stream each time. */
  incarnation: number;
  /** The signers it hosts (indexes into the scenario's signers). */
  signers: number[];
  /** What it sends goes through this link model. */
  link: LinkConditions;
  adversary?: AdversaryKind;
  /** The aggregator's storm-control window; undefined: the node's default. */
  aggregatorWindowMs?: number;
}

/** Measures read from a running node. */
export interface SimNodeStats {
  /** Validation verdict counters (`GossipValidation.counters`). */
  verdicts: [string, number][];
  /** Gossip message copies received from peers, duplicates included: all topics, signature topics. */
  copiesReceived: number;
  signatureCopiesReceived: number;
  /** Copies gossipsub had already seen. */
  duplicates: number;
  bytesSent: number;
  bytesReceived: number;
  /** REJECTs attributed to each peer (`GossipValidation.rejectedByPeer`). */
  rejectedByPeer: [string, number][];
  /** Gossipsub's score of each peer asked about. */
  scores: [string, number][];
  /** Only for a node alone in its process: its CPU time and peak RSS. */
  cpuSeconds?: number;
  peakRssBytes?: number;
}

export type SimEventListener = (name: MeshEventName | 'sim:quorum', payload: unknown, atMs: number) => void;

/** The quorum event's payload. */
export interface QuorumEvent {
  entity: SignedEntityType;
}

export class RunningNode {
  private constructor(
    readonly node: MeshNode,
    private readonly bytes: ByteCounters,
    private readonly stopAdversary: () => void,
  ) {}

  get peerId(): string {
    return this.node.peerId;
  }

  /** The node's loopback address, for bootstrap lists. */
  get address(): string | undefined {
    return this.node.multiaddrs().find((a) => a.includes('/127.0.0.1/'));
  }

  /**
   * Builds and starts the node of `spec`. `onError`: the adversarial behaviour failed (the run
   * cannot measure what it was asked to).
   */
  static async start(
    spec: SimNodeSpec,
    identities: SignerIdentity[],
    bls: BlsBackend,
    onEvent: SimEventListener,
    onError: (error: unknown) => void,
  ): Promise<RunningNode> {
    const config = validateNodeConfig(spec.config);
    const bytes = new ByteCounters();
    const node = await MeshNode.create({
      config,
      identities,
      backend: bls,
      transport: conditionedTcp(
        spec.link,
        bytes,
        derivedRandom(spec.seed, `link ${spec.index} ${spec.incarnation}`),
      ),
      ...(spec.aggregatorWindowMs === undefined ? {} : { aggregatorWindowMs: spec.aggregatorWindowMs }),
    });
    const quorumSeen = new Set<string>();
    node.events.onAny((name, payload) => {
      const at = Date.now();
      onEvent(name, payload, at);
      if (name === 'signature:accepted') {
        const { entity } = payload as MeshEventMap['signature:accepted'];
        const key = beaconLabel(entity);
        if (quorumSeen.has(key)) return;
        void node.signing.openMessage(entity).then(
          (result) => {
            if (
              !quorumSeen.has(key) &&
              result.status === 'open' &&
              result.openMessage.distinctIndexes >= config.protocol.k
            ) {
              quorumSeen.add(key);
              onEvent('sim:quorum', { entity } satisfies QuorumEvent, Date.now());
            }
          },
          // A node stopping mid-read: its quorum is simply not recorded.
          () => undefined,
        );
      }
    });
    await node.start();
    let stopAdversary = (): void => undefined;
    if (spec.adversary !== undefined) {
      stopAdversary = await startAdversary(node, spec.adversary, {
        bls,
        random: chaCha20Random(derivedSeed(spec.seed, `adversary ${spec.index} ${spec.incarnation}`)),
        onError,
      });
    }
    return new RunningNode(node, bytes, stopAdversary);
  }

  /** The measures so far; `peers`: whose gossipsub score to read. */
  stats(peers: readonly string[]): SimNodeStats {
    const { received, duplicates } = this.node.wireMetrics.counts();
    const network = this.node.config.network;
    let copies = 0;
    let signatureCopies = 0;
    for (const [topic, n] of received) {
      copies += n;
      if (parseTopic(network, topic)?.kind === 'signature') signatureCopies += n;
    }
    return {
      verdicts: [...this.node.gossip.counters()],
      copiesReceived: copies,
      signatureCopiesReceived: signatureCopies,
      duplicates: [...duplicates.values()].reduce((a, b) => a + b, 0),
      bytesSent: this.bytes.sent,
      bytesReceived: this.bytes.received,
      rejectedByPeer: [...this.node.gossip.rejectedByPeer()],
      scores: peers.map((p) => [p, this.node.gossip.getScore(p)]),
    };
  }

  async stop(): Promise<void> {
    this.stopAdversary();
    await this.node.stop();
  }
}

/** A started simulated node, in this process or its own. */
export interface SimNode {
  readonly index: number;
  readonly peerId: string;
  /** Its loopback address, for bootstrap lists. */
  readonly address: string | undefined;
  stats(peers: readonly string[]): Promise<SimNodeStats>;
  stop(): Promise<void>;
}

/**
 * The keys of signer identities `signers` of the scenario seeded `seed`. About 0.1 s of CPU each
 * (the KES key): runs make them before the clock starts, not while other nodes already run.
 */
export function simulatedIdentities(seed: number, signers: readonly number[]): SignerIdentity[] {
  return signers.map((j) => createSimulatedIdentity(derivedSeed(seed, `signer ${j}`)));
}

/** Starts the node of `spec`, whose signers are `identities`, in this process. */
export async function startInProcess(
  spec: SimNodeSpec,
  identities: SignerIdentity[],
  bls: BlsBackend,
  onEvent: SimEventListener,
  onError: (error: unknown) => void,
): Promise<SimNode> {
  const running = await RunningNode.start(spec, identities, bls, onEvent, onError);
  return {
    index: spec.index,
    peerId: running.peerId,
    address: running.address,
    stats: (peers) => Promise.resolve(running.stats(peers)),
    stop: () => running.stop(),
  };
}
