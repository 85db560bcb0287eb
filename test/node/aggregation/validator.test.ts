import { expect } from 'chai';
import {
  buildCandidateCertificate,
  createNetworkGenesis,
  encodeCertificate,
  encodeCertificateGossip,
  preferenceKey,
} from '../../../node/aggregation/index.ts';
import type { CertificateGossip } from '../../../node/aggregation/index.ts';
import { GossipValidationError } from '../../../node/gossip/errors.ts';
import type { TopicHandler } from '../../../node/gossip/handler.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import type { Certificate, CertificateFields } from '../../../protocol/certificate/index.ts';
import {
  buildCertificate,
  parseCertificate,
  stringifyCertificate,
} from '../../../protocol/certificate/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { SignedEntityTypeName } from '../../../protocol/message/signed-entity-type.ts';
import { EPOCH_MS, FakeChain, FakeRequestNetwork, poolId } from './fakes.ts';
import type { PeerNode } from './world.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, STAKES, World, csd, msd } from './world.ts';

const G = GENESIS_EPOCH;

/** A deep copy of `certificate` changed by `mutate`, with its signed message and hash recomputed. */
function forge(certificate: Certificate, mutate: (fields: CertificateFields) => void): Certificate {
  const {
    hash: _hash,
    signedMessage: _signedMessage,
    ...fields
  } = parseCertificate(stringifyCertificate(certificate));
  mutate(fields);
  return buildCertificate(fields);
}

function handler(node: PeerNode, type: SignedEntityTypeName): TopicHandler<CertificateGossip> {
  return node.handlers.find((h) => h.topic.kind === 'certificate' && h.topic.entityType === type)!;
}

/** Runs gossip bytes through decode → validate → accept; 'accept' or 'ignore:R' / 'reject:R' (+ the message). */
async function deliver(
  node: PeerNode,
  data: Uint8Array,
  type: SignedEntityTypeName = 'MithrilStakeDistribution',
  from = 'peer',
): Promise<{ verdict: string; message: string }> {
  const h = handler(node, type);
  try {
    const message = h.decode(data);
    await h.validate(message, from);
    await h.accept(message, from);
    return { verdict: 'accept', message: '' };
  } catch (e) {
    expect(e).to.be.instanceOf(GossipValidationError);
    const error = e as GossipValidationError;
    return { verdict: `${error.action}:${error.reason}`, message: error.message };
  }
}

const gossip = (c: Certificate): Uint8Array => encodeCertificateGossip(c).bytes;
const typeOf = (c: Certificate): SignedEntityTypeName =>
  c.signature.type === 'multi' ? c.signature.signedEntityType.type : 'MithrilStakeDistribution';

