import { expect } from 'chai';
import { preferenceKey } from '../../../node/aggregation/index.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import { verifyCertificateChain } from '../../../protocol/certificate/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { FakeRequestNetwork } from './fakes.ts';
import type { PeerNode } from './world.ts';
import { CURRENT_EPOCH, GENESIS_EPOCH, World, csd, msd } from './world.ts';

const G = GENESIS_EPOCH;
/** Every beacon from the first after genesis to the current epoch, parents first. */
const BEACONS: SignedEntityType[] = [];
for (let epoch = G + 1; epoch <= CURRENT_EPOCH; epoch++) BEACONS.push(msd(epoch), csd(epoch - 1));

const key = (c: Certificate): string =>
  c.signature.type === 'multi' ? preferenceKey(c.signature.multiSignature) : '';

describe('aggregation/sync', () => {
  let backend: BlsBackend;
  let world: World;
  /** Per beacon, the two quorum subsets: group A certifies with the first, group B with the second. */
  const subsets = new Map<SignedEntityType, [string[], string[]]>();

  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
    for (const entity of BEACONS) subsets.set(entity, await world.quorumSubsets(entity));
  });

  /** Certifies every beacon on `node` with the signatures of `side`'s subsets, each on the node's own parents. */
  async function certifyAll(node: PeerNode, side: 0 | 1): Promise<Map<SignedEntityType, Certificate>> {
    const made = new Map<SignedEntityType, Certificate>();
    for (const entity of BEACONS) {
      const certificate = await world.candidate(
        entity,
        node.certificates.parentOf(entity)!,
        subsets.get(entity)![side],
      );
      expect(await node.certificates.offer(certificate)).to.equal('stored');
      made.set(entity, certificate);
    }
    return made;
  }

  it('serves and pulls a whole chain into an empty node', async () => {
    const network = new FakeRequestNetwork();
    const source = await world.peer(network, 'source');
    await certifyAll(source, 0);
    const empty = await world.peer(network, 'empty', { genesis: false });
    expect(await empty.sync.pull('source')).to.equal(1 + BEACONS.length);
    expect(empty.store.snapshot()).to.deep.equal(source.store.snapshot());
    expect(await empty.sync.pull('source')).to.equal(0);
    const missing = await empty.sync.fetchByHash('source', 'ee'.repeat(32));
    expect(missing).to.equal(undefined);
  });

  it('two partitions with their own candidates converge to identical stores once they exchange', async () => {
    const network = new FakeRequestNetwork();
    const [a1, a2, b1, b2] = await Promise.all(['a1', 'a2', 'b1', 'b2'].map((id) => world.peer(network, id)));
    const fromA = await certifyAll(a1!, 0);
    const fromB = await certifyAll(b1!, 1);
    for (const entity of BEACONS) expect(key(fromA.get(entity)!)).to.not.equal(key(fromB.get(entity)!));
    // Within each partition.
    await a2!.sync.pull('a1');
    await b2!.sync.pull('b1');
    expect(a2!.store.snapshot()).to.deep.equal(a1!.store.snapshot());
    expect(b2!.store.snapshot()).to.deep.equal(b1!.store.snapshot());
    expect(a1!.store.snapshot()).to.not.deep.equal(b1!.store.snapshot());

    // The partition heals: each side pulls from one node of the other, then from its own.
    await a1!.sync.pull('b1');
    await b1!.sync.pull('a1');
    await a2!.sync.pull('b2');
    await b2!.sync.pull('a2');
    await a2!.sync.pull('a1');
    await b2!.sync.pull('b1');

    const reference = a1!.store.snapshot();
    for (const node of [a2!, b1!, b2!]) expect(node.store.snapshot()).to.deep.equal(reference);
    // Each beacon keeps the preferred of its two multi-signatures, and the chain verifies.
    for (const entity of BEACONS) {
      const kept = a1!.certificates.getByBeacon(entity)!;
      const best = [fromA.get(entity)!, fromB.get(entity)!].map(key).sort()[0];
      expect(key(kept)).to.equal(best);
      const all = new Map(a1!.certificates.since(0).map((c) => [c.hash, c]));
      const result = verifyCertificateChain(all, kept.hash, world.verifier);
      expect(result.valid, result.failure?.message).to.equal(true);
    }
  });
});
