/**
 * Issue acceptance for certificates: 7 real nodes over TCP loopback, every one an aggregator,
 * all racing (storm window 0). They must end with one chain, keep certifying with 2 nodes down,
 * never keep a forged certificate, and leave data dirs that verify-chain accepts.
 */
import { expect } from 'chai';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { preferenceKey } from '../../node/aggregation/builder.ts';
import { encodeCertificateGossip } from '../../node/aggregation/certificate-message.ts';
import { topicName } from '../../node/gossip/topics.ts';
import type { MeshHost } from '../../node/p2p/index.ts';
import { createHost } from '../../node/p2p/index.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import type { ConcatenationProof } from '../../protocol/stm/types.ts';
import { certificateSignedEntityType, computeCertificateHash } from '../../protocol/certificate/index.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { main } from '../../scripts/cli.ts';
import { TEST_NETWORK, TestNetwork } from './support/network.ts';

const NODES = 7;
/** 8 s epochs: registration closes 4.8 s in; a round of signatures and certificates takes ~1 s here. */
const EPOCH_MS = 8000;
const msd = (epoch: number): SignedEntityType => ({ type: 'MithrilStakeDistribution', epoch });
const csd = (epoch: number): SignedEntityType => ({ type: 'CardanoStakeDistribution', epoch });
const same = (a: SignedEntityType, b: SignedEntityType): boolean => a.type === b.type && a.epoch === b.epoch;

