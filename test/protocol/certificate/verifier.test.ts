import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ed25519KeyPairFromSeed, ed25519Sign } from '../../../protocol/cardano/ed25519.ts';
import { genesisVerificationKeyFromHex } from '../../../protocol/cardano/genesis-key.ts';
import type { Certificate } from '../../../protocol/certificate/certificate.ts';
import {
  buildCertificate,
  certificateFromJson,
  computeCertificateHash,
  parseCertificate,
  stringifyCertificate,
} from '../../../protocol/certificate/certificate.ts';
import { createGenesisCertificate } from '../../../protocol/certificate/genesis.ts';
import type { CertificateCheck, VerifierContext } from '../../../protocol/certificate/verifier.ts';
import {
  CertificateVerificationError,
  verifyCertificate,
  verifyCertificateChain,
  verifyGenesisCertificate,
} from '../../../protocol/certificate/verifier.ts';
import { avkToJsonHex } from '../../../protocol/codec/json-hex.ts';
import { expectArray, expectObject, expectString, parseJson } from '../../../protocol/codec/json.ts';
import { generateSecretKey, nobleBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { VerificationError } from '../../../protocol/errors.ts';
import { ProtocolMessage } from '../../../protocol/message/protocol-message.ts';
import type { ProtocolParameters } from '../../../protocol/message/protocol-parameters.ts';
import {
  computeProtocolParametersHash,
  toStmParameters,
} from '../../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import type { ClosedKeyRegistration } from '../../../protocol/stm/index.ts';
import { aggregateSignatures, KeyRegistration, StmSigner } from '../../../protocol/stm/index.ts';
import type { AggregateVerificationKey, SingleSignature } from '../../../protocol/stm/types.ts';

const backend = nobleBackend;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const SECOND = 1_000_000_000n;
const T0 = 1_767_225_600n * SECOND; // 2026-01-01T00:00:00Z

function expectCheck(action: () => void, check: CertificateCheck, hash?: string): void {
  try {
    action();
  } catch (e) {
    expect(e).to.be.instanceOf(CertificateVerificationError);
    expect(e).to.be.instanceOf(VerificationError);
    const error = e as CertificateVerificationError;
    expect(error.check, error.message).to.equal(check);
    expect(error.code).to.equal(check);
    if (hash !== undefined) expect(error.certificateHash).to.equal(hash);
    return;
  }
  expect.fail(`expected ${check}`);
}

describe('protocol/certificate/verifier', function () {
  this.timeout(30_000);

  describe('the devnet chain of the reference (real STM multi-signatures, k=70 m=105 φ_f=0.95)', () => {
    const fixture = expectObject(
      parseJson(readFileSync(new URL('fixtures/devnet-chain.json', import.meta.url), 'utf8')),
      'fixture',
    );
    const certificates = expectArray(fixture['certificates'], 'certificates').map((c) =>
      certificateFromJson(c),
    );
    const byHash = new Map(certificates.map((c) => [c.hash, c]));
    const ctx: VerifierContext = {
      backend,
      genesisVerificationKey: genesisVerificationKeyFromHex(
        expectString(fixture['genesis_verification_key'], 'key'),
      ),
    };

    it('verifies from the tip back to genesis, one result per certificate', () => {
      const result = verifyCertificateChain(byHash, expectString(fixture['chain_tip'], 'tip'), ctx);
      expect(result.failure, result.failure?.message).to.equal(undefined);
      expect(result.valid).to.equal(true);
      expect(result.verified.map((v) => v.epoch)).to.deep.equal([25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
      expect(result.verified.at(-1)!.genesis).to.equal(true);
      expect(result.verified.slice(0, -1).every((v) => !v.genesis && !v.discontinued)).to.equal(true);
    });

    it('verifies the CSD, CardanoDatabase, CardanoTransactions and CardanoBlocksTransactions certificates', () => {
      const others = certificates.filter(
        (c) =>
          c.signature.type === 'multi' && c.signature.signedEntityType.type !== 'MithrilStakeDistribution',
      );
      expect(others).to.have.length(4);
      for (const certificate of others)
        verifyCertificate(certificate, byHash.get(certificate.previousHash)!, ctx);
    });

    it('rejects the genesis certificate under another genesis key', () => {
      const genesis = certificates.find((c) => c.previousHash === '')!;
      expectCheck(
        () => verifyGenesisCertificate(genesis, ed25519KeyPairFromSeed(new Uint8Array(32)).publicKey),
        'GENESIS_SIGNATURE_INVALID',
        genesis.hash,
      );
    });
  });

  describe('a chain made with our own STM and genesis key', () => {
    const params: ProtocolParameters = { k: 5, m: 20, phiF: 0.9 };
    const otherParams: ProtocolParameters = { k: 4, m: 20, phiF: 0.9 };
    const genesisKeys = ed25519KeyPairFromSeed(new Uint8Array(32).fill(7));
    const ctx: VerifierContext = { backend, genesisVerificationKey: genesisKeys.publicKey };

    interface Committee {
      registration: ClosedKeyRegistration;
      secretKeys: bigint[];
    }
    function committee(seed: number, stakes: bigint[]): Committee {
      const random = chaCha20Random(new Uint8Array(32).fill(seed));
      const open = new KeyRegistration();
      const secretKeys = stakes.map((stake) => {
        const sk = generateSecretKey(random);
        open.register(
          stake,
          { vk: backend.verificationKey(sk), pop: backend.proofOfPossession(sk) },
          backend,
        );
        return sk;
      });
      return { registration: open.close(), secretKeys };
    }
    const committeeA = committee(1, [1n, 2n, 3n]);
    const committeeB = committee(2, [5n, 4n]);
    const avkA = committeeA.registration.avk;
    const avkB = committeeB.registration.avk;

    interface StandardSpec {
      epoch: number;
      entity: SignedEntityType;
      previousHash: string;
      signers: Committee;
      params?: ProtocolParameters;
      nextAvk: AggregateVerificationKey;
      nextParams?: ProtocolParameters;
      epochPart?: string;
    }
    /** A correctly signed standard certificate (whatever its chaining). */
    function standard(spec: StandardSpec): Certificate {
      const certParams = spec.params ?? params;
      const message = new ProtocolMessage()
        .set('next_aggregate_verification_key', avkToJsonHex(spec.nextAvk))
        .set('next_protocol_parameters', computeProtocolParametersHash(spec.nextParams ?? params))
        .set('current_epoch', spec.epochPart ?? String(spec.epoch));
      if (spec.entity.type === 'CardanoStakeDistribution') {
        message
          .set('cardano_stake_distribution_epoch', String(spec.entity.epoch))
          .set('cardano_stake_distribution_merkle_root', 'ab');
      }
      const signedMessage = utf8(message.computeHash());
      const stm = toStmParameters(certParams);
      const { registration } = spec.signers;
      const sigs = spec.signers.secretKeys
        .map((sk) => new StmSigner(backend, sk, registration, stm).sign(signedMessage))
        .filter((s): s is SingleSignature => s !== null);
      const multiSignature = aggregateSignatures(
        backend,
        registration,
        stm,
        signedMessage,
        sigs,
        chaCha20Random(new Uint8Array(32)),
      );
      return buildCertificate({
        previousHash: spec.previousHash,
        epoch: spec.epoch,
        metadata: {
          network: 'devnet',
          protocolVersion: '0.1.0',
          protocolParameters: certParams,
          initiatedAt: T0 + BigInt(spec.epoch) * 1000n * SECOND,
          sealedAt: T0 + BigInt(spec.epoch) * 1000n * SECOND + 123_456_789n,
          signers: registration.entries.map((e, i) => ({ partyId: `pool${i}`, stake: e.stake })),
        },
        protocolMessage: message,
        aggregateVerificationKey: registration.avk,
        signature: { type: 'multi', signedEntityType: spec.entity, multiSignature },
      });
    }

    const genesis = createGenesisCertificate({
      network: 'devnet',
      epoch: 10,
      protocolParameters: params,
      aggregateVerificationKey: avkA,
      initiatedAt: T0,
      sealedAt: T0 + 1n,
      genesisSecretKey: genesisKeys.secretKey,
    });
    // Epoch 10, signed by A (genesis AVK), announcing B for epoch 11.
    const c1 = standard({
      epoch: 10,
      entity: { type: 'CardanoStakeDistribution', epoch: 9 },
      previousHash: genesis.hash,
      signers: committeeA,
      nextAvk: avkB,
    });
    // Epoch 11, signed by B.
    const c2 = standard({
      epoch: 11,
      entity: { type: 'MithrilStakeDistribution', epoch: 11 },
      previousHash: c1.hash,
      signers: committeeB,
      nextAvk: avkB,
    });
    const c3 = standard({
      epoch: 11,
      entity: { type: 'CardanoStakeDistribution', epoch: 10 },
      previousHash: c2.hash,
      signers: committeeB,
      nextAvk: avkB,
    });
    const all = new Map([genesis, c1, c2, c3].map((c) => [c.hash, c]));
    /** Re-hash after a mutation, so that later checks are reached. */
    const rehash = (c: Certificate): Certificate => ({ ...c, hash: computeCertificateHash(c) });

    it('creates a genesis certificate as the reference does', () => {
      expect(genesis.previousHash).to.equal('');
      expect(genesis.metadata.signers).to.deep.equal([]);
      expect(genesis.metadata.protocolVersion).to.equal('0.1.0');
      expect(genesis.protocolMessage.entries()).to.deep.equal([
        ['next_aggregate_verification_key', avkToJsonHex(avkA)],
        ['next_protocol_parameters', computeProtocolParametersHash(params)],
        ['current_epoch', '10'],
      ]);
      expect(genesis.signedMessage).to.equal(genesis.protocolMessage.computeHash());
      expect(genesis.signature).to.deep.equal({
        type: 'genesis',
        signature: ed25519Sign(genesisKeys.secretKey, utf8(genesis.signedMessage)),
      });
      verifyGenesisCertificate(genesis, genesisKeys.publicKey);
    });

    it('verifies the whole chain and survives a JSON round trip', () => {
      const result = verifyCertificateChain(all, c3.hash, ctx);
      expect(result.failure, result.failure?.message).to.equal(undefined);
      expect(result.verified.map((v) => [v.hash, v.epoch, v.genesis, v.signedEntityType.type])).to.deep.equal(
        [
          [c3.hash, 11, false, 'CardanoStakeDistribution'],
          [c2.hash, 11, false, 'MithrilStakeDistribution'],
          [c1.hash, 10, false, 'CardanoStakeDistribution'],
          [genesis.hash, 10, true, 'MithrilStakeDistribution'],
        ],
      );
      const reparsed = new Map(
        [...all.values()].map((c) => {
          const text = stringifyCertificate(c);
          const back = parseCertificate(text);
          expect(stringifyCertificate(back)).to.equal(text);
          return [back.hash, back];
        }),
      );
      expect(verifyCertificateChain(reparsed, c3.hash, ctx).valid).to.equal(true);
    });

    it('CYCLE: a certificate chaining to itself, and a loop in the chain walk', () => {
      expectCheck(() => verifyCertificate({ ...c2, previousHash: c2.hash }, c1, ctx), 'CYCLE', c2.hash);
      // c2 listed with c3 as its parent: c3 → c2' → c3.
      const loop = new Map(all);
      loop.set(c2.hash, { ...c2, previousHash: c3.hash });
      const result = verifyCertificateChain(loop, c3.hash, ctx);
      expect(result.valid).to.equal(false);
      expect(result.verified.map((v) => v.hash)).to.deep.equal([c3.hash]);
      expect(result.failure?.check).to.equal('CYCLE');
      expect(result.failure?.certificateHash).to.equal(c2.hash);
    });

    it('HASH_MISMATCH: any field changed without re-hashing', () => {
      expectCheck(
        () => verifyCertificate({ ...c2, metadata: { ...c2.metadata, network: 'mainnet' } }, c1, ctx),
        'HASH_MISMATCH',
      );
      expectCheck(() => verifyCertificate({ ...c2, epoch: 12 }, c1, ctx), 'HASH_MISMATCH');
      expectCheck(() => verifyCertificate({ ...genesis, previousHash: 'x' }, null, ctx), 'HASH_MISMATCH');
    });

    it('MESSAGE_HASH_MISMATCH: a protocol message that does not hash to signed_message', () => {
      const tampered = rehash({
        ...c2,
        protocolMessage: c2.protocolMessage.clone().set('latest_block_number', '1'),
      });
      expectCheck(() => verifyCertificate(tampered, c1, ctx), 'MESSAGE_HASH_MISMATCH', tampered.hash);
      const genesisTampered = rehash({
        ...genesis,
        protocolMessage: genesis.protocolMessage.clone().set('current_epoch', '11'),
      });
      expectCheck(() => verifyCertificate(genesisTampered, null, ctx), 'MESSAGE_HASH_MISMATCH');
    });

    it('MULTI_SIGNATURE_INVALID: a multi-signature of another message, or under another AVK', () => {
      const signature = c3.signature;
      const swapped = rehash({ ...c2, signature: { ...signature } });
      expect(swapped.signature.type === 'multi' && swapped.signature.signedEntityType.type).to.equal(
        'CardanoStakeDistribution',
      );
      expectCheck(() => verifyCertificate(swapped, c1, ctx), 'MULTI_SIGNATURE_INVALID', swapped.hash);
      const otherAvk = rehash({ ...c2, aggregateVerificationKey: avkA });
      expectCheck(() => verifyCertificate(otherAvk, c1, ctx), 'MULTI_SIGNATURE_INVALID');
      const otherParams = rehash({
        ...c2,
        metadata: { ...c2.metadata, protocolParameters: { ...params, k: 100 } },
      });
      expectCheck(() => verifyCertificate(otherParams, c1, ctx), 'MULTI_SIGNATURE_INVALID');
    });

    it('EPOCH_MISMATCH: a signed current_epoch part that is not the epoch', () => {
      const wrong = standard({
        epoch: 11,
        entity: { type: 'MithrilStakeDistribution', epoch: 11 },
        previousHash: c1.hash,
        signers: committeeB,
        nextAvk: avkB,
        epochPart: '12',
      });
      expectCheck(() => verifyCertificate(wrong, c1, ctx), 'EPOCH_MISMATCH', wrong.hash);
      // Genesis: re-signed with the genesis key, so only the epoch part is wrong.
      const message = genesis.protocolMessage.clone().set('current_epoch', '9');
      const signedMessage = message.computeHash();
      const wrongGenesis = rehash({
        ...genesis,
        protocolMessage: message,
        signedMessage,
        signature: { type: 'genesis', signature: ed25519Sign(genesisKeys.secretKey, utf8(signedMessage)) },
      });
      expectCheck(() => verifyCertificate(wrongGenesis, null, ctx), 'EPOCH_MISMATCH', wrongGenesis.hash);
    });

    it('EPOCH_GAP: a parent more than one epoch away', () => {
      const late = standard({
        epoch: 13,
        entity: { type: 'MithrilStakeDistribution', epoch: 13 },
        previousHash: c2.hash,
        signers: committeeB,
        nextAvk: avkB,
      });
      expectCheck(() => verifyCertificate(late, c2, ctx), 'EPOCH_GAP', late.hash);
    });

    it('PREVIOUS_HASH_MISMATCH: a parent that is not the one named by previous_hash', () => {
      expectCheck(() => verifyCertificate(c3, c1, ctx), 'PREVIOUS_HASH_MISMATCH', c3.hash);
      const result = verifyCertificateChain(
        new Map([...all].map(([h, c]) => [h, h === c2.hash ? c1 : c])),
        c3.hash,
        ctx,
      );
      expect(result.failure?.check).to.equal('PREVIOUS_HASH_MISMATCH');
    });

    it("AVK_CHAIN_BROKEN: not the parent's next AVK (new epoch) or not the parent's AVK (same epoch)", () => {
      const newEpoch = standard({
        epoch: 11,
        entity: { type: 'MithrilStakeDistribution', epoch: 11 },
        previousHash: c1.hash,
        signers: committeeA,
        nextAvk: avkB,
      });
      expectCheck(() => verifyCertificate(newEpoch, c1, ctx), 'AVK_CHAIN_BROKEN', newEpoch.hash);
      const sameEpoch = standard({
        epoch: 11,
        entity: { type: 'CardanoStakeDistribution', epoch: 10 },
        previousHash: c2.hash,
        signers: committeeA,
        nextAvk: avkB,
      });
      expectCheck(() => verifyCertificate(sameEpoch, c2, ctx), 'AVK_CHAIN_BROKEN', sameEpoch.hash);
      // An undecodable next AVK in the parent breaks the chain too.
      const badParent = {
        ...c1,
        protocolMessage: c1.protocolMessage.clone().set('next_aggregate_verification_key', 'zz'),
      };
      expectCheck(() => verifyCertificate(c2, badParent, ctx), 'AVK_CHAIN_BROKEN');
    });

    it('PARAMETERS_CHAIN_BROKEN: not the parent parameters (same epoch) or their announced hash (new epoch)', () => {
      const sameEpoch = standard({
        epoch: 11,
        entity: { type: 'CardanoStakeDistribution', epoch: 10 },
        previousHash: c2.hash,
        signers: committeeB,
        params: otherParams,
        nextAvk: avkB,
      });
      expectCheck(() => verifyCertificate(sameEpoch, c2, ctx), 'PARAMETERS_CHAIN_BROKEN', sameEpoch.hash);
      const newEpoch = standard({
        epoch: 11,
        entity: { type: 'MithrilStakeDistribution', epoch: 11 },
        previousHash: c1.hash,
        signers: committeeB,
        params: otherParams,
        nextAvk: avkB,
      });
      expectCheck(() => verifyCertificate(newEpoch, c1, ctx), 'PARAMETERS_CHAIN_BROKEN', newEpoch.hash);
    });

    it('GENESIS_SIGNATURE_INVALID: another genesis key, a forged signature or a malformed key', () => {
      const otherKey = ed25519KeyPairFromSeed(new Uint8Array(32).fill(8)).publicKey;
      expectCheck(
        () => verifyCertificate(genesis, null, { ...ctx, genesisVerificationKey: otherKey }),
        'GENESIS_SIGNATURE_INVALID',
      );
      const forged = rehash({
        ...genesis,
        signature: { type: 'genesis', signature: ed25519Sign(otherKey, utf8(genesis.signedMessage)) },
      });
      expectCheck(() => verifyCertificate(forged, null, ctx), 'GENESIS_SIGNATURE_INVALID', forged.hash);
      expectCheck(
        () => verifyCertificate(genesis, null, { ...ctx, genesisVerificationKey: new Uint8Array(31) }),
        'GENESIS_SIGNATURE_INVALID',
      );
    });

    it('MISSING_PARENT and MISSING_CERTIFICATE', () => {
      expectCheck(() => verifyCertificate(c2, null, ctx), 'MISSING_PARENT', c2.hash);
      const withoutC1 = new Map(all);
      withoutC1.delete(c1.hash);
      const result = verifyCertificateChain(withoutC1, c3.hash, ctx);
      expect(result.valid).to.equal(false);
      expect(result.verified.map((v) => v.hash)).to.deep.equal([c3.hash]);
      expect(result.failure?.check).to.equal('MISSING_PARENT');
      expect(result.failure?.certificateHash).to.equal(c2.hash);
      const unknown = verifyCertificateChain(all, 'ff'.repeat(32), ctx);
      expect(unknown.failure?.check).to.equal('MISSING_CERTIFICATE');
      expect(unknown.verified).to.deep.equal([]);
    });

    it('MALFORMED: a certificate whose hash cannot be recomputed', () => {
      const bad = { ...c2, metadata: { ...c2.metadata, protocolParameters: { ...params, phiF: 300 } } };
      expectCheck(() => verifyCertificate(bad, c1, ctx), 'MALFORMED', c2.hash);
    });
  });
});
