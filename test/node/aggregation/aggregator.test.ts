import { expect } from 'chai';
import type { CertificatePublishedEvent } from '../../../node/aggregation/index.ts';
import {
  AggregatorService,
  CertificateSync,
  MAX_STORM_WINDOW_MS,
  createCertificateHandlers,
  preferenceKey,
  stormDelayMs,
  stormWindowMs,
} from '../../../node/aggregation/index.ts';
import { MeshEvents } from '../../../node/events.ts';
import type { TopicHandler } from '../../../node/gossip/handler.ts';
import type { OpenMessage } from '../../../node/signing/open-message.ts';
import { entityKey } from '../../../node/signing/open-message.ts';
import type { OpenMessageResult } from '../../../node/signing/registry.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { EPOCH_MS, FakeGossip, FakeRequestNetwork, settle } from './fakes.ts';
import type { Node } from './world.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, POOLS, World, csd, msd } from './world.ts';

const G = GENESIS_EPOCH;
const LATENCY_MS = 100;
const STEP_MS = 10;

interface Aggregator extends Node {
  id: string;
  events: MeshEvents;
  service: AggregatorService;
  published: CertificatePublishedEvent[];
}

/** A signing layer that hands out fixed open messages. */
function signingOf(opens: readonly OpenMessage[]) {
  return {
    openMessage: (entity: SignedEntityType): Promise<OpenMessageResult> => {
      const open = opens.find((o) => entityKey(o.entity) === entityKey(entity));
      return Promise.resolve(
        open === undefined
          ? { status: 'unavailable', reason: 'EXPIRED', detail: 'not in this test' }
          : { status: 'open', openMessage: open },
      );
    },
  };
}

const signature = (entity: SignedEntityType) => ({
  entity,
  partyId: POOLS[0]!,
  signerIndex: 0,
  indexes: 1,
  own: false,
});
const key = (c: Certificate): string =>
  c.signature.type === 'multi' ? preferenceKey(c.signature.multiSignature) : '';

