/**
 * REJECTed messages counted per peer, decaying like gossipsub's score counters: to a tenth in
 * `PENALTY_MEMORY_MS`, then forgotten. The decayed count feeds gossipsub's application score (P5,
 * see gossipsub-options.ts); the raw count is for reports. Anything that finds a peer's message
 * provably invalid (the gossip adapter, a request/response client) records it here.
 */
import type { Clock } from '../runtime/clock.ts';
import { DECAY_TO_ZERO, PENALTY_MEMORY_MS } from './gossipsub-options.ts';

interface Entry {
  /** Decayed count at `atMs`. */
  value: number;
  atMs: number;
  /** REJECTs since the peer was last forgotten. */
  total: number;
}

/** Above this many peers, peers whose count decayed to zero are dropped on the next record. */
const PRUNE_ABOVE = 1024;

export class PeerPenalties {
  private readonly clock: Clock;
  private readonly memoryMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(clock: Clock, memoryMs: number = PENALTY_MEMORY_MS) {
    this.clock = clock;
    this.memoryMs = memoryMs;
  }

  /** Counts one REJECTed message from `peerId`. */
  record(peerId: string): void {
    if (this.entries.size > PRUNE_ABOVE) this.prune();
    const now = this.clock.now();
    const entry = this.entries.get(peerId);
    this.entries.set(peerId, {
      value: (entry === undefined ? 0 : this.decayed(entry, now)) + 1,
      atMs: now,
      total: (entry?.total ?? 0) + 1,
    });
  }

  /** Decayed REJECT count of `peerId` (0 once it fell below a tenth). */
  rejects(peerId: string): number {
    const entry = this.entries.get(peerId);
    if (entry === undefined) return 0;
    const value = this.decayed(entry, this.clock.now());
    return value < DECAY_TO_ZERO ? 0 : value;
  }

  /** Raw REJECT counts of the peers not yet forgotten. */
  totals(): ReadonlyMap<string, number> {
    return new Map([...this.entries].map(([peerId, entry]) => [peerId, entry.total]));
  }

  private decayed(entry: Entry, now: number): number {
    return entry.value * DECAY_TO_ZERO ** ((now - entry.atMs) / this.memoryMs);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [peerId, entry] of this.entries)
      if (this.decayed(entry, now) < DECAY_TO_ZERO) this.entries.delete(peerId);
  }
}
