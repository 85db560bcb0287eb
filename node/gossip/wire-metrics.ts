/**
 * Gossipsub's own message counters, kept in memory: how many copies of each topic's messages
 * reached this node from the wire, and how many of those were duplicates of a message it had
 * already seen (dropped by gossipsub before any validation, so the validation adapter never
 * counts them). Gossipsub reports them through a metrics register; this one keeps its counters
 * (gauges) and ignores its histograms and min/avg/max summaries, which nothing here reads.
 */
import type {
  AvgMinMax,
  Gauge,
  Histogram,
  MetricsRegister,
  TopicStrToLabel,
} from '@chainsafe/libp2p-gossipsub/metrics';

/** Gossipsub 14.1 counter names (its `metrics.js`): every message copy received, and the duplicates among them. */
const RECEIVED = 'gossipsub_msg_received_prevalidation_total';
const DUPLICATES = 'gossipsub_pre_validation_duplicate_total';

export interface WireMessageCounts {
  /** Message copies received from peers, by topic name (duplicates included). */
  readonly received: ReadonlyMap<string, number>;
  /** The copies among them that gossipsub had seen before, by topic name. */
  readonly duplicates: ReadonlyMap<string, number>;
}

type Labels = Record<string, string | number>;

export class GossipWireMetrics implements MetricsRegister {
  /** Gauge name → label values (JSON) → value. */
  private readonly gauges = new Map<string, Map<string, number>>();
  /** Gossipsub labels metrics by topic through this map; topics missing from it keep their name. */
  readonly topicLabels: TopicStrToLabel = new Map();

  gauge<L extends Labels>(config: { name: string }): Gauge<L> {
    const values = new Map<string, number>();
    this.gauges.set(config.name, values);
    const key = (labels: unknown): string => JSON.stringify(labels ?? {});
    // Gossipsub calls `inc(labels, n)` / `set(labels, n)` on labelled gauges and `inc(n)` on plain ones.
    const split = (a: unknown, b: unknown): [string, number | undefined] =>
      typeof a === 'object' && a !== null
        ? [key(a), b as number | undefined]
        : [key({}), a as number | undefined];
    return {
      inc: (a?: unknown, b?: unknown) => {
        const [k, n] = split(a, b);
        values.set(k, (values.get(k) ?? 0) + (n ?? 1));
      },
      set: (a: unknown, b?: unknown) => {
        const [k, n] = split(a, b);
        values.set(k, n ?? 0);
      },
      addCollect: () => undefined,
    } as unknown as Gauge<L>;
  }

  histogram<L extends Labels>(): Histogram<L> {
    return {
      startTimer: () => () => undefined,
      observe: () => undefined,
      reset: () => undefined,
    } as Histogram<L>;
  }

  avgMinMax<L extends Labels>(): AvgMinMax<L> {
    return { set: () => undefined } as AvgMinMax<L>;
  }

  /** The counters so far. */
  counts(): WireMessageCounts {
    return { received: this.byTopic(RECEIVED), duplicates: this.byTopic(DUPLICATES) };
  }

  private byTopic(name: string): Map<string, number> {
    const result = new Map<string, number>();
    for (const [labels, value] of this.gauges.get(name) ?? []) {
      const topic = (JSON.parse(labels) as { topic?: string }).topic;
      if (topic !== undefined) result.set(topic, (result.get(topic) ?? 0) + value);
    }
    return result;
  }
}
