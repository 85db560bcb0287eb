/**
 * Items gathered into batches: `add` queues an item and resolves with its own verdict once its
 * batch has been run, which happens when the queue holds `batchSize` items or `batchDelayMs`
 * after its first item, whichever comes first. `run` returns the verdicts aligned with the items;
 * if it throws, every caller of that batch gets the error.
 */
import type { Clock, TimerHandle } from './clock.ts';

export interface BatchQueueOptions<T, V> {
  clock: Clock;
  batchSize: number;
  batchDelayMs: number;
  run: (items: T[]) => V[];
  /** Called after a batch is taken out of the queue (before it runs). */
  onFlush?: () => void;
}

interface Pending<T, V> {
  item: T;
  resolve: (verdict: V) => void;
  reject: (error: unknown) => void;
}

export class BatchQueue<T, V> {
  private pending: Pending<T, V>[] = [];
  private timer: TimerHandle | undefined;

  constructor(private readonly options: BatchQueueOptions<T, V>) {}

  add(item: T): Promise<V> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.options.batchSize) this.flush();
      else this.timer ??= this.options.clock.setTimeout(() => this.flush(), this.options.batchDelayMs);
    });
  }

  /** Runs the queued items now. */
  flush(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    this.options.onFlush?.();
    if (batch.length === 0) return;
    let verdicts: V[];
    try {
      verdicts = this.options.run(batch.map((p) => p.item));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => p.resolve(verdicts[i]!));
  }
}
