/**
 * Every reference golden for the STM types (JSON, legacy bytes, CBOR v1, JSON-hex fake keys, DMQ
 * legacy signature) decodes to the expected value and re-encodes byte-identically wherever the
 * reference still writes that form. Sources: the `source` field of each fixture file.
 */
import { expect } from 'chai';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import {
  avkFromJson,
  avkToJson,
  concatenationProofFromJson,
  concatenationProofToJson,
  merkleCommitmentFromJson,
  merkleCommitmentToJson,
  parametersFromJson,
  parametersToJson,
  registrationEntryFromJson,
  registrationEntryToJson,
  signatureWithRegisteredPartyFromJson,
  signatureWithRegisteredPartyToJson,
  singleSignatureFromJson,
  singleSignatureToJson,
  vkPopFromJson,
  vkPopToJson,
} from '../../../protocol/codec/stm-json.ts';
import {
  aggregateSignatureFromBytes,
  aggregateSignatureToBytes,
  avkFromBytes,
  avkToBytes,
  concatenationProofFromBytes,
  concatenationProofToBytes,
  merkleBatchPathFromBytes,
  merkleBatchPathToBytes,
  merkleCommitmentFromBytes,
  merkleCommitmentToBytes,
  parametersFromBytes,
  parametersToBytes,
  registrationEntryFromBytes,
  registrationEntryToBytes,
  signatureWithRegisteredPartyFromBytes,
  signatureWithRegisteredPartyToBytes,
  singleSignatureFromBytes,
  singleSignatureToBytes,
  vkPopToBytes,
} from '../../../protocol/codec/stm-cbor.ts';
import {
  avkFromLegacyBytes,
  parametersFromLegacyBytes,
  registrationEntryFromLegacyBytes,
  singleSignatureFromLegacyBytes,
} from '../../../protocol/codec/legacy-bytes.ts';
import {
  avkFromJsonHex,
  avkToJsonHex,
  multiSignatureFromJsonHex,
  multiSignatureToJsonHex,
  singleSignatureFromJsonHex,
  singleSignatureToJsonHex,
  vkPopFromJsonHex,
  vkPopToJsonHex,
} from '../../../protocol/codec/json-hex.ts';
import { fromHex, goldens, GOLDEN_PROOF, REF } from './helpers.ts';

/** The compact serde_json text of a golden JSON document (same value, whitespace removed). */
const compact = (text: string): string => stringifyJson(parseJson(text));
const hex = (b: Uint8Array): string => bytesToHex(b);

const expectDecodeError = (f: () => unknown, code: string): void => {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(DecodeError);
    expect((e as DecodeError).code).to.equal(code);
    return;
  }
  expect.fail(`expected DecodeError ${code}`);
};

