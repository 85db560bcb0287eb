/**
 * What the simulation runner measures from the events of its nodes (sim-node.ts: each node's
 * events plus `sim:quorum`, with the time they happened), turned into the report's rounds.
 *
 * A round is one beacon (signed entity) whose signing epoch is among the certified epochs of the
 * run; it is known once any node accepted a signature or stored a certificate for it. Times are
 * wall-clock ms after the round opened (the start of its signing epoch).
 *
 * - `certificateAtNodeMs[i]`: the last `certificate:stored` of the beacon on node i (a later
 *   candidate may displace the first one).
 * - `signatureHeldAtNodeMs[s][i]`: the first `signature:accepted` of signer s on node i; one row
 *   per signer that signed the beacon (seen by any node), in signer order.
 * - `quorumAtFirstNodeMs`: the first `sim:quorum` of the beacon over the nodes (its open message
 *   held k distinct lottery indexes).
 * - REJECT verdicts (`gossip:invalid`) per sending peer, for the `byPeer` of `validation`.
 */
import type { MeshEventMap, MeshEventName } from '../../node/events.ts';
import { parseTopic } from '../../node/gossip/topics.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned } from '../../protocol/message/signed-entity-type.ts';
import type { RoundMeasurement, ValidationCount } from './report/index.ts';
import type { QuorumEvent } from './sim-node.ts';
import type { ValidationAction } from './report/model.ts';
import { NOT_HELD } from './report/index.ts';

/** A beacon as text: `MithrilStakeDistribution(4)`, `CardanoTransactions(4,1200)`. */
export function beaconLabel(entity: SignedEntityType): string {
  const { type, ...rest } = entity;
  return `${type}(${Object.values(rest).join(',')})`;
}

interface RoundRecord {
  epoch: number;
  entityType: string;
  /** Per node: when the kept certificate was last stored (Unix ms) and its hash. */
  stored: ({ atMs: number; hash: string } | undefined)[];
  /** Per signer index: per node, first acceptance (Unix ms). */
  held: Map<number, (number | undefined)[]>;
  /** Per node: when its open message first reached quorum (Unix ms). */
  quorum: (number | undefined)[];
}

export interface RecorderOptions {
  nodes: number;
  /** Signing epochs whose beacons are rounds (others are not recorded). */
  firstEpoch: number;
  lastEpoch: number;
  /** The quorum: distinct lottery indexes needed (protocol k). */
  k: number;
  /** Signer index of each party id. */
  signerIndex: ReadonlyMap<string, number>;
  /** Start (Unix ms) of a signing epoch. */
  epochStartMs(epoch: number): number;
  /** The nodes' network name, to read topic kinds. */
  network: string;
  /** Nodes not expected to hold certificates (adversaries, nodes down at the end): `heldEverywhere` skips them. */
  unawaited?: ReadonlySet<number>;
}

/** Gossip verdict counter keys: `${topicKind}:accept` or `${topicKind}:${action}:${reason}`. */
const ACCEPT_KEY_PARTS = 2;
/** The topic kind the gossip adapter counts a message of an unknown topic under. */
const UNKNOWN_TOPIC_KIND = 'unknown';

export class Recorder {
  private readonly rounds = new Map<string, RoundRecord>();
  /** Every single signature accepted anywhere, any epoch: `${beacon} ${partyId}`. */
  private readonly signatures = new Set<string>();
  private readonly options: RecorderOptions;
  /** Verdict counter key (`${topicKind}:reject:${reason}`) → sending peer → REJECTs, over all nodes. */
  private readonly rejects = new Map<string, Map<string, number>>();

  constructor(options: RecorderOptions) {
    this.options = options;
  }

  /** Records an event of node `index` that happened at `atMs` (Unix ms). */
  record(index: number, name: MeshEventName | 'sim:quorum', payload: unknown, atMs: number): void {
    if (name === 'signature:accepted') {
      this.onSignature(index, payload as MeshEventMap['signature:accepted'], atMs);
    } else if (name === 'sim:quorum') {
      const { entity } = payload as QuorumEvent;
      const round = this.round(entity, epochWhenSigned(entity));
      if (round !== undefined) round.quorum[index] ??= atMs;
    } else if (name === 'certificate:stored') {
      this.onCertificate(index, payload as MeshEventMap['certificate:stored'], atMs);
    } else if (name === 'gossip:invalid') {
      this.onInvalid(payload as MeshEventMap['gossip:invalid']);
    }
  }

  /** Distinct single signatures accepted by any node during the run, every epoch. */
  signaturesSeen(): number {
    return this.signatures.size;
  }

  /** REJECTs per verdict counter key, split by the peer that sent them. */
  rejectsByPeer(): ReadonlyMap<string, ReadonlyMap<string, number>> {
    return this.rejects;
  }

  /**
   * The hash every node keeps for `label` (nodes in `unawaited` aside), or undefined while some
   * node has none or they differ.
   */
  heldEverywhere(label: string): string | undefined {
    const unawaited = this.options.unawaited ?? new Set<number>();
    const stored = this.rounds.get(label)?.stored.filter((_, i) => !unawaited.has(i));
    if (stored === undefined || stored.some((s) => s === undefined)) return undefined;
    const hashes = new Set(stored.map((s) => s!.hash));
    return hashes.size === 1 ? [...hashes][0] : undefined;
  }

