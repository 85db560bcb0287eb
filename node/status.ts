/**
 * `<dataDir>/status.json`: what a running node last knew (epoch, peers, latest certificate per
 * type), rewritten when it changes, at most once a second. LevelDB is locked while a node runs,
 * so this file is how `mithril-mesh status` sees a live node. Written atomically (temp + rename).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SignedEntityTypeName } from '../protocol/message/signed-entity-type.ts';
import type { MeshEvents } from './events.ts';
import type { Clock, TimerHandle } from './runtime/clock.ts';

export const STATUS_FILE = 'status.json';
/** Gossip can store several certificates a second; the file needs no finer grain than this. */
const MIN_WRITE_INTERVAL_MS = 1000;

export interface NodeStatus {
  network: string;
  peerId: string;
  running: boolean;
  epoch: number;
  peers: number;
  /** Highest recording epoch whose registration this node closed, with its signer count. */
  lastClosedRegistration: { epoch: number; signers: number } | null;
  latestCertificates: Partial<Record<SignedEntityTypeName | 'genesis', { hash: string; epoch: number }>>;
  updatedAt: string;
}

export interface StatusSources {
  dataDir: string;
  network: string;
  peerId: string;
  events: MeshEvents;
  clock: Clock;
  currentEpoch(): number;
  connectedPeers(): number;
}

export class StatusFile {
  private readonly status: NodeStatus;
  private timer: TimerHandle | undefined;
  private lastWrite = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly sources: StatusSources) {
    this.status = {
      network: sources.network,
      peerId: sources.peerId,
      running: false,
      epoch: 0,
      peers: 0,
      lastClosedRegistration: null,
      latestCertificates: {},
      updatedAt: '',
    };
  }

  start(): void {
    this.status.running = true;
    this.unsubscribe = this.sources.events.onAny((name, payload) => {
      if (name === 'registration:closed') {
        const { epoch, signers } = payload as { epoch: number; signers: number };
        if (epoch >= (this.status.lastClosedRegistration?.epoch ?? -1))
          this.status.lastClosedRegistration = { epoch, signers };
      } else if (name === 'certificate:stored') {
        const { hash, epoch, genesis, entity } = payload as {
          hash: string;
          epoch: number;
          genesis: boolean;
          entity: { type: SignedEntityTypeName };
        };
        const key = genesis ? 'genesis' : entity.type;
        const current = this.status.latestCertificates[key];
        if (current === undefined || epoch >= current.epoch)
          this.status.latestCertificates[key] = { hash, epoch };
      } else if (name !== 'peers:changed') {
        return;
      }
      this.schedule();
    });
    this.write();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer !== undefined) this.sources.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.status.running = false;
    this.write();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastWrite + MIN_WRITE_INTERVAL_MS - this.sources.clock.now());
    this.timer = this.sources.clock.setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, wait);
  }

  private write(): void {
    const { dataDir, clock } = this.sources;
    this.lastWrite = clock.now();
    this.status.epoch = this.sources.currentEpoch();
    this.status.peers = this.sources.connectedPeers();
    this.status.updatedAt = new Date(this.lastWrite).toISOString();
    const file = join(dataDir, STATUS_FILE);
    const temp = `${file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.status, null, 2) + '\n', { mode: 0o600 });
    renameSync(temp, file);
  }
}
