/**
 * A queue of async jobs with a concurrency limit and a bound on pending jobs (waiting + running):
 * the caller checks `full` and drops work instead of queueing without bound.
 */
export class BoundedQueue {
  readonly concurrency: number;
  readonly maxPending: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(concurrency: number, maxPending: number) {
    this.concurrency = concurrency;
    this.maxPending = maxPending;
  }

  get pending(): number {
    return this.active + this.waiting.length;
  }

  get full(): boolean {
    return this.pending >= this.maxPending;
  }

  /** Runs `job` once a slot is free. Check `full` first: this never refuses a job. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) this.active++;
    // A finishing job hands its slot over: `active` stays as it is.
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.active--;
      else next();
    }
  }
}
