/**
 * Gossip over real libp2p on TCP loopback: five honest nodes in a ring (0-1-2-3-4-0) and one
 * misbehaving node M connected to node 1 only (the others ban M, so that no DHT query connects
 * them). Good messages reach everybody; what node 1 IGNOREs or REJECTs goes no further; M's
 * score at node 1 falls below zero and node 1's peer manager disconnects and bans it.
 */
import { expect } from 'chai';
import { PeerManager } from '../../../node/discovery/peer-manager.ts';
import { GossipValidation } from '../../../node/gossip/validation.ts';
import { topicName } from '../../../node/gossip/topics.ts';
import { systemClock } from '../../../node/runtime/clock.ts';
import { MemoryPeerStore, NETWORK, nextEvent, startNode, stopAll, until } from '../p2p/helpers.ts';
import type { TestNode } from '../p2p/helpers.ts';
import { defaultLogger } from '@libp2p/logger';
import { TextHandler } from './text-handler.ts';

const TOPIC = topicName(NETWORK, { kind: 'registration' });
const HONEST = 5;

interface GossipNode extends TestNode {
  adapter: GossipValidation;
  handler: TextHandler;
}

describe('gossip mesh (6 nodes, TCP loopback)', function () {
  this.timeout(40_000);
  const nodes: GossipNode[] = [];
  let peerManager: PeerManager | undefined;
  const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

  before(async () => {
    for (let i = 0; i <= HONEST; i++) {
      const node = await startNode();
      const handler = new TextHandler();
      const adapter = new GossipValidation({
        network: NETWORK,
        router: node.host.services.pubsub,
        selfPeerId: node.id,
        events: node.events,
        penalties: node.penalties,
        clock: systemClock,
        seenTtlMs: 60_000,
        logger: defaultLogger(),
      });
      adapter.register(handler);
      adapter.start();
      nodes.push({ ...node, adapter, handler });
    }
  });

  after(async () => {
    await peerManager?.stop();
    for (const node of nodes) node.adapter.stop();
    await stopAll(nodes);
  });

  const honest = (): GossipNode[] => nodes.slice(0, HONEST);
  const node = (i: number): GossipNode => nodes[i] as GossipNode;
  const malicious = (): GossipNode => node(HONEST);

  /** Resolves once every honest node has accepted `message`. */
  const deliveredEverywhere = (message: string): Promise<void[]> =>
    Promise.all(
      honest().map((n) =>
        until(
          n.handler.changes,
          ['accept'],
          () => n.handler.accepted.has(message),
          10_000,
          `${message} at ${n.id}`,
        ),
      ),
    );

  it('forms a mesh over a ring of honest nodes plus one attached peer', async () => {
    const start = performance.now();
    for (const n of honest()) if (n !== node(1)) n.banList.ban(malicious().id, 3_600_000);
    for (let i = 0; i < HONEST; i++) await node(i).host.dial(node((i + 1) % HONEST).host.getMultiaddrs());
    await malicious().host.dial(node(1).host.getMultiaddrs());
    await Promise.all([
      ...honest().map((n) =>
        until(
          n.host.services.pubsub,
          ['gossipsub:heartbeat', 'gossipsub:graft'],
          () => n.host.services.pubsub.getMeshPeers(TOPIC).length >= 2,
          10_000,
          `mesh of ${n.id}`,
        ),
      ),
      until(
        malicious().host.services.pubsub,
        ['gossipsub:heartbeat', 'subscription-change'],
        () =>
          malicious()
            .host.services.pubsub.getSubscribers(TOPIC)
            .some((p) => p.toString() === node(1).id),
        10_000,
        'M sees node 1 subscribed',
      ),
    ]);
    console.log(`      mesh ready after ${(performance.now() - start).toFixed(0)} ms`);
  });

  it('delivers every good message to every node', async () => {
    const times: number[] = [];
    for (const [i, n] of honest().entries()) {
      const message = `good from ${i}`;
      const sentAt = performance.now();
      const recipients = await n.adapter.publish({ kind: 'registration' }, encode(message));
      expect(recipients).to.be.greaterThan(0);
      await deliveredEverywhere(message);
      for (const m of honest())
        if (m !== n) times.push((m.handler.accepted.get(message)?.[1] ?? NaN) - sentAt);
    }
    times.sort((a, b) => a - b);
    console.log(
      `      delivery median ${times[times.length >> 1]?.toFixed(1)} ms, max ${times.at(-1)?.toFixed(1)} ms (${times.length} deliveries)`,
    );
    for (const n of honest()) {
      expect(n.handler.accepted.size).to.equal(HONEST);
      expect(n.handler.accepted.get(`good from ${honest().indexOf(n)}`)?.[0], 'own message').to.equal(n.id);
    }
  });

  it('does not forward IGNOREd or REJECTed messages, and counts them by reason', async () => {
    const m = malicious();
    const n1 = node(1);
    const verdicts = n1.events.waitFor('gossip:invalid', (e) => e.reason === 'DUPLICATE' && e.from === m.id);
    const rejected = n1.events.waitFor('gossip:invalid', (e) => e.reason === 'MALFORMED' && e.from === m.id);
    await m.host.services.pubsub.publish(TOPIC, encode('bad bytes'));
    await m.host.services.pubsub.publish(TOPIC, encode('ignore this'));
    await Promise.all([verdicts, rejected]);
    // A good message after them: it reaches everybody, the bad ones would have travelled first.
    await m.host.services.pubsub.publish(TOPIC, encode('good from M'));
    await deliveredEverywhere('good from M');
    for (const n of honest())
      if (n !== n1)
        expect(
          n.handler.decoded.filter((t) => !t.startsWith('good')),
          n.id,
        ).to.deep.equal([]);
    const counters = Object.fromEntries(n1.adapter.counters());
    expect(counters).to.include({
      'registration:reject:MALFORMED': 1,
      'registration:ignore:DUPLICATE': 1,
    });
    expect(counters['registration:accept']).to.be.at.least(HONEST);
    expect(n1.adapter.rejectedByPeer().get(m.id)).to.equal(1);
  });

  it("drives a REJECTing peer's score below zero, then the peer manager disconnects and bans it", async () => {
    const m = malicious();
    const n1 = node(1);
    const pubsub = n1.host.services.pubsub;
    // Scores are recomputed at most once a heartbeat.
    await until(pubsub, ['gossipsub:heartbeat'], () => pubsub.getScore(m.id) < 0, 5000, 'negative score');
    const negative = pubsub.getScore(m.id);
    peerManager = new PeerManager(n1.host, {
      targetPeers: 3,
      clock: systemClock,
      events: n1.events,
      store: new MemoryPeerStore(),
      banList: n1.banList,
    });
    await peerManager.start();
    const disconnected = new Promise<void>((resolve) =>
      n1.host.addEventListener('peer:disconnect', (e) => {
        if (e.detail.toString() === m.id) resolve();
      }),
    );
    let gone = false;
    void disconnected.then(() => (gone = true));
    const stopWaiting = new AbortController();
    try {
      // One REJECT per heartbeat (gossipsub recomputes scores at most once a heartbeat) until
      // node 1 hangs up; once graylisted, node 1 no longer even reads M's messages.
      for (let sent = 0; !gone && sent < 10; sent++) {
        const verdict = n1.events
          .waitFor('gossip:invalid', (e) => e.from === m.id, { timeoutMs: 5000, signal: stopWaiting.signal })
          .catch(() => undefined);
        await m.host.services.pubsub.publish(TOPIC, encode(`reject ${sent}`));
        await Promise.race([verdict, disconnected]);
        const heartbeat = nextEvent(pubsub, 'gossipsub:heartbeat', 5000).catch(() => undefined);
        await Promise.race([heartbeat, disconnected]);
      }
      await disconnected;
    } finally {
      stopWaiting.abort();
    }
    const rejects = n1.adapter.rejectedByPeer().get(m.id) ?? 0;
    console.log(
      `      score ${negative.toFixed(1)} after 1 REJECT; disconnected after ${rejects} REJECTs, score ${pubsub.getScore(m.id).toFixed(1)}`,
    );
    expect(rejects).to.be.at.most(4);
    expect(negative).to.be.lessThan(0);
    expect(pubsub.getScore(m.id)).to.be.lessThan(-80);
    expect(n1.banList.isBanned(m.id)).to.equal(true);
    expect(n1.host.getPeers().map(String)).to.not.include(m.id);
    expect(n1.adapter.counters().get('registration:reject:INVALID_SIGNATURE')).to.be.at.least(1);
  });
});
