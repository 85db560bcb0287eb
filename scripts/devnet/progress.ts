/**
 * What the devnet shows while it runs: it folds every node's event lines into per-epoch facts
 * (registrations seen, closed sets and whether their AVKs agree, signatures per beacon, invalid
 * gossip) and prints a summary line when an epoch ends.
 */
import { createHash } from 'node:crypto';
import { epochWhenSigned } from '../../protocol/message/signed-entity-type.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import type { EventLine } from './event-lines.ts';

interface EpochFacts {
  registrationsSeen: Map<number, Set<string>>;
  closedAvks: Map<number, string>;
  signers: number;
  signatures: Map<string, Map<number, Set<string>>>;
}

/** A short fingerprint of an AVK's JSON-hex (its first characters are the same for every AVK). */
function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

export class DevnetProgress {
  private readonly nodes: number;
  private readonly listening = new Map<number, string>();
  private readonly peers = new Map<number, number>();
  private readonly epochs = new Map<number, EpochFacts>();
  private readonly invalid = new Map<string, number>();
  /** Beacon label -> its signing epoch, and node -> hash of the certificate that node keeps. */
  private readonly certificates = new Map<string, { signingEpoch: number; byNode: Map<number, string> }>();
  /** Beacon label -> node -> hashes it published (storm control: how many aggregators publish). */
  private readonly published = new Map<string, Map<number, Set<string>>>();
  /** Beacons already announced as held by every node. */
  private readonly agreed = new Set<string>();

  constructor(nodes: number) {
    this.nodes = nodes;
  }

  private facts(epoch: number): EpochFacts {
    let f = this.epochs.get(epoch);
    if (!f) {
      f = { registrationsSeen: new Map(), closedAvks: new Map(), signers: 0, signatures: new Map() };
      this.epochs.set(epoch, f);
    }
    return f;
  }

  /** Folds one event; returns a line worth printing at once, if any. */
  record(node: number, line: EventLine): string | undefined {
    switch (line.event) {
      case 'node:listening': {
        const data = line.data as { peerId: string; multiaddrs: string[] };
        this.listening.set(node, data.peerId);
        return `node ${node} listening as ${data.peerId} (${this.listening.size}/${this.nodes} up)`;
      }
      case 'peers:changed':
        this.peers.set(node, (line.data as { connected: number }).connected);
        return undefined;
      case 'registration:accepted': {
        const data = line.data as { epoch: number; partyId: string };
        const seen = this.facts(data.epoch).registrationsSeen;
        if (!seen.has(node)) seen.set(node, new Set());
        seen.get(node)!.add(data.partyId);
        return undefined;
      }
      case 'registration:closed': {
        const data = line.data as { epoch: number; signers: number; avk: string };
        const f = this.facts(data.epoch);
        f.closedAvks.set(node, data.avk);
        f.signers = data.signers;
        if (f.closedAvks.size === this.listening.size) return this.closedLine(data.epoch);
        return undefined;
      }
      case 'signature:accepted': {
        const data = line.data as { entity: SignedEntityType; partyId: string };
        const key = `${data.entity.type}(${data.entity.epoch})`;
        // Shown with the epoch it is signed in: CardanoStakeDistribution(E-1) is signed during E.
        const f = this.facts(epochWhenSigned(data.entity));
        if (!f.signatures.has(key)) f.signatures.set(key, new Map());
        const byNode = f.signatures.get(key)!;
        if (!byNode.has(node)) byNode.set(node, new Set());
        byNode.get(node)!.add(data.partyId);
        return undefined;
      }
      case 'gossip:invalid': {
        const data = line.data as { action: string; reason: string };
        const key = `${data.action} ${data.reason}`;
        this.invalid.set(key, (this.invalid.get(key) ?? 0) + 1);
        return undefined;
      }
      case 'certificate:stored': {
        const data = line.data as { hash: string; entity: SignedEntityType; genesis: boolean };
        const key = data.genesis ? 'genesis' : `${data.entity.type}(${data.entity.epoch})`;
        if (!this.certificates.has(key)) {
          this.certificates.set(key, { signingEpoch: epochWhenSigned(data.entity), byNode: new Map() });
        }
        const { byNode } = this.certificates.get(key)!;
        byNode.set(node, data.hash);
        const hashes = new Set(byNode.values());
        if (byNode.size === this.listening.size && hashes.size === 1 && !this.agreed.has(key)) {
          this.agreed.add(key);
          return `certificate ${key} ${data.hash.slice(0, 16)}… held by all ${byNode.size} nodes`;
        }
        return undefined;
      }
      case 'certificate:published': {
        const data = line.data as { hash: string; entity: SignedEntityType };
        const key = `${data.entity.type}(${data.entity.epoch})`;
        if (!this.published.has(key)) this.published.set(key, new Map());
        const byNode = this.published.get(key)!;
        if (!byNode.has(node)) byNode.set(node, new Set());
        byNode.get(node)!.add(data.hash);
        return undefined;
      }
      case 'node:error':
        return `node ${node} error: ${(line.data as { message: string }).message}`;
      default:
        return undefined;
    }
  }

