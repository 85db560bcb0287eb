import { expect } from 'chai';
import {
  buildCandidateCertificate,
  encodeCertificate,
  epochStartNanos,
  relinkCertificate,
} from '../../../node/aggregation/index.ts';
import {
  computeCertificateHash,
  stringifyCertificate,
  verifyCertificate,
  verifyCertificateChain,
} from '../../../protocol/certificate/index.ts';
import { avkToJsonHex } from '../../../protocol/codec/json-hex.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { GENESIS_EPOCH, NETWORK, PARAMS, POOLS, World, csd, msd } from './world.ts';

describe('aggregation/builder', () => {
  let backend: BlsBackend;
  let world: World;
  before(async () => {
    backend = await loadBlsBackend('mcl');
    world = new World(backend);
  });

  it('builds a certificate that verifies against the genesis, with deterministic metadata', async () => {
    const entity = msd(GENESIS_EPOCH + 1);
    const certificate = await world.candidate(entity, world.genesis);
    verifyCertificate(certificate, world.genesis, world.verifier);
    expect(certificate.previousHash).to.equal(world.genesis.hash);
    expect(certificate.epoch).to.equal(GENESIS_EPOCH + 1);
    const start = epochStartNanos(world.chain.epochWindow(GENESIS_EPOCH + 1).startMs);
    expect(certificate.metadata).to.deep.include({
      network: NETWORK,
      protocolVersion: '0.1.0',
      protocolParameters: PARAMS,
      initiatedAt: start,
      sealedAt: start,
    });
    // The AVK of the signers of G+1 is the set recorded at G, certified by the genesis.
    expect(avkToJsonHex(certificate.aggregateVerificationKey)).to.equal(
      world.genesis.protocolMessage.get('next_aggregate_verification_key'),
    );
    // Signers: those of the proof, by signer index, with the party ids of the set.
    const set = world.view.signerSet(GENESIS_EPOCH)!;
    const proof = certificate.signature.type === 'multi' ? certificate.signature.multiSignature : undefined;
    const indexes = proof!.signatures.map((s) => s.sig.signerIndex);
    expect(indexes).to.deep.equal([...indexes].sort((a, b) => a - b));
    expect(certificate.metadata.signers).to.deep.equal(
      proof!.signatures.map((s) => ({ partyId: set.partyIds[s.sig.signerIndex]!, stake: s.entry.stake })),
    );
  });

  it('gives byte-identical certificates on two instances, whatever the arrival order of the signatures', async () => {
    const entity = msd(GENESIS_EPOCH + 1);
    const forward = await world.open(entity, POOLS);
    const backward = await world.open(entity, [...POOLS].reverse());
    expect(forward.signatures.map((s) => s.partyId)).to.not.deep.equal(
      backward.signatures.map((s) => s.partyId),
    );
    const a = buildCandidateCertificate(forward, world.genesis, world.context(entity));
    const b = buildCandidateCertificate(backward, world.genesis, world.context(entity));
    expect(encodeCertificate(a)).to.deep.equal(encodeCertificate(b));
    expect(stringifyCertificate(a)).to.equal(stringifyCertificate(b));
  });

  it('links a CardanoStakeDistribution certificate to the master of its epoch', async () => {
    const master = await world.candidate(msd(GENESIS_EPOCH + 1), world.genesis);
    const dependent = await world.candidate(csd(GENESIS_EPOCH), master);
    verifyCertificate(dependent, master, world.verifier);
    const chain = new Map([world.genesis, master, dependent].map((c) => [c.hash, c]));
    expect(verifyCertificateChain(chain, dependent.hash, world.verifier).valid).to.equal(true);
  });

  it('relinks by changing only the previous hash and the hash', async () => {
    const entity = msd(GENESIS_EPOCH + 1);
    const [first, second] = await world.quorumSubsets(entity);
    const masterA = await world.candidate(entity, world.genesis, first);
    const masterB = await world.candidate(entity, world.genesis, second);
    expect(masterA.hash).to.not.equal(masterB.hash);
    const dependent = await world.candidate(csd(GENESIS_EPOCH), masterA);
    const relinked = relinkCertificate(dependent, masterB);
    verifyCertificate(relinked, masterB, world.verifier);
    expect(relinked.previousHash).to.equal(masterB.hash);
    expect(relinked.hash).to.equal(computeCertificateHash(relinked));
    expect({ ...relinked, hash: '', previousHash: '' }).to.deep.equal({
      ...dependent,
      hash: '',
      previousHash: '',
    });
    expect(relinkCertificate(relinked, masterB)).to.equal(relinked);
  });
});
