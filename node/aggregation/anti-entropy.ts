/**
 * Anti-entropy for certificates. Gossip delivers each certificate once, and a node may miss a
 * preferred candidate (it arrived before its parent, or while the node was busy) and keep an
 * inferior one that others ignore as not preferred: the preference rule alone then never
 * reconciles them. So every node regularly pulls the recent certificates of a few random peers;
 * each pulled certificate is validated and offered like a gossiped one, and the preference rule
 * does the rest (docs/convergence.md, "Exchange").
 */
import type { RandomSource } from '../../protocol/crypto/random.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { CertificateSync } from './sync.ts';

/** Peers asked per round: two random peers reach every connected node within a few rounds. */
const PEERS_PER_ROUND = 2;

export interface AntiEntropyOptions {
  sync: Pick<CertificateSync, 'pull'>;
  connectedPeers(): string[];
  clock: Clock;
  random: RandomSource;
  intervalMs: number;
}

export class CertificateAntiEntropy {
  private timer: TimerHandle | undefined;
  private running = false;
  private round: Promise<void> = Promise.resolve();

  constructor(private readonly options: AntiEntropyOptions) {}

  start(): void {
    this.running = true;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.round = this.pullRound().finally(() => this.schedule());
    }, this.options.intervalMs);
  }

  private async pullRound(): Promise<void> {
    const peers = [...this.options.connectedPeers()];
    for (let i = 0; i < PEERS_PER_ROUND && peers.length > 0; i++) {
      // 4 random bytes pick a peer (the ChaCha source hands out whole 32-bit words).
      const b = this.options.random(4);
      const pick = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      const [peer] = peers.splice(pick % peers.length, 1);
      // A failed pull is retried with other peers next round; the sync logs the cause.
      await this.options.sync.pull(peer!).catch(() => 0);
    }
  }
}