describe('certificates across the mesh: 7 nodes, any node aggregates', function () {
  this.timeout(240_000);
  let net: TestNetwork;
  let injector: MeshHost | undefined;

  before(async () => {
    net = await TestNetwork.start({
      nodes: NODES,
      epochLengthMs: EPOCH_MS,
      genesisDelayMs: 6000,
      parameters: { k: 40, m: 100, phiF: 0.8 },
      genesis: true,
      aggregatorWindowMs: 0,
    });
  });
  after(async () => {
    await injector?.stop();
    await net?.remove();
  });

  /** The hash node `index` keeps for `beacon`: the last one it stored (a preferred one replaces a first one). */
  const kept = (index: number, beacon: SignedEntityType): string | undefined =>
    net
      .events(index, 'certificate:stored')
      .filter((e) => !e.genesis && same(e.entity, beacon))
      .at(-1)?.hash;
  const untilSameEverywhere = async (beacons: SignedEntityType[], nodes: number[]): Promise<void> => {
    const agreed = (): boolean =>
      beacons.every((b) => {
        const hashes = nodes.map((i) => kept(i, b));
        return hashes[0] !== undefined && hashes.every((h) => h === hashes[0]);
      });
    await Promise.all(
      nodes.map((i) => net.until(i, agreed, `the same certificates on nodes ${nodes.join(',')}`)),
    );
  };

  it('creates the genesis certificate once and every node keeps it', async () => {
    await net.untilAll((i) => net.events(i, 'certificate:stored').some((e) => e.genesis), 'the genesis');
    const hashes = new Set(
      net.nodes.map((_, i) => net.events(i, 'certificate:stored').find((e) => e.genesis)!.hash),
    );
    expect(hashes.size).to.equal(1);
  });

  it('certifies both entity types of epoch 2 with one certificate per beacon on every node, although all aggregators raced', async () => {
    const all = net.nodes.map((_, i) => i);
    await untilSameEverywhere([msd(2), csd(1)], all);
    for (const beacon of [msd(2), csd(1)]) {
      const published = new Set(
        all.flatMap((i) =>
          net
            .events(i, 'certificate:published')
            .filter((e) => same(e.entity, beacon))
            .map((e) => e.hash),
        ),
      );
      // Any number of aggregators may publish (here they all reach quorum at once), yet each node
      // keeps exactly one certificate for the beacon, the same everywhere.
      expect(published.size, `${beacon.type} certificates published`).to.be.at.least(1);
      const stored = await Promise.all(net.nodes.map((n) => n.store.certificates.getByBeacon(beacon)));
      expect(new Set(stored.map((c) => c?.hash)).size).to.equal(1);
      expect(stored[0]!.hash).to.equal(kept(0, beacon));
    }
  });

  it('keeps certifying when 2 of 7 nodes die after registering', async () => {
    // The set recorded at 3 (signers of epoch 4) includes nodes 5 and 6; they stop once it closed.
    await net.untilAll(
      (i) => net.events(i, 'registration:closed').some((e) => e.epoch === 3),
      'epoch 3 closed',
    );
    await net.nodes[5]!.stop();
    await net.nodes[6]!.stop();
    const alive = [0, 1, 2, 3, 4];
    await untilSameEverywhere([msd(3), csd(2), msd(4), csd(3)], alive);
    const signers = (await net.nodes[0]!.store.certificates.getByBeacon(msd(4)))!.metadata.signers;
    const dead = new Set([net.identities[5]!.partyId, net.identities[6]!.partyId]);
    expect(signers.some((s) => dead.has(s.partyId))).to.equal(false);
  });

  it('judges forged certificates (IGNORE when not preferred, REJECT after verification otherwise); no node keeps them', async () => {
    const target = net.nodes[0]!;
    // The latest master: forgeries of an older beacon could fall out of the epoch window (and be
    // IGNOREd as WRONG_EPOCH before any other check) when the machine is slow.
    const genuine = (await target.store.certificates.latest('MithrilStakeDistribution'))!;
    const beacon = certificateSignedEntityType(genuine);
    expect(genuine.signature.type).to.equal('multi');
    const proof = genuine.signature.type === 'multi' ? genuine.signature.multiSignature : undefined;
    const rehash = (c: Certificate): Certificate => ({ ...c, hash: computeCertificateHash(c) });
    const forgedMetadata = rehash({
      ...genuine,
      metadata: { ...genuine.metadata, sealedAt: genuine.metadata.sealedAt + 1n },
    });
    // A forged multi-signature whose preference key beats the genuine one: it cannot be dismissed
    // as not preferred, so it goes through full verification. Tamper in several ways until one wins.
    const sigs = proof!.signatures;
    const variants: ConcatenationProof[] = [];
    for (let i = 0; i < sigs.length; i++) {
      const tampered = (change: (s: (typeof sigs)[number]) => (typeof sigs)[number]): ConcatenationProof => ({
        ...proof!,
        signatures: sigs.map((s, n) => (n === i ? change(s) : s)),
      });
      for (let j = 0; j < sigs.length; j++) {
        if (j !== i) variants.push(tampered((s) => ({ ...s, sig: { ...s.sig, sigma: sigs[j]!.sig.sigma } })));
      }
      variants.push(tampered((s) => ({ ...s, sig: { ...s.sig, indexes: s.sig.indexes.slice(1) } })));
      variants.push(tampered((s) => ({ ...s, entry: { ...s.entry, stake: s.entry.stake + 1n } })));
      variants.push({ ...proof!, signatures: [...sigs.slice(i), ...sigs.slice(0, i)].reverse() });
    }
    const winner = variants.find((v) => preferenceKey(v) < preferenceKey(proof!));
    const forgedSignature =
      winner === undefined
        ? undefined
        : rehash({
            ...genuine,
            signature: { type: 'multi', signedEntityType: beacon, multiSignature: winner },
          });
    expect(forgedSignature, 'a forgery preferred over the genuine certificate').to.not.equal(undefined);
    injector = await createHost({
      network: TEST_NETWORK,
      privateKey: (await generateKeyPair('Ed25519')) as unknown as PrivateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [target.multiaddrs().find((a) => a.includes('/127.0.0.1/'))!],
      loopback: true,
      maxConnections: 20,
      seenTtlMs: 120_000,
      rejectCount: () => 0,
      isBanned: () => false,
    });
    await injector.start();
    const topic = topicName(TEST_NETWORK, { kind: 'certificate', entityType: 'MithrilStakeDistribution' });
    injector.services.pubsub.subscribe(topic);
    const injectorId = injector.peerId.toString();
    // Both directions: gossipsub only sends to peers it knows subscribe to the topic.
    await net.until(
      0,
      () =>
        target.host.services.pubsub.getSubscribers(topic).some((p) => p.toString() === injectorId) &&
        injector!.services.pubsub.getSubscribers(topic).some((p) => p.toString() === target.peerId),
      'the injector and the target subscribed to each other',
    );
    for (const forged of [forgedMetadata, forgedSignature!]) {
      const { recipients } = await injector.services.pubsub.publish(
        topic,
        encodeCertificateGossip(forged).bytes,
      );
      expect(recipients.length, 'the forgery went out').to.be.at.least(1);
    }
    const verdicts = (prefix: string): number =>
      [...target.gossip.counters()].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
    await net.until(
      0,
      () =>
        verdicts('certificate:reject:') >= 1 &&
        verdicts('certificate:ignore:') + verdicts('certificate:reject:') >= 2,
      'both forgeries judged, the preferred one rejected',
    );
    for (const node of net.nodes.slice(0, 5)) {
      expect(await node.store.certificates.get(forgedMetadata.hash)).to.equal(undefined);
      expect(await node.store.certificates.get(forgedSignature!.hash)).to.equal(undefined);
      // Kept for the beacon: a genuine certificate (the sampled one, or a preferred genuine one).
      expect((await node.store.certificates.getByBeacon(beacon))!.hash).to.not.be.oneOf([
        forgedMetadata.hash,
        forgedSignature!.hash,
      ]);
    }
  });

  const status = async (index: number): Promise<Record<string, unknown>> => {
    const out: string[] = [];
    const code = await main(['status', '--data-dir', net.dataDir(index), '--json'], {
      out: (l) => out.push(l),
      err: (l) => out.push(l),
    });
    expect(code, out.join('\n')).to.equal(0);
    return JSON.parse(out.join('\n')) as Record<string, unknown>;
  };

  it('status reports a running node from its status file', async () => {
    const live = (await status(0)) as {
      running: boolean;
      source: string;
      peers: number;
      network: string;
      peerId: string;
    };
    expect(live).to.include({
      running: true,
      source: 'status-file',
      network: TEST_NETWORK,
      peerId: net.nodes[0]!.peerId,
    });
    expect(live.peers).to.be.at.least(1);
  });

  it('leaves data dirs whose chains verify-chain accepts; the live nodes hold the same chain', async () => {
    await net.stop();
    const stopped = (await status(0)) as {
      running: boolean;
      source: string;
      latestCertificates: Record<string, { epoch: number; hash: string }>;
    };
    expect(stopped).to.include({ running: false, source: 'store' });
    const latest = stopped.latestCertificates['MithrilStakeDistribution']!;
    expect(latest.epoch).to.be.at.least(4);
    expect(latest.hash).to.equal(kept(0, msd(latest.epoch)));
    const chains = new Set<string>();
    for (let i = 0; i < NODES; i++) {
      const out: string[] = [];
      const status = await main(
        [
          'verify-chain',
          '--data-dir',
          net.dataDir(i),
          '--genesis-vkey',
          net.genesisVerificationKey!,
          '--json',
        ],
        { out: (l) => out.push(l), err: (l) => out.push(l) },
      );
      expect(status, `node ${i}: ${out.join('\n')}`).to.equal(0);
      const report = JSON.parse(out.join('\n')) as { certificates: { hash: string }[] };
      if (i < 5)
        chains.add(
          report.certificates
            .map((c) => c.hash)
            .sort()
            .join(','),
        );
      expect(report.certificates.length, `node ${i}`).to.be.at.least(i < 5 ? 7 : 3);
    }
    expect(chains.size).to.equal(1);
  });
});
