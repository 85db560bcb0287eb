/**
 * A TCP transport for simulations that delays and counts what a node sends: libp2p's own TCP
 * transport, with every connection's byte stream passed through a link model before Noise and
 * Yamux see it (the wrapper swaps the upgrader handed to `dial` and `createListener`, so the
 * connection is conditioned before it is upgraded).
 *
 * The model, per direction of a connection (each end conditions what it writes):
 * - latency: each chunk the sender writes arrives `median ± jitter` ms later (uniform jitter);
 * - loss: TCP never loses bytes, it retransmits them; a chunk is "lost" with probability `loss`
 *   and then arrives one retransmission timeout later (RTO: twice the median delay, the round
 *   trip, floored at Linux's 200 ms `TCP_RTO_MIN`);
 * - order: a chunk never overtakes the one before it (TCP's in-order delivery: a late chunk
 *   holds back the ones behind it, as a lost segment does).
 * Chunks are whatever Yamux writes (a frame or a few), not IP packets: loss is per chunk.
 * Every byte written and read on the node's connections is counted, conditioned or not.
 */
import type { Transport, Upgrader, MultiaddrConnection } from '@libp2p/interface';
import { tcp } from '@libp2p/tcp';
import type { TCPComponents } from '@libp2p/tcp';
import type { Uint8ArrayList } from 'uint8arraylist';

export interface LinkConditions {
  /** One-way delay of what this node sends: `median` ± up to `jitter` (uniform), in ms. */
  readonly latencyMs: { readonly median: number; readonly jitter: number };
  /** Probability that a chunk needs a retransmission, in [0, 1). */
  readonly loss: number;
}

/** Bytes on the wire of one node, both directions, all connections (Noise and Yamux framing included). */
export class ByteCounters {
  sent = 0;
  received = 0;
}

/** Linux's minimum retransmission timeout (`TCP_RTO_MIN`, include/net/tcp.h: HZ/5). */
const TCP_MIN_RTO_MS = 200;
/** RFC 6298: RTO = SRTT + 4·RTTVAR, about twice the one-way delay on a link without variance. */
const RTO_ROUND_TRIPS = 2;

type Chunk = Uint8Array | Uint8ArrayList;

/** Whether `conditions` change anything (else only bytes are counted). */
export function isConditioned(conditions: LinkConditions): boolean {
  return conditions.latencyMs.median > 0 || conditions.latencyMs.jitter > 0 || conditions.loss > 0;
}

/** The delay of one chunk under `conditions`, from `random` in [0, 1). */
export function chunkDelayMs(conditions: LinkConditions, random: () => number): number {
  const { median, jitter } = conditions.latencyMs;
  const delay = Math.max(0, median + jitter * (2 * random() - 1));
  if (conditions.loss > 0 && random() < conditions.loss) {
    return delay + Math.max(TCP_MIN_RTO_MS, RTO_ROUND_TRIPS * median);
  }
  return delay;
}

/**
 * `source` with each chunk held back until its arrival time: it is read as fast as it yields
 * (what is in flight is not limited) and replayed in order.
 */
export async function* delayed(
  source: AsyncIterable<Chunk>,
  delayOf: () => number,
  now: () => number = Date.now,
): AsyncGenerator<Chunk> {
  const queue: { chunk: Chunk; dueMs: number }[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  let lastDueMs = 0;
  void (async () => {
    try {
      for await (const chunk of source) {
        lastDueMs = Math.max(now() + delayOf(), lastDueMs);
        queue.push({ chunk, dueMs: lastDueMs });
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake?.();
    }
  })();
  for (;;) {
    const next = queue.shift();
    if (next === undefined) {
      if (failure !== undefined) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      continue;
    }
    const waitMs = next.dueMs - now();
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    yield next.chunk;
  }
}

async function* counted(source: AsyncIterable<Chunk>, add: (bytes: number) => void): AsyncGenerator<Chunk> {
  for await (const chunk of source) {
    add(chunk.byteLength);
    yield chunk;
  }
}

function conditionConnection(
  maConn: MultiaddrConnection,
  conditions: LinkConditions,
  counters: ByteCounters,
  random: () => number,
): MultiaddrConnection {
  const conditioned = isConditioned(conditions);
  return {
    ...maConn,
    source: counted(maConn.source, (n) => (counters.received += n)) as MultiaddrConnection['source'],
    sink: async (source) => {
      const out = counted(source, (n) => (counters.sent += n));
      await maConn.sink(conditioned ? delayed(out, () => chunkDelayMs(conditions, random)) : out);
    },
  };
}

/** `target` with two methods replaced; every other method still runs on `target` itself. */
function overriding<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, property, receiver) {
      if (Object.hasOwn(overrides, property)) return overrides[property as keyof T];
      const value: unknown = Reflect.get(t, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** libp2p's TCP transport with `conditions` applied to what this node sends, and its bytes counted. */
export function conditionedTcp(
  conditions: LinkConditions,
  counters: ByteCounters,
  random: () => number,
): (components: TCPComponents) => Transport {
  const inner = tcp();
  return (components) => {
    const transport = inner(components);
    const upgrader = (original: Upgrader): Upgrader =>
      overriding(original, {
        upgradeInbound: (maConn, options) =>
          original.upgradeInbound(conditionConnection(maConn, conditions, counters, random), options),
        upgradeOutbound: (maConn, options) =>
          original.upgradeOutbound(conditionConnection(maConn, conditions, counters, random), options),
      });
    return overriding(transport, {
      dial: (ma, options) => transport.dial(ma, { ...options, upgrader: upgrader(options.upgrader) }),
      createListener: (options) =>
        transport.createListener({ ...options, upgrader: upgrader(options.upgrader) }),
    });
  };
}
