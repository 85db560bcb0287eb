/**
 * The one adapter between gossipsub and the domain's `TopicHandler`s. For every message received
 * on a subscribed topic: unknown topic → REJECT UNKNOWN_TOPIC; above the handler's
 * `maxMessageBytes` → REJECT TOO_LARGE; `decode`; a per-topic bounded queue (full → IGNORE
 * QUEUE_FULL); `validate`; a `GossipValidationError` becomes its IGNORE/REJECT, any other error is
 * logged and IGNOREd as INTERNAL (a handler bug never crashes the node nor penalises a peer).
 * Every verdict is counted, reported to gossipsub (which forwards ACCEPTed messages only and
 * penalises REJECTs) and, unless ACCEPT, emitted as 'gossip:invalid'. REJECTs also feed
 * `PeerPenalties` (gossipsub's application score). Also the `GossipPublisher` of the node.
 */
import type { GossipSub, GossipsubMessage } from '@chainsafe/libp2p-gossipsub';
import { TopicValidatorResult } from '@libp2p/interface';
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface';
import { ProtocolError } from '../../protocol/errors.ts';
import type { MeshEvents } from '../events.ts';
import type { Clock } from '../runtime/clock.ts';
import { BoundedQueue } from './bounded-queue.ts';
import type { GossipAction } from './errors.ts';
import { GossipValidationError } from './errors.ts';
import { MAX_GOSSIP_MESSAGE_BYTES, messageId } from './gossipsub-options.ts';
import type { GossipPublisher, TopicHandler, ValidationCounters } from './handler.ts';
import type { PeerPenalties } from './peer-penalties.ts';
import type { MeshTopic } from './topics.ts';
import { parseTopic, topicName } from './topics.ts';

/**
 * Misuse of the adapter (a programming or configuration error, never caused by a peer). Codes:
 * DUPLICATE_HANDLER (a second handler for a topic), HANDLER_LIMIT (`maxMessageBytes` above
 * `MAX_GOSSIP_MESSAGE_BYTES`), NO_HANDLER (publishing on a topic without handler).
 */
export class GossipAdapterError extends ProtocolError {}

/** What the adapter uses of gossipsub. */
export type GossipRouter = Pick<
  GossipSub,
  | 'subscribe'
  | 'unsubscribe'
  | 'publish'
  | 'getSubscribers'
  | 'reportMessageValidationResult'
  | 'getScore'
  | 'addEventListener'
  | 'removeEventListener'
>;

export interface GossipValidationInit {
  network: string;
  router: GossipRouter;
  /** Our PeerId: the `from` of our own messages in `accept`. */
  selfPeerId: string;
  events: MeshEvents;
  penalties: PeerPenalties;
  clock: Clock;
  /** Same as gossipsub's seenTTL: how long our own published messages are remembered as accepted. */
  seenTtlMs: number;
  logger: ComponentLogger;
  /** Validations of one topic running at once (default `DEFAULT_CONCURRENCY`). */
  concurrency?: number;
  /** Validations of one topic waiting or running before new messages are IGNOREd (default `DEFAULT_MAX_PENDING`). */
  maxPendingPerTopic?: number;
}

/** Lets handlers verify signatures in batches of up to 64 while each awaits its verdict. */
export const DEFAULT_CONCURRENCY = 64;
/** One signing round brings one message per signer and topic: 4,096 is above mainnet's ~3,000 pools. */
export const DEFAULT_MAX_PENDING = 4096;

interface Registered {
  topic: MeshTopic;
  handler: TopicHandler<unknown>;
  queue: BoundedQueue;
  /** False: a publish-only topic (`register`'s `subscribe`). */
  subscribed: boolean;
}

export class GossipValidation implements GossipPublisher, Startable {
  private readonly init: GossipValidationInit;
  private readonly log: Logger;
  private readonly topics = new Map<string, Registered>();
  private readonly counts = new Map<string, number>();
  /** Message id → expiry of our own messages already run through `accept`, oldest first. */
  private readonly ownAccepted = new Map<string, number>();
  private started = false;

  constructor(init: GossipValidationInit) {
    this.init = init;
    this.log = init.logger.forComponent('mithril-mesh:gossip');
  }

  /**
   * Adds the handler of one topic; subscribes at once if started. Without `subscribe` the node
   * only publishes on the topic (to the peers subscribed to it) and receives nothing from it.
   */
  register<T>(handler: TopicHandler<T>, options: { subscribe: boolean } = { subscribe: true }): void {
    const name = topicName(this.init.network, handler.topic);
    if (this.topics.has(name))
      throw new GossipAdapterError('DUPLICATE_HANDLER', `a handler for ${name} exists`);
    if (handler.maxMessageBytes > MAX_GOSSIP_MESSAGE_BYTES)
      throw new GossipAdapterError(
        'HANDLER_LIMIT',
        `${name}: maxMessageBytes ${handler.maxMessageBytes} > ${MAX_GOSSIP_MESSAGE_BYTES}`,
      );
    const queue = new BoundedQueue(
      this.init.concurrency ?? DEFAULT_CONCURRENCY,
      this.init.maxPendingPerTopic ?? DEFAULT_MAX_PENDING,
    );
    this.topics.set(name, {
      topic: handler.topic,
      handler: handler as TopicHandler<unknown>,
      queue,
      subscribed: options.subscribe,
    });
    if (this.started && options.subscribe) this.init.router.subscribe(name);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.init.router.addEventListener('gossipsub:message', this.onMessage);
    for (const [name, r] of this.topics) if (r.subscribed) this.init.router.subscribe(name);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.init.router.removeEventListener('gossipsub:message', this.onMessage);
    for (const [name, r] of this.topics) if (r.subscribed) this.init.router.unsubscribe(name);
  }

