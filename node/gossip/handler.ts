/**
 * What a domain module (registration, signing, aggregation) gives the gossip layer for one topic,
 * and what the gossip layer gives back. Domain modules never see libp2p.
 */
import type { MeshTopic } from './topics.ts';

export interface TopicHandler<T> {
  topic: MeshTopic;
  /** Largest accepted message, in bytes: bigger ones are rejected before decoding. */
  maxMessageBytes: number;
  /** Bytes to a typed message; throws `GossipValidationError` (reject MALFORMED) on bad input. */
  decode(data: Uint8Array): T;
  /**
   * Full validation, cheap checks first. Resolves when the message is valid (it is then
   * forwarded and `accept` runs); throws `GossipValidationError` otherwise. May wait, e.g. to
   * verify signatures in batches.
   */
  validate(message: T, from: string): Promise<void>;
  /** Called once for each message that passed `validate` (store it, update state, emit events). */
  accept(message: T, from: string): Promise<void>;
}

export interface GossipPublisher {
  /**
   * Publishes `data` on `topic` and runs the local `accept` path as if received. Resolves with the
   * number of peers it was sent to (0 when no peer is subscribed yet: callers that must reach
   * peers re-announce later).
   */
  publish(topic: MeshTopic, data: Uint8Array): Promise<number>;
}

/** Counters of validation outcomes: `${topicKind}:${action}:${reason}` → count. */
export type ValidationCounters = ReadonlyMap<string, number>;