  private closedLine(epoch: number): string {
    const f = this.facts(epoch);
    const avks = new Set(f.closedAvks.values());
    const agreement =
      avks.size === 1
        ? `same AVK (sha256 ${digest([...avks][0]!)}) on all ${f.closedAvks.size} nodes`
        : `${avks.size} DIFFERENT AVKs across ${f.closedAvks.size} nodes`;
    return `registration for epoch ${epoch} closed: ${f.signers} signers, ${agreement}`;
  }

  /** True while every node holds the same certificate for each of `beacons` (labels like `MithrilStakeDistribution(4)`). */
  allHold(beacons: string[]): boolean {
    return beacons.every((key) => {
      const byNode = this.certificates.get(key)?.byNode;
      return (
        byNode !== undefined && byNode.size === this.listening.size && new Set(byNode.values()).size === 1
      );
    });
  }

  /** The facts that concern epoch `epoch` (registrations recorded for epoch+1, beacons of epoch), as lines. */
  epochSummary(epoch: number): string[] {
    const lines: string[] = [];
    const peers = [...this.peers.values()];
    const avgPeers = peers.length ? (peers.reduce((a, b) => a + b, 0) / peers.length).toFixed(1) : '0';
    lines.push(
      `epoch ${epoch} ended: ${this.listening.size}/${this.nodes} nodes up, ${avgPeers} peers each on average`,
    );
    const next = this.epochs.get(epoch + 1);
    if (next && next.registrationsSeen.size > 0) {
      const counts = [...next.registrationsSeen.values()].map((s) => s.size);
      lines.push(
        `  registrations for epoch ${epoch + 1}: each node saw ${Math.min(...counts)}-${Math.max(...counts)} of ${this.nodes}`,
      );
    }
    for (const [key, byNode] of this.epochs.get(epoch)?.signatures ?? []) {
      const counts = [...byNode.values()].map((s) => s.size);
      lines.push(
        `  ${key}: ${Math.max(...counts)} signatures, held by ${byNode.size}/${this.listening.size} nodes (min ${Math.min(...counts)} per node)`,
      );
    }
    for (const [key, { signingEpoch, byNode }] of this.certificates) {
      if (signingEpoch !== epoch) continue;
      const hashes = new Set(byNode.values());
      const publishers = this.published.get(key) ?? new Map<number, Set<string>>();
      const publishedHashes = new Set([...publishers.values()].flatMap((h) => [...h]));
      const storm =
        key === 'genesis'
          ? ''
          : `; published by ${publishers.size} node(s) as ${publishedHashes.size} distinct`;
      lines.push(
        `  certificate ${key}: held by ${byNode.size}/${this.listening.size} nodes, ${hashes.size} distinct kept${storm}`,
      );
    }
    if (this.invalid.size > 0) {
      lines.push(`  invalid gossip so far: ${[...this.invalid].map(([k, v]) => `${k}=${v}`).join(', ')}`);
    }
    return lines;
  }
}
