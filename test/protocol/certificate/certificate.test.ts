import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Certificate, CertificateMetadata } from '../../../protocol/certificate/certificate.ts';
import {
  buildCertificate,
  certificateFromJson,
  certificateFromMessage,
  certificateMessageFromJson,
  CertificateDecodeError,
  certificateSignedEntityType,
  certificateToMessage,
  computeCertificateHash,
  computeMetadataHash,
  parseCertificate,
  parseCertificateMessage,
  stringifyCertificate,
  stringifyCertificateMessage,
} from '../../../protocol/certificate/certificate.ts';
import { parseRfc3339 } from '../../../protocol/certificate/time.ts';
import { avkFromJsonHex, multiSignatureFromJsonHex } from '../../../protocol/codec/json-hex.ts';
import type { JsonObject, JsonValue } from '../../../protocol/codec/json.ts';
import {
  expectArray,
  expectObject,
  expectString,
  parseJson,
  stringifyJson,
} from '../../../protocol/codec/json.ts';
import { ProtocolMessage } from '../../../protocol/message/protocol-message.ts';

const readFixture = (name: string): JsonObject =>
  expectObject(parseJson(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')), name);

/** Reference goldens: messages/certificate.rs and test/double/fake_keys.rs (see "source"). */
const goldens = readFixture('reference-goldens.json');
const fakeKeys = expectObject(goldens['fake_keys'], 'fake_keys');
const fake = (kind: string, i: number): string => expectString(expectArray(fakeKeys[kind], kind)[i], kind);
/** Real devnet certificates (see fixtures/devnet-chain.json "source"). */
const devnet = expectArray(readFixture('devnet-chain.json')['certificates'], 'certificates');

const SECOND = 1_000_000_000n;

/** `get_parties()` of the reference tests. */
const parties = [
  { partyId: '1', stake: 10n },
  { partyId: '2', stake: 20n },
];

/** The certificate of entities/certificate.rs `test_certificate_compute_hash` (and genesis twin). */
function referenceCertificate(signature: Certificate['signature'], avkIndex: number): Certificate {
  const initiatedAt = parseRfc3339('2024-02-12T13:11:47.0123043Z');
  return buildCertificate({
    previousHash: 'previous_hash',
    epoch: 10,
    metadata: {
      network: 'testnet',
      protocolVersion: '0.1.0',
      protocolParameters: { k: 1000, m: 100, phiF: 0.123 },
      initiatedAt,
      sealedAt: initiatedAt + 100n * SECOND,
      signers: parties,
    },
    protocolMessage: new ProtocolMessage()
      .set('snapshot_digest', 'snapshot-digest-123')
      .set('next_aggregate_verification_key', fake('aggregate_verification_key_for_concatenation', 1)),
    aggregateVerificationKey: avkFromJsonHex(fake('aggregate_verification_key_for_concatenation', avkIndex)),
    signature,
  });
}

describe('protocol/certificate/certificate', () => {
  describe('hashes (reference goldens)', () => {
    it('metadata hash: test_certificate_metadata_compute_hash', () => {
      const initiatedAt = parseRfc3339('2024-02-12T13:11:47.000123043Z');
      const metadata: CertificateMetadata = {
        network: 'devnet',
        protocolVersion: '0.1.0',
        protocolParameters: { k: 1000, m: 100, phiF: 0.123 },
        initiatedAt,
        sealedAt: initiatedAt + 100n * SECOND,
        signers: parties,
      };
      const golden = 'f16631f048b33746aa0141cf607ee53ddb76308725e6912530cc41cc54834206';
      expect(computeMetadataHash(metadata)).to.equal(golden);
      expect(computeMetadataHash({ ...metadata, network: 'modified' })).to.not.equal(golden);
      expect(computeMetadataHash({ ...metadata, protocolVersion: '0.1.0-modified' })).to.not.equal(golden);
      expect(computeMetadataHash({ ...metadata, initiatedAt: initiatedAt - 78n * SECOND })).to.not.equal(
        golden,
      );
      expect(computeMetadataHash({ ...metadata, signers: [parties[0]!] })).to.not.equal(golden);
    });

    it('standard certificate hash: test_certificate_compute_hash (AVK and multi-signature re-encoded)', () => {
      const signature = {
        type: 'multi' as const,
        signedEntityType: { type: 'MithrilStakeDistribution' as const, epoch: 10 },
        multiSignature: multiSignatureFromJsonHex(fake('multi_signature', 0)),
      };
      const certificate = referenceCertificate(signature, 0);
      const golden = '5e341ceeb91cc9957fca96d586e0ff2c66a8d6ec6b90bf84929c060c717094da';
      expect(certificate.hash).to.equal(golden);
      expect(computeCertificateHash(certificate)).to.equal(golden);
      const changed = (patch: Partial<Certificate>): string =>
        computeCertificateHash({ ...certificate, ...patch });
      expect(changed({ previousHash: 'previous_hash-modified' })).to.not.equal(golden);
      expect(changed({ epoch: 20 })).to.not.equal(golden);
      expect(
        changed({
          signature: { ...signature, signedEntityType: { type: 'CardanoStakeDistribution', epoch: 100 } },
        }),
      ).to.not.equal(golden);
      expect(
        changed({
          signature: { ...signature, multiSignature: multiSignatureFromJsonHex(fake('multi_signature', 1)) },
        }),
      ).to.not.equal(golden);
      expect(
        changed({
          aggregateVerificationKey: avkFromJsonHex(fake('aggregate_verification_key_for_concatenation', 2)),
        }),
      ).to.not.equal(golden);
    });

    it('genesis certificate hash: test_genesis_certificate_compute_hash (no feed_hash, signature hex)', () => {
      const genesisSignature = (i: number) => ({
        type: 'genesis' as const,
        signature: Buffer.from(fake('genesis_signature', i), 'hex'),
      });
      const certificate = referenceCertificate(genesisSignature(0), 1);
      expect(certificate.hash).to.equal('6160fca853402c0ea89a0a9ceb5d97462ffd81c558c53feef01dcc0827f5bd19');
      expect(computeCertificateHash({ ...certificate, signature: genesisSignature(1) })).to.not.equal(
        certificate.hash,
      );
    });

    it('hashes every devnet certificate to its hash (all signed entity types, real aggregator output)', () => {
      const types = new Set<string>();
      for (const value of devnet) {
        const certificate = certificateFromJson(value);
        types.add(certificateSignedEntityType(certificate).type);
        expect(computeCertificateHash(certificate), certificate.hash).to.equal(certificate.hash);
        expect(certificate.protocolMessage.computeHash(), certificate.hash).to.equal(
          certificate.signedMessage,
        );
      }
      expect([...types].sort()).to.deep.equal([
        'CardanoBlocksTransactions',
        'CardanoDatabase',
        'CardanoStakeDistribution',
        'CardanoTransactions',
        'MithrilStakeDistribution',
      ]);
    });
  });

  describe('CertificateMessage JSON', () => {
    it('re-encodes real aggregator JSON byte for byte, through the message and through the certificate', () => {
      for (const value of devnet) {
        const text = stringifyJson(value);
        expect(stringifyCertificateMessage(parseCertificateMessage(text))).to.equal(text);
        expect(stringifyCertificate(parseCertificate(text))).to.equal(text);
      }
    });

    it('decodes the CURRENT_JSON golden (unknown signer fields ignored, as serde does)', () => {
      const message = parseCertificateMessage(
        expectString(goldens['certificate_message_current_json'], 'golden'),
      );
      expect(message.hash).to.equal('hash');
      expect(message.previousHash).to.equal('previous_hash');
      expect(message.epoch).to.equal(10);
      expect(message.signedEntityType).to.deep.equal({
        type: 'CardanoDatabase',
        epoch: 10,
        immutableFileNumber: 1728,
      });
      expect(message.metadata).to.deep.equal({
        network: 'testnet',
        protocolVersion: '0.1.0',
        protocolParameters: { k: 1000, m: 100, phiF: 0.123 },
        initiatedAt: parseRfc3339('2024-02-12T13:11:47Z'),
        sealedAt: parseRfc3339('2024-02-12T13:12:57Z'),
        signers: parties,
      });
      expect(message.protocolMessage.entries()).to.deep.equal([
        ['snapshot_digest', 'snapshot-digest-123'],
        ['next_aggregate_verification_key', 'next-avk-123'],
      ]);
      expect(message.signedMessage).to.equal('signed_message');
      expect(message.aggregateVerificationKey).to.equal('aggregate_verification_key');
      expect(message.multiSignature).to.equal('multi_signature');
      expect(message.genesisSignature).to.equal('genesis_signature');
      // Not hex: the message decodes, the certificate does not.
      expect(() => certificateFromMessage(message))
        .to.throw(CertificateDecodeError)
        .with.property('code', 'INVALID_AGGREGATE_VERIFICATION_KEY');
    });

    it('round-trips the GOLDEN_DUAL_JSON golden byte for byte (SNARK-era field kept verbatim)', () => {
      const text = expectString(goldens['certificate_message_dual_genesis_json'], 'golden');
      const message = parseCertificateMessage(text);
      expect(message.genesisSchnorrSignature).to.match(/^4e62a6e0/);
      expect(stringifyCertificateMessage(message)).to.equal(text);
    });

    it('decodes the archived pre-Lagrange JSON golden', () => {
      const message = parseCertificateMessage(
        '{"hash":"hash","previous_hash":"previous_hash","epoch":10,"signed_entity_type":{"MithrilStakeDistribution":10},' +
          '"metadata":{"network":"testnet","version":"0.1.0","parameters":{"k":1000,"m":100,"phi_f":0.123},' +
          '"initiated_at":"2024-02-12T13:11:47Z","sealed_at":"2024-02-12T13:12:57Z","signers":[]},' +
          '"protocol_message":{"message_parts":{}},"signed_message":"signed_message",' +
          '"aggregate_verification_key":"agg","multi_signature":"ms","genesis_signature":"gs"}',
      );
      expect(message.genesisSchnorrSignature).to.equal(undefined);
      expect(message.signedEntityType).to.deep.equal({ type: 'MithrilStakeDistribution', epoch: 10 });
    });

    it('keeps ancillary and SNARK AVK fields in serde order and hashes the ancillary bytes', () => {
      const base = expectObject(parseJson(stringifyJson(devnet[0]!)), 'certificate');
      const withExtras: JsonObject = {};
      for (const [k, v] of Object.entries(base)) {
        if (k === 'multi_signature') {
          withExtras['aggregate_verification_key_snark'] = 'aa';
          withExtras['ancillary_prover_data'] = '0102';
          withExtras['ancillary_verifier_data'] = '03';
        }
        withExtras[k] = v;
      }
      const text = stringifyJson(withExtras);
      const certificate = parseCertificate(text);
      expect(stringifyCertificate(certificate)).to.equal(text);
      expect(certificate.ancillaryProverData).to.deep.equal(Uint8Array.from([1, 2]));
      expect(computeCertificateHash(certificate)).to.not.equal(certificate.hash);
      const { ancillaryProverData: _p, ancillaryVerifierData: _v, ...plain } = certificate;
      expect(computeCertificateHash(plain)).to.equal(certificate.hash);
    });
  });

  describe('CertificateMessage → Certificate', () => {
    it('decodes the JSON-hex and bytes-hex multi-signature goldens to the same proof', () => {
      const json = expectObject(goldens['standard_json_hex'], 'json');
      const bytes = expectObject(goldens['standard_bytes_hex'], 'bytes');
      const golden = parseCertificateMessage(stringifyJson(devnet[0]!));
      const decode = (multiSignature: JsonValue | undefined) =>
        certificateFromMessage({
          ...golden,
          aggregateVerificationKey: expectString(json['aggregate_verification_key'], 'avk'),
          multiSignature: expectString(multiSignature, 'ms'),
          genesisSignature: '',
        });
      const fromJson = decode(json['multi_signature']);
      const fromBytes = decode(bytes['multi_signature']);
      expect(fromBytes.signature).to.deep.equal(fromJson.signature);
      // Hashing and re-encoding go through JSON-hex, whatever the input encoding.
      expect(computeCertificateHash(fromBytes)).to.equal(computeCertificateHash(fromJson));
      expect(certificateToMessage(fromBytes).multiSignature).to.equal(json['multi_signature']);
      expect(certificateToMessage(fromJson).aggregateVerificationKey).to.equal(
        json['aggregate_verification_key'],
      );
    });

    it('rejects the bytes-hex AVK golden, whose legacy layout holds a 33-byte root', () => {
      // nr_leaves 0 ‖ 33-byte root ‖ total stake 6: Rust keeps roots as Vec<u8>, our AVK model
      // (and any verifiable AVK) has a 32-byte BLAKE2b-256 root.
      const bytes = expectObject(goldens['standard_bytes_hex'], 'bytes');
      const golden = parseCertificateMessage(stringifyJson(devnet[0]!));
      expect(() =>
        certificateFromMessage({
          ...golden,
          aggregateVerificationKey: expectString(bytes['aggregate_verification_key'], 'avk'),
        }),
      )
        .to.throw(CertificateDecodeError)
        .with.property('code', 'INVALID_AGGREGATE_VERIFICATION_KEY');
    });

    it('decodes the bytes-hex genesis signature golden; a genesis is MithrilStakeDistribution(epoch)', () => {
      const keys = expectObject(goldens['genesis_bytes_hex'], 'genesis');
      const json = expectObject(goldens['standard_json_hex'], 'json');
      const golden = parseCertificateMessage(stringifyJson(devnet[0]!));
      const certificate = certificateFromMessage({
        ...golden,
        signedEntityType: { type: 'MithrilStakeDistribution', epoch: golden.epoch },
        aggregateVerificationKey: expectString(json['aggregate_verification_key'], 'avk'),
        multiSignature: '',
        genesisSignature: expectString(keys['genesis_signature'], 'sig'),
      });
      // Fields that a genesis hash does not cover must hold the only values the reference writes.
      for (const patch of [
        { signedEntityType: { type: 'CardanoDatabase', epoch: 10, immutableFileNumber: 1728 } },
        { signedEntityType: { type: 'MithrilStakeDistribution', epoch: golden.epoch + 1 } },
        { multiSignature: expectString(json['multi_signature'], 'multi') },
      ] as const) {
        expect(() =>
          certificateFromMessage({
            ...golden,
            aggregateVerificationKey: expectString(json['aggregate_verification_key'], 'avk'),
            multiSignature: '',
            genesisSignature: expectString(keys['genesis_signature'], 'sig'),
            ...patch,
          }),
        )
          .to.throw(CertificateDecodeError)
          .with.property('code', 'INCONSISTENT_GENESIS');
      }
      expect(certificate.signature.type).to.equal('genesis');
      expect(certificateSignedEntityType(certificate)).to.deep.equal({
        type: 'MithrilStakeDistribution',
        epoch: golden.epoch,
      });
      expect(certificateToMessage(certificate).genesisSignature).to.equal(keys['genesis_signature']);
    });

    it('accepts a JSON-hex genesis signature (the Ed25519 codec fallback)', () => {
      const genesisHex = fake('genesis_signature', 0);
      const jsonHex = Buffer.from(JSON.stringify([...Buffer.from(genesisHex, 'hex')])).toString('hex');
      const genesis = parseCertificateMessage(
        stringifyJson(devnet.find((c) => expectObject(c, 'c')['previous_hash'] === '')!),
      );
      const certificate = certificateFromMessage({ ...genesis, genesisSignature: jsonHex });
      expect(certificateToMessage(certificate).genesisSignature).to.equal(genesisHex);
    });

    it('rejects malformed messages with typed errors', () => {
      const good = expectObject(parseJson(stringifyJson(devnet[0]!)), 'certificate');
      const cases: [JsonObject, string][] = [
        [{ ...good, epoch: -1n }, 'INVALID_FIELD'],
        [{ ...good, hash: 1n }, 'INVALID_FIELD'],
        [{ ...good, signed_entity_type: { Nope: 1n } }, 'UNKNOWN_SIGNED_ENTITY_TYPE'],
        [
          { ...good, metadata: { ...expectObject(good['metadata'], 'm'), initiated_at: 'yesterday' } },
          'INVALID_TIMESTAMP',
        ],
        [
          { ...good, metadata: { ...expectObject(good['metadata'], 'm'), signers: [{ party_id: 'p' }] } },
          'MISSING_FIELD',
        ],
        [{ ...good, protocol_message: { message_parts: { nope: 'x' } } }, 'UNKNOWN_PART_KEY'],
      ];
      for (const [value, code] of cases) {
        expect(() => certificateMessageFromJson(value), code)
          .to.throw()
          .with.property('code', code);
      }
      const { multi_signature: _ms, ...missing } = good;
      expect(() => certificateMessageFromJson(missing))
        .to.throw()
        .with.property('code', 'MISSING_FIELD');
      const message = certificateMessageFromJson(good);
      const decodeCases: [Partial<typeof message>, string][] = [
        [{ multiSignature: 'zz' }, 'INVALID_MULTI_SIGNATURE'],
        [{ aggregateVerificationKey: '00' }, 'INVALID_AGGREGATE_VERIFICATION_KEY'],
        [{ genesisSignature: 'abcd' }, 'INVALID_GENESIS_SIGNATURE'],
        [{ ancillaryProverData: 'xyz' }, 'INVALID_ANCILLARY_DATA'],
      ];
      for (const [patch, code] of decodeCases) {
        expect(() => certificateFromMessage({ ...message, ...patch }), code)
          .to.throw(CertificateDecodeError)
          .with.property('code', code);
      }
    });
  });
});
