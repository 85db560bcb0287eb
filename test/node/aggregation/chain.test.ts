import { expect } from 'chai';
import type { CertificateStoredEvent } from '../../../node/aggregation/index.ts';
import { CertificateChain, createNetworkGenesis, preferenceKey } from '../../../node/aggregation/index.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import { verifyCertificateChain } from '../../../protocol/certificate/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, World, csd, msd } from './world.ts';

const G = GENESIS_EPOCH;

function keyOf(certificate: Certificate): string {
  if (certificate.signature.type !== 'multi') throw new Error('genesis');
  return preferenceKey(certificate.signature.multiSignature);
}

/** The chain from `hash` verifies back to genesis. */
function assertChainValid(certificates: CertificateChain, world: World, hash: string): void {
  const all = new Map(certificates.since(0).map((c) => [c.hash, c]));
  const result = verifyCertificateChain(all, hash, world.verifier);
  expect(result.valid, result.failure?.message).to.equal(true);
}

describe('aggregation/chain', () => {
  let backend: BlsBackend;
  let world: World;
  /** Two candidates per beacon, from two quorum subsets, built on the genesis and on candidate 0 masters. */
  let masters: [Certificate, Certificate];
  let preferred: Certificate;
  let other: Certificate;
  let subsets: [string[], string[]];

  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
    subsets = await world.quorumSubsets(msd(G + 1));
    masters = [
      await world.candidate(msd(G + 1), world.genesis, subsets[0]),
      await world.candidate(msd(G + 1), world.genesis, subsets[1]),
    ];
    [preferred, other] = keyOf(masters[0]) < keyOf(masters[1]) ? masters : [masters[1], masters[0]];
  });

  it('keeps the preferred multi-signature of a beacon whatever the arrival order', async () => {
    for (const order of [
      [masters[0], masters[1]],
      [masters[1], masters[0]],
    ]) {
      const node = await world.node();
      const outcomes = [];
      for (const certificate of order) outcomes.push(await node.certificates.offer(certificate));
      expect(node.certificates.getByBeacon(msd(G + 1))?.hash).to.equal(preferred.hash);
      expect(outcomes).to.deep.equal(
        order[0] === preferred ? ['stored', 'not-preferred'] : ['stored', 'stored'],
      );
      expect((await node.store.getByBeacon(msd(G + 1)))?.hash).to.equal(preferred.hash);
      expect(node.certificates.isCertified(msd(G + 1))).to.equal(true);
      // A displaced one (verified when stored) is still known by hash, so certificates linking to
      // it can be verified; one refused before any verification is not.
      expect(node.certificates.get(other.hash)?.hash).to.equal(order[0] === other ? other.hash : undefined);
    }
  });

  it('re-links the dependents of a displaced master, down the chain', async () => {
    const node = await world.node();
    const events: CertificateStoredEvent[] = [];
    node.certificates.subscribe((e) => events.push(e));
    // Everything built on the master that is not preferred.
    expect(await node.certificates.offer(other)).to.equal('stored');
    const dependent = await world.candidate(csd(G), other);
    const next = await world.candidate(msd(G + 2), other);
    const nextDependent = await world.candidate(csd(G + 1), next);
    for (const c of [dependent, next, nextDependent])
      expect(await node.certificates.offer(c)).to.equal('stored');
    expect(node.certificates.getByBeacon(csd(G))?.previousHash).to.equal(other.hash);

    events.length = 0;
    expect(await node.certificates.offer(preferred)).to.equal('stored');
    const kept = (entity: SignedEntityType) => node.certificates.getByBeacon(entity)!;
    expect(kept(msd(G + 1)).hash).to.equal(preferred.hash);
    expect(kept(csd(G)).previousHash).to.equal(preferred.hash);
    expect(kept(msd(G + 2)).previousHash).to.equal(preferred.hash);
    expect(kept(csd(G + 1)).previousHash).to.equal(kept(msd(G + 2)).hash);
    // Same multi-signatures, new links.
    expect(keyOf(kept(csd(G)))).to.equal(keyOf(dependent));
    expect(keyOf(kept(csd(G + 1)))).to.equal(keyOf(nextDependent));
    expect(events.map((e) => [e.entity.type, e.entity.epoch, e.replaced !== undefined])).to.deep.equal([
      ['MithrilStakeDistribution', G + 1, true],
      ['CardanoStakeDistribution', G, true],
      ['MithrilStakeDistribution', G + 2, true],
      ['CardanoStakeDistribution', G + 1, true],
    ]);
    assertChainValid(node.certificates, world, kept(csd(G + 1)).hash);
    assertChainValid(node.certificates, world, kept(csd(G)).hash);
    // The store holds exactly the canonical chain.
    const stored = (await node.store.list()).map((c) => c.hash).sort();
    expect(stored).to.deep.equal(
      node.certificates
        .since(0)
        .map((c) => c.hash)
        .sort(),
    );
  });

  it('waits for the parent beacon, ignores a second genesis and beacons not after it', async () => {
    const node = await world.node();
    const dependent = await world.candidate(csd(G), preferred);
    expect(await node.certificates.offer(dependent)).to.equal('parent-missing');
    expect(node.certificates.isCertified(csd(G))).to.equal(false);
    expect(await node.certificates.offer(world.genesis)).to.equal('duplicate');
    const otherGenesis = { ...world.genesis, hash: '00'.repeat(32) };
    expect(await node.certificates.offer(otherGenesis)).to.equal('genesis-conflict');

    // Under a genesis of G + 1, nothing signed in G + 1 can chain.
    const later = await world.node({ genesis: false });
    await later.certificates.offer(
      createNetworkGenesis({
        record: world.record(G + 1),
        network: NETWORK,
        protocolParameters: PARAMS,
        epochStartMs: world.chain.epochWindow(G + 1).startMs,
        genesisSecretKey: world.genesisSecretKey,
      }),
    );
    expect(later.certificates.certifiable(msd(G + 1))).to.equal(false);
    expect(await later.certificates.offer(preferred)).to.equal('before-genesis');
  });

  it('reloads the store and repairs links a crash left stale', async () => {
    const node = await world.node();
    await node.certificates.offer(other);
    const dependent = await world.candidate(csd(G), other);
    await node.certificates.offer(dependent);
    // A crash after the master was replaced, before its dependent was re-linked.
    await node.store.replaceForBeacon(other.hash, preferred);

    const reloaded = new CertificateChain({ store: node.store, verifier: world.verifier });
    await reloaded.load();
    expect(reloaded.genesis()?.hash).to.equal(world.genesis.hash);
    expect(reloaded.getByBeacon(msd(G + 1))?.hash).to.equal(preferred.hash);
    const relinked = reloaded.getByBeacon(csd(G))!;
    expect(relinked.previousHash).to.equal(preferred.hash);
    expect((await node.store.getByBeacon(csd(G)))?.hash).to.equal(relinked.hash);
    assertChainValid(reloaded, world, relinked.hash);
    expect(reloaded.latestMasterEpoch()).to.equal(G + 1);
    expect(reloaded.since(G + 1).map((c) => c.hash)).to.deep.equal([preferred.hash, relinked.hash]);
  });
});
