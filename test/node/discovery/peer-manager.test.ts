/**
 * Discovery over real libp2p on TCP loopback: ten nodes each given one bootstrap address (the
 * first node's) end connected to at least five peers through the DHT walk and the peer manager.
 */
import { expect } from 'chai';
import { PeerManager } from '../../../node/discovery/peer-manager.ts';
import { systemClock } from '../../../node/runtime/clock.ts';
import { MemoryPeerStore, startNode, stopAll } from '../p2p/helpers.ts';
import type { TestNode } from '../p2p/helpers.ts';

const NODES = 10;
const WANTED = 5;

describe('discovery/peer-manager (10 nodes, TCP loopback)', function () {
  this.timeout(40_000);
  const nodes: TestNode[] = [];
  const managers: PeerManager[] = [];

  after(async () => {
    await Promise.allSettled(managers.map((m) => m.stop()));
    await stopAll(nodes);
  });

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
  const nodes: TestNode[] = [];
  const managers: PeerManager[] = [];

  after(async () => {
    await Promise.allSettled(managers.map((m) => m.stop()));
    await stopAll(nodes);
  });

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