describe('aggregation/aggregator', () => {
  let backend: BlsBackend;
  let world: World;
  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
  });

  async function aggregator(
    id: string,
    opens: readonly OpenMessage[],
    gossip: FakeGossip,
    requests: FakeRequestNetwork,
  ): Promise<Aggregator> {
    const node = await world.node();
    const events = new MeshEvents();
    const sync = new CertificateSync({ network: NETWORK, requests: requests.endpoint(id), ...node });
    await sync.start();
    const handlers = createCertificateHandlers({
      entityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
      ...node,
      sync,
    });
    gossip.nodes.push({ id, handlers: handlers as TopicHandler<unknown>[] });
    const service = new AggregatorService({
      nodeId: id,
      network: NETWORK,
      entityTypes: ['MithrilStakeDistribution', 'CardanoStakeDistribution'],
      chain: world.chain,
      signing: signingOf(opens),
      certificates: node.certificates,
      publisher: gossip.publisher(id),
      events,
      clock: world.clock,
    });
    const published: CertificatePublishedEvent[] = [];
    service.subscribe((e) => published.push(e));
    await service.start();
    return { ...node, id, events, service, published };
  }

  async function run(gossip: FakeGossip, ms: number): Promise<void> {
    for (let t = 0; t < ms; t += STEP_MS) {
      world.clock.advance(STEP_MS);
      await settle();
    }
    await gossip.settled();
  }

  it('draws the delay from the beacon and the node, within a window of 1/20 of the epoch', () => {
    expect(stormWindowMs(EPOCH_MS)).to.equal(EPOCH_MS / 20);
    expect(stormWindowMs(5 * 24 * 3600 * 1000)).to.equal(MAX_STORM_WINDOW_MS);
    const delays = ['a', 'b', 'c'].map((id) => stormDelayMs(5000, msd(4), id));
    expect(new Set(delays).size).to.equal(3);
    for (const d of delays) expect(d).to.be.within(0, 5000);
    expect(stormDelayMs(5000, msd(4), 'a')).to.equal(delays[0]);
    expect(stormDelayMs(5000, msd(5), 'a')).to.not.equal(delays[0]);
  });

  /** Five aggregators, each lacking one pool's signature: five different quorums. */
  async function storm(
    latencyMs: number,
  ): Promise<{ nodes: Aggregator[]; gossip: FakeGossip; counts: number[] }> {
    const entity = msd(G + 1);
    const gossip = new FakeGossip(world.clock, latencyMs);
    const requests = new FakeRequestNetwork();
    const nodes: Aggregator[] = [];
    for (let i = 0; i < POOLS.length; i++) {
      const open = await world.open(
        entity,
        POOLS.filter((_, j) => j !== i),
      );
      expect(open.distinctIndexes).to.be.at.least(PARAMS.k);
      nodes.push(await aggregator(`node-${i + 1}`, [open], gossip, requests));
    }
    for (const node of nodes) node.events.emit('signature:accepted', signature(entity));
    await run(gossip, stormWindowMs(EPOCH_MS) + latencyMs + 1000);
    for (const node of nodes) await node.service.stop();
    const counts = nodes.map((n) => n.service.publications().get(entityKey(entity)) ?? 0);
    return { nodes, gossip, counts };
  }

  /** Every node keeps the same certificate, the preferred of those published, and the same store. */
  function assertConverged(nodes: Aggregator[], gossip: FakeGossip): void {
    const kept = nodes.map((n) => n.certificates.getByBeacon(msd(G + 1))!);
    expect(new Set(kept.map((c) => c.hash)).size).to.equal(1);
    expect(new Set(nodes.map((n) => n.store.snapshot().join('\n'))).size).to.equal(1);
    // A displaced certificate is still known by hash to the node that published it.
    const published = nodes.flatMap((n) => n.published.map((e) => n.certificates.get(e.hash)!));
    expect(key(kept[0]!)).to.equal(published.map(key).sort()[0]);
    expect(gossip.verdicts.filter((v) => v.verdict.startsWith('reject'))).to.deep.equal([]);
  }

  it('storm control: 5 aggregators with different quorums publish one or two certificates per beacon', async () => {
    const { nodes, gossip, counts } = await storm(LATENCY_MS);
    const total = counts.reduce((a, b) => a + b, 0);
    expect(total, `publications per node ${counts.join(',')}`).to.be.within(1, 2);
    expect(new Set(nodes.flatMap((n) => n.published.map((e) => e.hash))).size).to.be.within(1, total);
    assertConverged(nodes, gossip);
  });

  it('with gossip slower than the window, all 5 publish and all keep the preferred certificate', async () => {
    const { nodes, gossip, counts } = await storm(2 * stormWindowMs(EPOCH_MS));
    expect(counts).to.deep.equal([1, 1, 1, 1, 1]);
    // The clerk takes the first k indexes: quorums that differ only in signatures it leaves out
    // give the same certificate, so the distinct certificates are fewer than the publications.
    expect(new Set(nodes.flatMap((n) => n.published.map((e) => e.hash))).size).to.be.within(2, 5);
    assertConverged(nodes, gossip);
  });

  it("waits below the quorum and for the parent beacon; the parent's assembler goes on at once", async () => {
    const gossip = new FakeGossip(world.clock, LATENCY_MS);
    const master = await world.open(msd(G + 1));
    const dependent = await world.open(csd(G));
    const tooFew = await world.open(msd(G + 2), []);
    const node = await aggregator('alone', [master, dependent, tooFew], gossip, new FakeRequestNetwork());
    node.events.emit('signature:accepted', signature(tooFew.entity));
    node.events.emit('signature:accepted', signature(csd(G)));
    await run(gossip, stormWindowMs(EPOCH_MS) + STEP_MS);
    expect(node.certificates.isCertified(csd(G))).to.equal(false);
    expect(node.certificates.isCertified(msd(G + 2))).to.equal(false);

    const publishedAtMs: number[] = [];
    node.service.subscribe(() => publishedAtMs.push(world.clock.now()));
    node.events.emit('signature:accepted', signature(msd(G + 1)));
    await run(gossip, 2 * stormWindowMs(EPOCH_MS) + STEP_MS);
    // It assembled the parent: no delay for the beacon that waited on it.
    expect(publishedAtMs).to.have.length(2);
    expect(publishedAtMs[1]! - publishedAtMs[0]!).to.be.below(STEP_MS);
    const stored = node.certificates.getByBeacon(csd(G))!;
    expect(stored.previousHash).to.equal(node.certificates.getByBeacon(msd(G + 1))!.hash);
    expect(node.published.map((e) => e.entity.type)).to.deep.equal([
      'MithrilStakeDistribution',
      'CardanoStakeDistribution',
    ]);
    expect(node.published.every((e) => !e.announced)).to.equal(true);
    await node.service.stop();
  });

  it('draws its delay when a parent assembled elsewhere arrives', async () => {
    const gossip = new FakeGossip(world.clock, LATENCY_MS);
    const dependent = await world.open(csd(G));
    const node = await aggregator('follower', [dependent], gossip, new FakeRequestNetwork());
    node.events.emit('signature:accepted', signature(csd(G)));
    await run(gossip, stormWindowMs(EPOCH_MS) + STEP_MS);
    expect(node.published).to.deep.equal([]);

    const parentAtMs = world.clock.now();
    await node.certificates.offer(await world.candidate(msd(G + 1), world.genesis));
    const publishedAtMs: number[] = [];
    node.service.subscribe(() => publishedAtMs.push(world.clock.now()));
    await run(gossip, stormWindowMs(EPOCH_MS) + STEP_MS);
    const delay = stormDelayMs(stormWindowMs(EPOCH_MS), csd(G), 'follower');
    expect(publishedAtMs).to.have.length(1);
    expect(publishedAtMs[0]! - parentAtMs).to.be.within(delay, delay + STEP_MS);
    await node.service.stop();
  });

  it('does not assemble when a certificate for the beacon arrives during the delay', async () => {
    const gossip = new FakeGossip(world.clock, LATENCY_MS);
    const open = await world.open(msd(G + 1));
    const node = await aggregator('late', [open], gossip, new FakeRequestNetwork());
    node.events.emit('signature:accepted', signature(msd(G + 1)));
    await settle();
    await node.certificates.offer(
      await world.candidate(msd(G + 1), world.genesis, (await world.quorumSubsets(msd(G + 1)))[1]),
    );
    await run(gossip, stormWindowMs(EPOCH_MS) + STEP_MS);
    expect(node.published).to.deep.equal([]);
    await node.service.stop();
  });
});