  /** Beacons of signing epoch `epoch` seen so far. */
  labelsOf(epoch: number): string[] {
    return [...this.rounds].filter(([, r]) => r.epoch === epoch).map(([label]) => label);
  }

  /** Entity types of the beacons of `epoch` seen so far. */
  typesOf(epoch: number): Set<string> {
    return new Set([...this.rounds.values()].filter((r) => r.epoch === epoch).map((r) => r.entityType));
  }

  /** Per node: ms after the round opened at which it stored the kept certificate of `label`. */
  certificateTimes(label: string): (number | null)[] {
    const round = this.rounds.get(label);
    if (round === undefined) return new Array<null>(this.options.nodes).fill(null);
    const opened = this.options.epochStartMs(round.epoch);
    return round.stored.map((s) => (s === undefined ? null : s.atMs - opened));
  }

  /** The rounds in (epoch, label) order. */
  roundMeasurements(runStartMs: number): RoundMeasurement[] {
    return [...this.rounds]
      .sort(([la, a], [lb, b]) => a.epoch - b.epoch || (la < lb ? -1 : la > lb ? 1 : 0))
      .map(([label, r]) => {
        const opened = this.options.epochStartMs(r.epoch);
        const quorums = r.quorum.filter((t): t is number => t !== undefined);
        return {
          epoch: r.epoch,
          entityType: r.entityType,
          openedAtMs: opened - runStartMs,
          quorumAtFirstNodeMs: quorums.length === 0 ? null : Math.max(0, Math.min(...quorums) - opened),
          certificateAtNodeMs: this.certificateTimes(label),
          signatureHeldAtNodeMs: [...r.held]
            .sort(([a], [b]) => a - b)
            .map(([, byNode]) => byNode.map((t) => (t === undefined ? NOT_HELD : Math.max(0, t - opened)))),
        };
      });
  }

  private round(entity: SignedEntityType, epoch: number): RoundRecord | undefined {
    if (epoch < this.options.firstEpoch || epoch > this.options.lastEpoch) return undefined;
    const label = beaconLabel(entity);
    let round = this.rounds.get(label);
    if (round === undefined) {
      const n = this.options.nodes;
      round = {
        epoch,
        entityType: entity.type,
        stored: new Array<undefined>(n).fill(undefined),
        held: new Map(),
        quorum: new Array<undefined>(n).fill(undefined),
      };
      this.rounds.set(label, round);
    }
    return round;
  }

  private onSignature(index: number, event: MeshEventMap['signature:accepted'], at: number): void {
    this.signatures.add(`${beaconLabel(event.entity)} ${event.partyId}`);
    const round = this.round(event.entity, epochWhenSigned(event.entity));
    const signer = this.options.signerIndex.get(event.partyId);
    if (round === undefined || signer === undefined) return;
    let byNode = round.held.get(signer);
    if (byNode === undefined) {
      byNode = new Array<undefined>(this.options.nodes).fill(undefined);
      round.held.set(signer, byNode);
    }
    byNode[index] ??= at;
  }

  private onInvalid(event: MeshEventMap['gossip:invalid']): void {
    if (event.action !== 'reject') return;
    const kind = parseTopic(this.options.network, event.topic)?.kind ?? UNKNOWN_TOPIC_KIND;
    const key = `${kind}:reject:${event.reason}`;
    let byPeer = this.rejects.get(key);
    if (byPeer === undefined) {
      byPeer = new Map();
      this.rejects.set(key, byPeer);
    }
    byPeer.set(event.from, (byPeer.get(event.from) ?? 0) + 1);
  }

  private onCertificate(index: number, event: MeshEventMap['certificate:stored'], at: number): void {
    if (event.genesis) return;
    const round = this.round(event.entity, event.epoch);
    if (round !== undefined) round.stored[index] = { atMs: at, hash: event.hash };
  }
}

/**
 * Gossip verdict counters of every node, merged: one count per (topic kind and reason, action);
 * an entry whose key is in `byPeer` (`Recorder.rejectsByPeer`) gets its split by sending peer.
 */
export function validationCounts(
  counters: readonly ReadonlyMap<string, number>[],
  byPeer: ReadonlyMap<string, ReadonlyMap<string, number>> = new Map(),
): ValidationCount[] {
  const merged = new Map<string, number>();
  for (const c of counters) for (const [key, n] of c) merged.set(key, (merged.get(key) ?? 0) + n);
  return [...merged]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, count]) => {
      const parts = key.split(':');
      if (parts.length === ACCEPT_KEY_PARTS) return { reason: parts[0]!, action: 'accept', count };
      const [kind, action, ...reason] = parts;
      const peers = byPeer.get(key);
      return {
        reason: `${kind}:${reason.join(':')}`,
        action: action as ValidationAction,
        count,
        ...(peers === undefined ? {} : { byPeer: Object.fromEntries(peers) }),
      };
    });
}