describe('aggregation/validator', () => {
  let backend: BlsBackend;
  let world: World;
  let master: Certificate;
  let dependent: Certificate;

  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
    master = await world.candidate(msd(G + 1), world.genesis);
    dependent = await world.candidate(csd(G), master);
  });

  async function peer(options: Parameters<World['peer']>[2] = {}): Promise<PeerNode> {
    return world.peer(new FakeRequestNetwork(), 'me', options);
  }

  it('accepts and stores valid certificates, then ignores them as duplicates', async () => {
    const node = await peer();
    expect((await deliver(node, gossip(master))).verdict).to.equal('accept');
    expect((await deliver(node, gossip(dependent), 'CardanoStakeDistribution')).verdict).to.equal('accept');
    expect((await node.store.getByBeacon(csd(G)))?.hash).to.equal(dependent.hash);
    expect((await deliver(node, gossip(master))).verdict).to.equal('ignore:DUPLICATE');
  });

  it('ignores a candidate that is not preferred, and a preferred one replaces the kept one', async () => {
    const [first, second] = await world.quorumSubsets(msd(G + 1));
    const a = await world.candidate(msd(G + 1), world.genesis, first);
    const b = await world.candidate(msd(G + 1), world.genesis, second);
    const key = (c: Certificate) =>
      c.signature.type === 'multi' ? preferenceKey(c.signature.multiSignature) : '';
    const [better, worse] = key(a) < key(b) ? [a, b] : [b, a];
    const node = await peer();
    expect((await deliver(node, gossip(worse))).verdict).to.equal('accept');
    expect((await deliver(node, gossip(better))).verdict).to.equal('accept');
    expect((await deliver(node, gossip(worse))).verdict).to.equal('ignore:DUPLICATE');
    const fresh = await peer();
    await deliver(fresh, gossip(better));
    expect((await deliver(fresh, gossip(worse))).verdict).to.equal('ignore:NOT_PREFERRED');
    expect(fresh.certificates.getByBeacon(msd(G + 1))?.hash).to.equal(better.hash);
  });

  describe('forged certificates are rejected and never stored', () => {
    const cases: [string, () => Promise<Certificate>, string][] = [
      [
        'bad multi-signature (a σ of another message)',
        async () =>
          forge(master, (f) => {
            if (f.signature.type !== 'multi' || dependent.signature.type !== 'multi')
              throw new Error('multi');
            f.signature.multiSignature.signatures[0]!.sig.sigma =
              dependent.signature.multiSignature.signatures[0]!.sig.sigma;
          }),
        'MULTI_SIGNATURE_INVALID',
      ],
      [
        'wrong AVK (another signer set, its own valid multi-signature)',
        async () =>
          buildCandidateCertificate(
            await world.open(csd(G), undefined, G + 1),
            master,
            world.context(csd(G)),
          ),
        'AVK_CHAIN_BROKEN',
      ],
      [
        'wrong AVK (the multi-signature does not open under it)',
        async () =>
          forge(master, (f) => {
            f.aggregateVerificationKey = world.view.signerSet(G + 1)!.registration.avk;
          }),
        'MULTI_SIGNATURE_INVALID',
      ],
      [
        'wrong previous hash (a certificate of another beacon)',
        async () => forge(dependent, (f) => void (f.previousHash = world.genesis.hash)),
        'PREVIOUS_HASH_MISMATCH',
      ],
      ['wrong epoch', async () => forge(master, (f) => void (f.epoch = G + 2)), 'EPOCH_MISMATCH'],
      [
        'tampered timestamps',
        async () => forge(master, (f) => void (f.metadata.sealedAt += 1n)),
        'METADATA: timestamps',
      ],
      [
        'tampered network',
        async () => forge(master, (f) => void (f.metadata.network = 'mainnet')),
        'METADATA: network',
      ],
      [
        'tampered signer party id',
        async () => forge(master, (f) => void (f.metadata.signers[0]!.partyId = poolId(9))),
        'METADATA_SIGNERS',
      ],
      [
        'tampered signer stake',
        async () => forge(master, (f) => void (f.metadata.signers[0]!.stake += 1n)),
        'METADATA_SIGNERS',
      ],
      [
        'tampered protocol message',
        async () => forge(master, (f) => void f.protocolMessage.set('current_epoch', String(G + 2))),
        'MESSAGE_MISMATCH',
      ],
      [
        "a hash that is not the certificate's",
        async () => ({ ...master, hash: 'cd'.repeat(32) }),
        'HASH_MISMATCH',
      ],
    ];
    for (const [name, make, check] of cases) {
      it(name, async () => {
        const forged = await make();
        const node = await peer();
        if (typeOf(forged) === 'CardanoStakeDistribution') await node.certificates.offer(master);
        const before = (await node.store.list()).map((c) => c.hash).sort();
        const { verdict, message } = await deliver(node, gossip(forged), typeOf(forged));
        expect(verdict, message).to.equal('reject:INVALID_CERTIFICATE');
        expect(message).to.contain(check);
        expect(node.certificates.get(forged.hash)).to.equal(undefined);
        expect((await node.store.list()).map((c) => c.hash).sort()).to.deep.equal(before);
      });
    }

    it('a forged genesis (another key, or changed unsigned fields)', async () => {
      const record = world.record(G);
      const otherKey = createNetworkGenesis({
        record,
        network: NETWORK,
        protocolParameters: PARAMS,
        epochStartMs: world.chain.epochWindow(G).startMs,
        genesisSecretKey: new Uint8Array(32).fill(8),
      });
      const node = await peer({ genesis: false });
      const result = await deliver(node, gossip(otherKey));
      expect(result.verdict).to.equal('reject:INVALID_CERTIFICATE');
      expect(result.message).to.contain('GENESIS_SIGNATURE_INVALID');
      const retimed = forge(world.genesis, (f) => void (f.metadata.initiatedAt -= 1n));
      expect((await deliver(node, gossip(retimed))).message).to.contain('METADATA: timestamps');
      const withSigners = forge(
        world.genesis,
        (f) => void f.metadata.signers.push({ partyId: poolId(1), stake: 1n }),
      );
      expect((await deliver(node, gossip(withSigners))).message).to.contain('METADATA_SIGNERS');
      expect(node.certificates.genesis()).to.equal(undefined);
      expect((await deliver(node, gossip(world.genesis))).verdict).to.equal('accept');
      expect(node.certificates.genesis()?.hash).to.equal(world.genesis.hash);
      expect((await deliver(node, gossip(world.genesis))).verdict).to.equal('ignore:DUPLICATE');
    });
  });

  it('without the signer set of the epoch, checks the signers against the proof but trusts party ids', async () => {
    const blind = { signerSet: () => undefined, isOpen: () => false, ownSecretKey: () => undefined };
    const node = await peer({ registrations: blind });
    const stake = forge(master, (f) => void (f.metadata.signers[0]!.stake += 1n));
    const result = await deliver(node, gossip(stake));
    expect(result.verdict).to.equal('reject:INVALID_CERTIFICATE');
    expect(result.message).to.contain('METADATA_SIGNERS');
    const duplicateParty = forge(master, (f) => f.metadata.signers.push({ ...f.metadata.signers[0]! }));
    expect((await deliver(node, gossip(duplicateParty))).message).to.contain('METADATA_SIGNERS');
    expect((await deliver(node, gossip(master))).verdict).to.equal('accept');
  });

  it('checks the topic, the epoch window and the genesis epoch', async () => {
    const node = await peer();
    expect((await deliver(node, gossip(master), 'CardanoStakeDistribution')).verdict).to.equal(
      'reject:WRONG_TOPIC',
    );
    expect((await deliver(node, Uint8Array.of(1, 1, 0))).verdict).to.equal('reject:MALFORMED');

    const early = (epoch: number) => new FakeChain(new ManualClock(epoch * EPOCH_MS), STAKES);
    const lagging = await peer({ chain: early(G) });
    expect((await deliver(lagging, gossip(master))).verdict).to.equal('ignore:FUTURE_EPOCH');
    const farBehind = await peer({ chain: early(G - 1) });
    expect((await deliver(farBehind, gossip(master))).verdict).to.equal('reject:FUTURE_EPOCH');

    // A network whose genesis is of G + 1: MithrilStakeDistribution(G + 1) cannot chain to it.
    const later = await peer({ genesis: false });
    await later.certificates.offer(
      createNetworkGenesis({
        record: world.record(G + 1),
        network: NETWORK,
        protocolParameters: PARAMS,
        epochStartMs: world.chain.epochWindow(G + 1).startMs,
        genesisSecretKey: world.genesisSecretKey,
      }),
    );
    const result = await deliver(later, gossip(master));
    expect(result.verdict).to.equal('reject:INVALID_CERTIFICATE');
    expect(result.message).to.contain('EPOCH_BEFORE_GENESIS');
  });

  it('ignores a certificate with an unknown parent and fetches its ancestors from the sender', async () => {
    const network = new FakeRequestNetwork();
    const holder = await world.peer(network, 'holder');
    await holder.certificates.offer(master);
    await holder.certificates.offer(dependent);
    const late = await world.peer(network, 'late', { genesis: false });
    const result = await deliver(late, gossip(dependent), 'CardanoStakeDistribution', 'holder');
    expect(result.verdict).to.equal('ignore:PARENT_UNKNOWN');
    await late.sync.whenIdle();
    expect(late.store.snapshot()).to.deep.equal(holder.store.snapshot());
    // An unknown parent nobody serves: ignored, nothing stored.
    const orphan = forge(dependent, (f) => void (f.previousHash = 'ab'.repeat(32)));
    const fresh = await world.peer(network, 'fresh');
    expect((await deliver(fresh, gossip(orphan), 'CardanoStakeDistribution', 'holder')).verdict).to.equal(
      'ignore:PARENT_UNKNOWN',
    );
    await fresh.sync.whenIdle();
    expect(fresh.certificates.isCertified(csd(G))).to.equal(false);
  });

  it('rejects announcements of small certificates, and ignores known ones', async () => {
    const node = await peer();
    const full = encodeCertificate(master);
    // version, form 2, hash, size, entity JSON
    const announce = (size: number) =>
      Uint8Array.from([
        1,
        2,
        ...Buffer.from(master.hash, 'hex'),
        ...[size >>> 24, (size >>> 16) & 255, (size >>> 8) & 255, size & 255],
        ...Buffer.from('{"MithrilStakeDistribution":4}'),
      ]);
    expect((await deliver(node, announce(full.length))).verdict).to.equal('reject:MALFORMED');
    await node.certificates.offer(master);
    expect((await deliver(node, announce(full.length))).verdict).to.equal('ignore:DUPLICATE');
  });
});
