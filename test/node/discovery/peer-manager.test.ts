/**
 * Discovery over real libp2p on TCP loopback: ten nodes each given one bootstrap address (the
 * first node's) end connected to at least five peers through the DHT walk and the peer manager.
 */
import { expect } from 'chai';
import { PeerManager } from '../../../node/discovery/peer-manager.ts';
import { systemClock } from '../../../node/runtime/clock.ts';
import { MemoryPeerStore, startNode, stopAll, until } from '../p2p/helpers.ts';
import type { TestNode } from '../p2p/helpers.ts';

const NODES = 10;
const WANTED = 5;

/** The nodes and peer managers a describe block starts: all stopped after it. */
function stoppedAfter(): { nodes: TestNode[]; managers: PeerManager[] } {
  const nodes: TestNode[] = [];
  const managers: PeerManager[] = [];
  after(async () => {
    await Promise.allSettled(managers.map((m) => m.stop()));
    await stopAll(nodes);
  });
  return { nodes, managers };
}

describe('discovery/peer-manager (10 nodes, TCP loopback)', function () {
  this.timeout(40_000);
  const { nodes, managers } = stoppedAfter();

  it(`connects each node to at least ${WANTED} peers from one bootstrap address`, async () => {
    const start = performance.now();
    const reached: Promise<unknown>[] = [];
    for (let i = 0; i < NODES; i++) {
      const first = nodes[0];
      const node = await startNode({ bootstrap: first === undefined ? [] : [first.addr] });
      nodes.push(node);
      const manager = new PeerManager(node.host, {
        targetPeers: WANTED + 1,
        clock: systemClock,
        events: node.events,
        store: new MemoryPeerStore(),
        banList: node.banList,
      });
      managers.push(manager);
      reached.push(node.events.waitFor('peers:changed', (e) => e.connected >= WANTED, { timeoutMs: 30_000 }));
      await manager.start();
    }
    await Promise.all(reached);
    console.log(
      `      all ${NODES} nodes had ≥ ${WANTED} peers after ${(performance.now() - start).toFixed(0)} ms`,
    );
    for (const node of nodes) expect(node.host.getPeers().length, node.id).to.be.at.least(WANTED);
  });
});

describe('discovery/peer-manager remembered peers', function () {
  this.timeout(20_000);
  const { nodes, managers } = stoppedAfter();

  it('remembers identified peers, dials them after a restart and forgets stale ones', async () => {
    const [a, b] = [await startNode(), await startNode()];
    nodes.push(a, b);
    const store = new MemoryPeerStore();
    const manager = (node: TestNode): PeerManager => {
      const created = new PeerManager(node.host, {
        targetPeers: 1,
        clock: systemClock,
        events: node.events,
        store,
        banList: node.banList,
      });
      managers.push(created);
      return created;
    };
    const remembered = new Promise<void>((resolve) => {
      const put = store.put.bind(store);
      store.put = async (record) => {
        await put(record);
        if (record.peerId === b.id) resolve();
      };
    });
    await manager(a).start();
    await a.host.dial(b.host.getMultiaddrs());
    await remembered;
    // Last seen at the Unix epoch: far beyond the week after which peers are forgotten.
    await store.put({ peerId: 'stale-peer', multiaddrs: [], lastSeenMs: 0 });

    // A fresh host with the same store (a restarted node) knows b only from the store.
    const restarted = await startNode();
    nodes.push(restarted);
    const reconnected = restarted.events.waitFor('peers:changed', (e) => e.connected === 1, {
      timeoutMs: 10_000,
    });
    await manager(restarted).start();
    await reconnected;
    expect(restarted.host.getPeers().map(String)).to.deep.equal([b.id]);
    expect([...store.records.keys()]).to.deep.equal([b.id]);
  });
});

describe('discovery/peer-manager gossip stream repair', function () {
  this.timeout(30_000);
  const { nodes, managers } = stoppedAfter();

  it('disconnects a peer gossipsub has no open outbound stream to; the new connection gets one', async () => {
    const a = await startNode();
    nodes.push(a);
    const b = await startNode({ bootstrap: [a.addr] });
    nodes.push(b);
    const pubsub = a.host.services.pubsub;
    const heartbeat = 'gossipsub:heartbeat' as const;
    await until(pubsub, [heartbeat], () => pubsub.streamsOutbound.has(b.id), 10_000, 'a stream to b');
    const manager = new PeerManager(a.host, {
      targetPeers: 2,
      clock: systemClock,
      events: a.events,
      store: new MemoryPeerStore(),
      banList: a.banList,
      streamRepairMs: 300,
    });
    managers.push(manager);
    await manager.start();
    let disconnects = 0;
    a.host.addEventListener('peer:disconnect', () => disconnects++);
    // What a timed-out socket under a second connection leaves: gossipsub keeps b and a stream to
    // it, but the stream is closed.
    const stale = pubsub.streamsOutbound.get(b.id)!;
    await stale.close();
    await until(a.host, ['peer:disconnect'], () => disconnects > 0, 10_000, 'the repair');
    const fresh = (): boolean => ![undefined, stale].includes(pubsub.streamsOutbound.get(b.id));
    await until(pubsub, [heartbeat], fresh, 10_000, 'a new stream to b');
    // Repaired, it stays: a few more ticks, each longer than streamRepairMs, disconnect nothing.
    let beats = 0;
    await until(pubsub, [heartbeat], () => ++beats > 3, 10_000, 'three heartbeats');
    expect(disconnects).to.equal(1);
    expect(a.host.getPeers().map(String)).to.include(b.id);
  });
});
