/**
 * The timers a component has pending on a `Clock`, so that stopping it cancels every one.
 */
import type { Clock, TimerHandle } from '../runtime/clock.ts';

export class TimerSet {
  private readonly pending = new Set<TimerHandle>();

  constructor(private readonly clock: Clock) {}

  /** Calls `fn` at Unix ms `atMs` (at once if already past). */
  at(atMs: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.pending.delete(handle);
      fn();
    }, atMs - this.clock.now());
    this.pending.add(handle);
  }

  clear(): void {
    for (const handle of this.pending) this.clock.clearTimeout(handle);
    this.pending.clear();
  }
}
