/**
 * Peers refused for a while, in both directions: the host's connection gater asks `isBanned`
 * before dialling a peer and once an inbound connection is encrypted (its PeerId is then known).
 */
import type { Clock } from '../runtime/clock.ts';

export class BanList {
  private readonly clock: Clock;
  /** PeerId → end of its ban. */
  private readonly until = new Map<string, number>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  /** Bans `peerId` for `durationMs` (a later end wins over an earlier one). */
  ban(peerId: string, durationMs: number): void {
    const end = this.clock.now() + durationMs;
    if (end > (this.until.get(peerId) ?? 0)) this.until.set(peerId, end);
  }

  isBanned(peerId: string): boolean {
    const end = this.until.get(peerId);
    if (end === undefined) return false;
    if (end > this.clock.now()) return true;
    this.until.delete(peerId);
    return false;
  }

  /** Peers banned now. */
  list(): string[] {
    return [...this.until.keys()].filter((peerId) => this.isBanned(peerId));
  }
}
