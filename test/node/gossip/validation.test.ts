import type { GossipsubEvents } from '@chainsafe/libp2p-gossipsub';
import { TopicValidatorResult, TypedEventEmitter } from '@libp2p/interface';
import type { PeerId, PublishResult } from '@libp2p/interface';
import { defaultLogger } from '@libp2p/logger';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { expect } from 'chai';
import { MeshEvents } from '../../../node/events.ts';
import type { MeshEventMap } from '../../../node/events.ts';
import { BoundedQueue } from '../../../node/gossip/bounded-queue.ts';
import {
  MAX_GOSSIP_MESSAGE_BYTES,
  PENALTY_MEMORY_MS,
  messageId,
} from '../../../node/gossip/gossipsub-options.ts';
import { PeerPenalties } from '../../../node/gossip/peer-penalties.ts';
import { topicName } from '../../../node/gossip/topics.ts';
import { GossipAdapterError, GossipValidation } from '../../../node/gossip/validation.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import { generatePeerKey } from '../p2p/helpers.ts';
import { TextHandler } from './text-handler.ts';

const NETWORK = 'testnet';
const TOPIC = topicName(NETWORK, { kind: 'registration' });

/** The parts of gossipsub the adapter uses, recording what it is told. */
class FakeRouter extends TypedEventEmitter<GossipsubEvents> {
  readonly subscribed = new Set<string>();
  readonly published: string[] = [];
  subscribers: PeerId[] = [];
  private readonly verdicts = new Map<string, (result: TopicValidatorResult) => void>();
  private nextId = 0;

  subscribe(topic: string): void {
    this.subscribed.add(topic);
  }

  unsubscribe(topic: string): void {
    this.subscribed.delete(topic);
  }

  async publish(topic: string, data: Uint8Array): Promise<PublishResult> {
    this.published.push(`${topic}:${new TextDecoder().decode(data)}`);
    return { recipients: this.subscribers };
  }

  getSubscribers(): PeerId[] {
    return this.subscribers;
  }

  getScore(): number {
    return -1;
  }

  reportMessageValidationResult(msgId: string, _from: string, result: TopicValidatorResult): void {
    this.verdicts.get(msgId)?.(result);
  }

  /** Delivers a message as gossipsub would and resolves with the adapter's verdict. */
  deliver(from: PeerId, data: Uint8Array | string, topic = TOPIC): Promise<TopicValidatorResult> {
    const msgId = String(this.nextId++);
    const verdict = new Promise<TopicValidatorResult>((resolve) => this.verdicts.set(msgId, resolve));
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    this.safeDispatchEvent('gossipsub:message', {
      detail: { propagationSource: from, msgId, msg: { type: 'unsigned', topic, data: bytes } },
    });
    return verdict;
  }
}