  /**
   * Runs our own message through `accept` (once per message within seenTTL) and publishes it.
   * Resolves with the number of peers it was sent to: 0 when no peer is subscribed yet (gossipsub
   * is then not called, so that a later re-announce is not dropped as already seen) and 0 when the
   * same bytes were already published within seenTTL.
   */
  async publish(topic: MeshTopic, data: Uint8Array): Promise<number> {
    const name = topicName(this.init.network, topic);
    const registered = this.topics.get(name);
    if (registered === undefined) throw new GossipAdapterError('NO_HANDLER', `no handler for ${name}`);
    const id = Buffer.from(messageId({ topic: name, data })).toString('base64');
    if (!this.isOwnAccepted(id)) {
      await registered.handler.accept(registered.handler.decode(data), this.init.selfPeerId);
      this.ownAccepted.set(id, this.init.clock.now() + this.init.seenTtlMs);
    }
    if (this.init.router.getSubscribers(name).length === 0) return 0;
    const { recipients } = await this.init.router.publish(name, data);
    return recipients.length;
  }

  /** Verdict counts: `${topicKind}:${action}:${reason}` and `${topicKind}:accept`. */
  counters(): ValidationCounters {
    return this.counts;
  }

  /** REJECTed messages per peer (peers are forgotten once their penalty has decayed). */
  rejectedByPeer(): ReadonlyMap<string, number> {
    return this.init.penalties.totals();
  }

  /** Gossipsub's current score of a peer. */
  getScore(peerId: string): number {
    return this.init.router.getScore(peerId);
  }

  private readonly onMessage = (event: CustomEvent<GossipsubMessage>): void => {
    const { msg, msgId, propagationSource } = event.detail;
    void this.validate(msg.topic, msg.data, msgId, propagationSource.toString());
  };

  private async validate(topic: string, data: Uint8Array, msgId: string, from: string): Promise<void> {
    const registered = this.topics.get(topic);
    if (registered === undefined) {
      this.verdict(
        topic,
        parseTopic(this.init.network, topic)?.kind ?? 'unknown',
        msgId,
        from,
        'reject',
        'UNKNOWN_TOPIC',
      );
      return;
    }
    const { handler, queue, topic: meshTopic } = registered;
    const kind = meshTopic.kind;
    if (data.length > handler.maxMessageBytes) {
      this.verdict(topic, kind, msgId, from, 'reject', 'TOO_LARGE');
      return;
    }
    let message: unknown;
    try {
      message = handler.decode(data);
      // Checked after decoding: a malformed message is REJECTed even under load.
      if (queue.full) {
        this.verdict(topic, kind, msgId, from, 'ignore', 'QUEUE_FULL');
        return;
      }
      await queue.run(() => handler.validate(message, from));
    } catch (err) {
      if (!this.started) return;
      if (err instanceof GossipValidationError)
        this.verdict(topic, kind, msgId, from, err.action, err.reason);
      else {
        this.log.error('%s validation failed on a non-verdict error: %e', topic, err);
        this.verdict(topic, kind, msgId, from, 'ignore', 'INTERNAL');
      }
      return;
    }
    if (!this.started) return;
    this.count(`${kind}:accept`);
    this.init.router.reportMessageValidationResult(msgId, from, TopicValidatorResult.Accept);
    try {
      await handler.accept(message, from);
    } catch (err) {
      this.log.error('%s accept failed: %e', topic, err);
    }
  }

  private verdict(
    topic: string,
    kind: string,
    msgId: string,
    from: string,
    action: GossipAction,
    reason: string,
  ): void {
    this.count(`${kind}:${action}:${reason}`);
    if (action === 'reject') this.init.penalties.record(from);
    this.init.router.reportMessageValidationResult(
      msgId,
      from,
      action === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore,
    );
    this.init.events.emit('gossip:invalid', { topic, action, reason, from });
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  private isOwnAccepted(id: string): boolean {
    const now = this.init.clock.now();
    // Insertion order is expiry order (same TTL for all): drop the expired head.
    for (const [oldId, expiresAt] of this.ownAccepted) {
      if (expiresAt > now) break;
      this.ownAccepted.delete(oldId);
    }
    return this.ownAccepted.has(id);
  }
}