describe('reference goldens', () => {
  describe('SingleSignature (protocol/single_signature/signature.rs)', () => {
    const g = goldens('stm-single-signature.json');
    const value = { sigma: fromHex(REF.sigma1), indexes: [1, 4, 5, 8], signerIndex: 1 };

    it('CBOR v1 (131 B) decodes and re-encodes identically', () => {
      expect(g.cbor!.hex!.length / 2).to.equal(131);
      expect(singleSignatureFromBytes(fromHex(g.cbor!.hex!))).to.deep.equal(value);
      expect(hex(singleSignatureToBytes(value))).to.equal(g.cbor!.hex);
    });

    it('legacy bytes (96 B) decode to the same value', () => {
      expect(singleSignatureFromLegacyBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(singleSignatureFromBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
    });

    it('JSON decodes and re-encodes to the compact serde text', () => {
      const json = parseJson(g.json!.text!);
      expect(singleSignatureFromJson(json)).to.deep.equal(value);
      expect(stringifyJson(singleSignatureToJson(value))).to.equal(compact(g.json!.text!));
    });

    it('future_snark CBOR (396 B) and JSON decode without their SNARK part', () => {
      const snark = { indexes: [3, 4, 5, 6, 7], signerIndex: 1 };
      const fromCbor = singleSignatureFromBytes(fromHex(g.cbor_snark!.hex!));
      expect(fromCbor).to.deep.include(snark);
      expect(singleSignatureFromJson(parseJson(g.json_snark!.text!))).to.deep.equal(fromCbor);
      // Lossy re-encoding, as CODEC.md warns: the snark_signature key is dropped.
      expect(singleSignatureToBytes(fromCbor).length).to.be.lessThan(396);
    });

    it('future_snark legacy bytes (208 B) are rejected: trailing SNARK data', () => {
      expectDecodeError(
        () => singleSignatureFromBytes(fromHex(g.legacy_bytes_snark!.hex!)),
        'TRAILING_BYTES',
      );
    });
  });

  describe('ClosedRegistrationEntry (protocol/key_registration/closed_registration_entry.rs)', () => {
    const g = goldens('stm-closed-registration-entry.json');
    const value = { vk: fromHex(REF.vk1), stake: 1n };

    it('CBOR v1 (219 B) round-trips, legacy (104 B) decodes to the same value', () => {
      expect(registrationEntryFromBytes(fromHex(g.cbor!.hex!))).to.deep.equal(value);
      expect(hex(registrationEntryToBytes(value))).to.equal(g.cbor!.hex);
      expect(registrationEntryFromLegacyBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(registrationEntryFromBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
    });

    it('future_snark CBOR (433 B) decodes without its SNARK fields; legacy 200 B is rejected', () => {
      expect(registrationEntryFromBytes(fromHex(g.cbor_snark!.hex!))).to.deep.equal(value);
      expectDecodeError(
        () => registrationEntryFromBytes(fromHex(g.legacy_bytes_snark!.hex!)),
        'TRAILING_BYTES',
      );
    });

    it('Merkle leaf JSON (membership_commitment/merkle_tree/leaf.rs) is the same [vk, stake] tuple', () => {
      const text = goldens('stm-merkle-leaf.json').concatenation_json!.text!;
      expect(registrationEntryFromJson(parseJson(text))).to.deep.equal(value);
      expect(stringifyJson(registrationEntryToJson(value))).to.equal(compact(text));
    });
  });

  describe('SingleSignatureWithRegisteredParty (protocol/single_signature/signature_registered_party.rs)', () => {
    const g = goldens('stm-signature-registered-party.json');
    const value = {
      sig: { sigma: fromHex(REF.sigma1), indexes: [1, 4, 5, 8], signerIndex: 1 },
      entry: { vk: fromHex(REF.vk1), stake: 1n },
    };

    it('CBOR v1 (730 B) round-trips', () => {
      expect(signatureWithRegisteredPartyFromBytes(fromHex(g.cbor!.hex!))).to.deep.equal(value);
      expect(hex(signatureWithRegisteredPartyToBytes(value))).to.equal(g.cbor!.hex);
    });

    it('JSON decodes and re-encodes to the compact serde text', () => {
      expect(signatureWithRegisteredPartyFromJson(parseJson(g.json!.text!))).to.deep.equal(value);
      expect(stringifyJson(signatureWithRegisteredPartyToJson(value))).to.equal(compact(g.json!.text!));
    });

    it('future_snark CBOR (1721 B) decodes without SNARK data; its 4-tuple JSON entry is rejected', () => {
      const v = signatureWithRegisteredPartyFromBytes(fromHex(g.cbor_snark!.hex!));
      expect(v.entry).to.deep.equal(value.entry);
      expect(v.sig).to.deep.include({ indexes: [3, 4, 5, 6, 7], signerIndex: 1 });
      expectDecodeError(
        () => signatureWithRegisteredPartyFromJson(parseJson(g.json_snark!.text!)),
        'INVALID_LENGTH',
      );
    });
  });

  describe('ConcatenationProof / AggregateSignature', () => {
    const proof = goldens('stm-concatenation-proof.json');
    const agg = goldens('stm-aggregate-signature.json');

    it('ConcatenationProof CBOR (2974 B, proof_system/concatenation/proof.rs) round-trips', () => {
      expect(proof.cbor!.hex!.length / 2).to.equal(2974);
      expect(concatenationProofFromBytes(fromHex(proof.cbor!.hex!))).to.deep.equal(GOLDEN_PROOF);
      expect(hex(concatenationProofToBytes(GOLDEN_PROOF))).to.equal(proof.cbor!.hex);
    });

    it('AggregateSignature CBOR (5937 B, protocol/aggregate_signature/signature.rs) round-trips', () => {
      expect(agg.concatenation_cbor!.hex!.length / 2).to.equal(5937);
      expect(aggregateSignatureFromBytes(fromHex(agg.concatenation_cbor!.hex!))).to.deep.equal(GOLDEN_PROOF);
      expect(hex(aggregateSignatureToBytes(GOLDEN_PROOF))).to.equal(agg.concatenation_cbor!.hex);
    });

    it('AggregateSignature JSON (untagged) decodes to the same proof and re-encodes compactly', () => {
      const text = agg.concatenation_json!.text!;
      expect(concatenationProofFromJson(parseJson(text))).to.deep.equal(GOLDEN_PROOF);
      expect(stringifyJson(concatenationProofToJson(GOLDEN_PROOF))).to.equal(compact(text));
    });

    it('SNARK aggregate signatures (legacy type byte 1, CBOR type 1) are rejected as unsupported', () => {
      expectDecodeError(
        () => aggregateSignatureFromBytes(fromHex(agg.snark_legacy_bytes!.hex!)),
        'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
      );
      expectDecodeError(
        () => aggregateSignatureFromBytes(fromHex(agg.snark_cbor!.hex!)),
        'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
      );
      expectDecodeError(
        () => concatenationProofFromJson(parseJson('{"Snark":{}}')),
        'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
      );
    });

    it('a legacy-framed aggregate signature holding a CBOR proof decodes, as in the reference', () => {
      const framed = new Uint8Array([0, ...concatenationProofToBytes(GOLDEN_PROOF)]);
      expect(aggregateSignatureFromBytes(framed)).to.deep.equal(GOLDEN_PROOF);
    });
  });

  describe('AggregateVerificationKeyForConcatenation (proof_system/concatenation/aggregate_key.rs)', () => {
    const g = goldens('stm-aggregate-key.json');
    const value = { mtCommitment: { root: fromHex(REF.root), nrLeaves: 2 }, totalStake: 2n };

    it('CBOR (118 B) round-trips, legacy (48 B) and JSON decode to the same value', () => {
      expect(avkFromBytes(fromHex(g.cbor!.hex!))).to.deep.equal(value);
      expect(hex(avkToBytes(value))).to.equal(g.cbor!.hex);
      expect(avkFromLegacyBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(avkFromBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(avkFromJson(parseJson(g.json!.text!))).to.deep.equal(value);
      expect(stringifyJson(avkToJson(value))).to.equal(compact(g.json!.text!));
    });
  });

  describe('Parameters (protocol/parameters.rs)', () => {
    const g = goldens('stm-parameters.json');
    const value = { m: 20973, k: 2422, phiF: 0.2 };

    it('CBOR (27 B) round-trips, legacy (24 B) and JSON decode to the same value', () => {
      expect(parametersFromBytes(fromHex(g.cbor!.hex!))).to.deep.equal(value);
      expect(hex(parametersToBytes(value))).to.equal(g.cbor!.hex);
      expect(parametersFromLegacyBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(parametersFromBytes(fromHex(g.legacy_bytes!.hex!))).to.deep.equal(value);
      expect(parametersFromJson(parseJson(g.json!.text!))).to.deep.equal(value);
      expect(stringifyJson(parametersToJson(value))).to.equal(compact(g.json!.text!));
    });
  });

  describe('Merkle structures (membership_commitment/merkle_tree/, key_registration/register.rs)', () => {
    it('MerkleBatchPath CBOR (155 B, path.rs) round-trips: path of leaves [0, 2] in a 4-leaf tree', () => {
      const g = goldens('stm-merkle-batch-path.json').cbor!.hex!;
      const path = merkleBatchPathFromBytes(fromHex(g));
      expect(path.indices).to.deep.equal([0, 2]);
      expect(path.values).to.have.length(2);
      expect(hex(merkleBatchPathToBytes(path))).to.equal(g);
    });

    it('MerkleTreeBatchCommitment CBOR (91 B, commitment.rs) round-trips', () => {
      const g = goldens('stm-merkle-batch-commitment-cbor.json').cbor!.hex!;
      const c = merkleCommitmentFromBytes(fromHex(g));
      expect(c.nrLeaves).to.equal(4);
      expect(hex(merkleCommitmentToBytes(c))).to.equal(g);
    });

    it('MerkleTreeBatchCommitment JSON (register.rs, both feature variants) round-trips', () => {
      const g = goldens('stm-merkle-batch-commitment-json.json');
      for (const text of [g.json!.text!, g.json_snark!.text!]) {
        const c = merkleCommitmentFromJson(parseJson(text));
        expect(c.nrLeaves).to.equal(4);
        expect(stringifyJson(merkleCommitmentToJson(c))).to.equal(compact(text));
      }
    });
  });

  describe('VerificationKeyProofOfPossession (bls_multi_signature/verification_key.rs)', () => {
    it('JSON {"vk":[96],"pop":[96]} decodes to vk1 ‖ PoP(sk1) and re-encodes compactly', () => {
      const text = goldens('stm-bls-verification-key-pop.json').json!.text!;
      const v = vkPopFromJson(parseJson(text));
      expect(hex(v.vk)).to.equal(REF.vk1);
      expect(hex(v.pop)).to.equal(REF.pop1);
      expect(stringifyJson(vkPopToJson(v))).to.equal(compact(text));
    });

    it('the PoP serializes as one 96-byte array k1 ‖ k2 (proof_of_possession.rs)', () => {
      const text = goldens('stm-bls-proof-of-possession.json').json!.text!;
      expect(text).to.equal(
        stringifyJson(vkPopToJson({ vk: fromHex(REF.vk1), pop: fromHex(REF.pop1) }).pop!),
      );
    });
  });

  describe('fake_keys JSON-hex (mithril-common/src/test/double/fake_keys.rs)', () => {
    const g = goldens('common-fake-keys.json');

    it('4 signer verification keys decode and re-encode identically', () => {
      const values = g.signer_verification_key!.values!;
      expect(values).to.have.length(4);
      for (const h of values) expect(vkPopToJsonHex(vkPopFromJsonHex(h))).to.equal(h);
      const second = vkPopFromJsonHex(values[1]!);
      expect(hex(second.vk)).to.equal(REF.vk1);
      expect(hex(second.pop)).to.equal(REF.pop1);
    });

    it('4 single signatures decode and re-encode identically', () => {
      const values = g.single_signature!.values!;
      expect(values).to.have.length(4);
      const signers = values.map((h) => {
        const s = singleSignatureFromJsonHex(h);
        expect(singleSignatureToJsonHex(s)).to.equal(h);
        return s.signerIndex;
      });
      expect(signers).to.deep.equal([2, 0, 1, 3]);
    });

    it('2 multi-signatures (stakes 2·10^6 and 4·10^6) decode and re-encode identically', () => {
      for (const h of g.multi_signature!.values!) {
        const p = multiSignatureFromJsonHex(h);
        expect(p.signatures.map((s) => s.entry.stake)).to.deep.equal([2_000_000n, 4_000_000n]);
        expect(p.batchProof).to.deep.equal({ values: [], indices: [0, 1] });
        expect(multiSignatureToJsonHex(p)).to.equal(h);
      }
    });

    it('3 AVKs (nr_leaves 1, 24, 64) decode and re-encode identically', () => {
      const leaves = g.aggregate_verification_key_for_concatenation!.values!.map((h) => {
        const a = avkFromJsonHex(h);
        expect(avkToJsonHex(a)).to.equal(h);
        return a.mtCommitment.nrLeaves;
      });
      expect(leaves).to.deep.equal([1, 24, 64]);
    });
  });

  describe('bytes-hex fallback of the JSON-hex decoders (protocol_key.rs)', () => {
    it('accepts CBOR and legacy bytes-hex of the goldens', () => {
      const ss = goldens('stm-single-signature.json');
      const value = singleSignatureFromBytes(fromHex(ss.cbor!.hex!));
      expect(singleSignatureFromJsonHex(ss.cbor!.hex!)).to.deep.equal(value);
      expect(singleSignatureFromJsonHex(ss.legacy_bytes!.hex!)).to.deep.equal(value);
      const avk = goldens('stm-aggregate-key.json');
      expect(avkFromJsonHex(avk.cbor!.hex!)).to.deep.equal(avkFromJsonHex(avk.legacy_bytes!.hex!));
      const agg = goldens('stm-aggregate-signature.json');
      expect(multiSignatureFromJsonHex(agg.concatenation_cbor!.hex!)).to.deep.equal(GOLDEN_PROOF);
      const vkPop = { vk: fromHex(REF.vk1), pop: fromHex(REF.pop1) };
      expect(vkPopFromJsonHex(hex(vkPopToBytes(vkPop)))).to.deep.equal(vkPop);
    });
  });

  describe('DMQ RegisterSignatureMessage legacy signature (mithril-common/src/messages/register_signature.rs)', () => {
    it('the legacy SingleSignature inside decodes: 47 indexes, signer_index 2', () => {
      const msg = fromHex(goldens('common-register-signature-dmq.json').dmq_bytes!.hex!);
      const view = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
      const entityLength = view.getUint16(0);
      const sigOffset = 2 + entityLength + 4;
      const sigLength = view.getUint32(2 + entityLength);
      expect(sigOffset + sigLength).to.equal(msg.length);
      const sig = singleSignatureFromBytes(msg.subarray(sigOffset));
      expect(sig.indexes).to.have.length(47);
      expect(sig.signerIndex).to.equal(2);
      expect(singleSignatureFromBytes(singleSignatureToBytes(sig))).to.deep.equal(sig);
    });
  });
});