describe('gossip/validation (adapter, fake gossipsub)', () => {
  let router: FakeRouter;
  let events: MeshEvents;
  let clock: ManualClock;
  let penalties: PeerPenalties;
  let adapter: GossipValidation;
  let handler: TextHandler;
  let peer: PeerId;
  let invalid: MeshEventMap['gossip:invalid'][];

  beforeEach(async () => {
    router = new FakeRouter();
    events = new MeshEvents();
    clock = new ManualClock(1_000_000);
    penalties = new PeerPenalties(clock);
    peer = peerIdFromPrivateKey(await generatePeerKey());
    adapter = new GossipValidation({
      network: NETWORK,
      router,
      selfPeerId: 'self',
      events,
      penalties,
      clock,
      seenTtlMs: 60_000,
      logger: defaultLogger(),
      concurrency: 1,
      maxPendingPerTopic: 2,
    });
    handler = new TextHandler();
    adapter.register(handler);
    adapter.start();
    invalid = [];
    events.on('gossip:invalid', (e) => invalid.push(e));
  });

  afterEach(() => adapter.stop());

  it('subscribes to registered topics and refuses a second handler or an oversized limit', () => {
    expect([...router.subscribed]).to.deep.equal([TOPIC]);
    expect(() => adapter.register(new TextHandler())).to.throw(GossipAdapterError);
    const big = new TextHandler();
    Object.assign(big, { topic: { kind: 'signature', entityType: 'CardanoTransactions' } });
    Object.assign(big, { maxMessageBytes: MAX_GOSSIP_MESSAGE_BYTES + 1 });
    expect(() => adapter.register(big)).to.throw(GossipAdapterError);
    adapter.stop();
    expect(router.subscribed.size).to.equal(0);
  });

  it('ACCEPTs valid messages and runs accept', async () => {
    expect(await router.deliver(peer, 'hello')).to.equal(TopicValidatorResult.Accept);
    expect(handler.accepted.get('hello')?.[0]).to.equal(peer.toString());
    expect(adapter.counters().get('registration:accept')).to.equal(1);
    expect(invalid).to.deep.equal([]);
  });

  it('maps each failure to its verdict, counts it by reason and emits gossip:invalid', async () => {
    const other = topicName(NETWORK, { kind: 'signature', entityType: 'CardanoTransactions' });
    expect(await router.deliver(peer, 'x', other)).to.equal(TopicValidatorResult.Reject);
    expect(await router.deliver(peer, 'y', '/elsewhere/1')).to.equal(TopicValidatorResult.Reject);
    expect(await router.deliver(peer, new Uint8Array(handler.maxMessageBytes + 1))).to.equal(
      TopicValidatorResult.Reject,
    );
    expect(await router.deliver(peer, 'bad bytes')).to.equal(TopicValidatorResult.Reject);
    expect(await router.deliver(peer, 'ignore me')).to.equal(TopicValidatorResult.Ignore);
    expect(await router.deliver(peer, 'reject me')).to.equal(TopicValidatorResult.Reject);
    expect(await router.deliver(peer, 'crash me')).to.equal(TopicValidatorResult.Ignore);
    expect(Object.fromEntries(adapter.counters())).to.deep.equal({
      'signature:reject:UNKNOWN_TOPIC': 1,
      'unknown:reject:UNKNOWN_TOPIC': 1,
      'registration:reject:TOO_LARGE': 1,
      'registration:reject:MALFORMED': 1,
      'registration:ignore:DUPLICATE': 1,
      'registration:reject:INVALID_SIGNATURE': 1,
      'registration:ignore:INTERNAL': 1,
    });
    expect(invalid.map((e) => `${e.action}:${e.reason}`)).to.deep.equal([
      'reject:UNKNOWN_TOPIC',
      'reject:UNKNOWN_TOPIC',
      'reject:TOO_LARGE',
      'reject:MALFORMED',
      'ignore:DUPLICATE',
      'reject:INVALID_SIGNATURE',
      'ignore:INTERNAL',
    ]);
    expect(invalid.every((e) => e.from === peer.toString())).to.equal(true);
    expect(adapter.rejectedByPeer().get(peer.toString())).to.equal(5);
    expect(penalties.rejects(peer.toString())).to.be.closeTo(5, 1e-9);
    expect(handler.accepted.size).to.equal(0);
  });

  it('IGNOREs with QUEUE_FULL beyond the pending bound, still REJECTs malformed messages', async () => {
    const slow1 = router.deliver(peer, 'slow 1');
    const slow2 = router.deliver(peer, 'slow 2');
    expect(await router.deliver(peer, 'slow 3')).to.equal(TopicValidatorResult.Ignore);
    expect(await router.deliver(peer, 'bad 4')).to.equal(TopicValidatorResult.Reject);
    handler.release();
    expect(await slow1).to.equal(TopicValidatorResult.Accept);
    expect(await slow2).to.equal(TopicValidatorResult.Accept);
    expect(adapter.counters().get('registration:ignore:QUEUE_FULL')).to.equal(1);
    expect(adapter.counters().get('registration:accept')).to.equal(2);
  });

  it('publishes our own messages after running accept once, and not to an empty topic', async () => {
    const data = new TextEncoder().encode('own');
    expect(await adapter.publish({ kind: 'registration' }, data)).to.equal(0);
    expect(router.published).to.deep.equal([]);
    expect(handler.accepted.get('own')?.[0]).to.equal('self');
    handler.accepted.clear();
    router.subscribers = [peer];
    expect(await adapter.publish({ kind: 'registration' }, data)).to.equal(1);
    expect(router.published).to.deep.equal([`${TOPIC}:own`]);
    expect(handler.accepted.size, 'accept runs once within seenTTL').to.equal(0);
    clock.advance(60_000);
    await adapter.publish({ kind: 'registration' }, data);
    expect(handler.accepted.size, 'and again after it').to.equal(1);
    await expectAdapterError(adapter.publish({ kind: 'certificate', entityType: 'CardanoDatabase' }, data));
  });

  it('exposes gossipsub scores', () => {
    expect(adapter.getScore(peer.toString())).to.equal(-1);
  });
});

async function expectAdapterError(promise: Promise<unknown>): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(GossipAdapterError);
    expect((err as GossipAdapterError).code).to.equal('NO_HANDLER');
    return;
  }
  expect.fail('expected NO_HANDLER');
}

describe('gossip/peer-penalties', () => {
  it('decays REJECT counts to a tenth over the penalty memory, then forgets them', () => {
    const clock = new ManualClock(0);
    const penalties = new PeerPenalties(clock);
    penalties.record('a');
    penalties.record('a');
    expect(penalties.rejects('a')).to.equal(2);
    clock.advance(PENALTY_MEMORY_MS);
    expect(penalties.rejects('a')).to.be.closeTo(0.2, 1e-9);
    clock.advance(PENALTY_MEMORY_MS);
    expect(penalties.rejects('a')).to.equal(0);
    expect(penalties.totals().get('a')).to.equal(2);
  });
});

describe('gossip/bounded-queue', () => {
  it('runs at most `concurrency` jobs at once and counts waiting ones as pending', async () => {
    const queue = new BoundedQueue(2, 3);
    let running = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const job = () =>
      queue.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
      });
    const jobs = [job(), job(), job()];
    expect(queue.full).to.equal(true);
    for (let released = 0; released < jobs.length; released++) {
      while (gates.length === 0) await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
    }
    await Promise.all(jobs);
    expect(peak).to.equal(2);
    expect(queue.pending).to.equal(0);
  });
});

describe('gossip/gossipsub-options messageId', () => {
  it('is 20 bytes and depends on the topic as well as the data', () => {
    const data = new Uint8Array([1, 2, 3]);
    const a = messageId({ topic: 'a', data });
    expect(a.length).to.equal(20);
    expect(Buffer.from(a).equals(Buffer.from(messageId({ topic: 'a', data })))).to.equal(true);
    expect(Buffer.from(a).equals(Buffer.from(messageId({ topic: 'b', data })))).to.equal(false);
  });
});
