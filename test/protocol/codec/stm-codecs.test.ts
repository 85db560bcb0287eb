/**
 * Properties of the reference-compatible STM codecs: random values round-trip through JSON-hex,
 * CBOR v1 and (decode-only) legacy bytes; mutated, truncated or random inputs are rejected with a
 * DecodeError or decode to a value that re-encodes consistently; bounds are enforced.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex, concatBytes, u64BE, U64_MAX } from '../../../protocol/encoding/bytes.ts';
import { parseJson } from '../../../protocol/codec/json.ts';
import { CborMap, encodeCbor } from '../../../protocol/codec/cbor.ts';
import { EncodeError, MAX_LOTTERY_INDEXES, MAX_SIGNERS } from '../../../protocol/codec/shape.ts';
import {
  avkFromJson,
  concatenationProofFromJson,
  parametersFromJson,
  registrationEntryFromJson,
  singleSignatureFromJson,
} from '../../../protocol/codec/stm-json.ts';
import {
  avkFromJsonHex,
  avkToJsonHex,
  JsonHexDecodeError,
  jsonToHex,
  multiSignatureFromJsonHex,
  multiSignatureToJsonHex,
  singleSignatureFromJsonHex,
  singleSignatureToJsonHex,
  vkPopFromJsonHex,
  vkPopToJsonHex,
} from '../../../protocol/codec/json-hex.ts';
import {
  aggregateSignatureFromBytes,
  aggregateSignatureToBytes,
  avkFromBytes,
  avkToBytes,
  concatenationProofFromBytes,
  concatenationProofToBytes,
  parametersFromBytes,
  parametersToBytes,
  registrationEntryFromBytes,
  singleSignatureFromBytes,
  singleSignatureToBytes,
  vkPopFromBytes,
  vkPopToBytes,
} from '../../../protocol/codec/stm-cbor.ts';
import {
  aggregateSignatureFromLegacyBytes,
  avkFromLegacyBytes,
  concatenationProofFromLegacyBytes,
  parametersFromLegacyBytes,
  singleSignatureFromLegacyBytes,
} from '../../../protocol/codec/legacy-bytes.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
} from '../../../protocol/stm/types.ts';
import {
  arbAvk,
  arbParameters,
  arbProof,
  arbSingleSignature,
  arbVkPop,
  fromHex,
  GOLDEN_PROOF,
  mutatedBytes,
  rejectedOrConsistent,
} from './helpers.ts';

const RUNS = { numRuns: 120 };
const AVK: AggregateVerificationKey = {
  mtCommitment: { root: new Uint8Array(32).fill(7), nrLeaves: 2 },
  totalStake: 2n,
};
const hexOf = (b: Uint8Array): string => bytesToHex(b);

// The reference no longer writes legacy bytes; these test-only writers follow §1.8(b).
const legacySig = (s: SingleSignature): Uint8Array =>
  concatBytes(u64BE(s.indexes.length), ...s.indexes.map((i) => u64BE(i)), s.sigma, u64BE(s.signerIndex));
const legacySswrp = (s: SignatureWithRegisteredParty): Uint8Array => {
  const entry = concatBytes(s.entry.vk, u64BE(s.entry.stake));
  const sig = legacySig(s.sig);
  return concatBytes(u64BE(entry.length), entry, u64BE(sig.length), sig);
};
const legacyProof = (p: ConcatenationProof): Uint8Array =>
  concatBytes(
    u64BE(p.signatures.length),
    ...p.signatures.flatMap((s) => {
      const b = legacySswrp(s);
      return [u64BE(b.length), b];
    }),
    u64BE(p.batchProof.values.length),
    u64BE(p.batchProof.indices.length),
    ...p.batchProof.values,
    ...p.batchProof.indices.map((i) => u64BE(i)),
  );
const legacyAvk = (a: AggregateVerificationKey): Uint8Array =>
  concatBytes(u64BE(a.mtCommitment.nrLeaves), a.mtCommitment.root, u64BE(a.totalStake));
const legacyParams = (p: StmParameters): Uint8Array => {
  const phi = new Uint8Array(8);
  new DataView(phi.buffer).setFloat64(0, p.phiF);
  return concatBytes(u64BE(p.m), u64BE(p.k), phi);
};

const unsortedSignature = fc.record({
  sigma: fc.uint8Array({ minLength: 48, maxLength: 48 }),
  indexes: fc.array(fc.maxSafeNat(), { maxLength: 8 }),
  signerIndex: fc.maxSafeNat(),
});

describe('STM codecs (JSON-hex, CBOR v1, legacy)', () => {
  describe('round trips', () => {
    it('JSON-hex: vk+PoP, single signatures (any index order), AVKs, multi-signatures', () => {
      fc.assert(
        fc.property(arbVkPop, unsortedSignature, arbAvk, arbProof, (vkPop, sig, avk, proof) => {
          expect(vkPopFromJsonHex(vkPopToJsonHex(vkPop))).to.deep.equal(vkPop);
          expect(singleSignatureFromJsonHex(singleSignatureToJsonHex(sig))).to.deep.equal(sig);
          expect(avkFromJsonHex(avkToJsonHex(avk))).to.deep.equal(avk);
          expect(multiSignatureFromJsonHex(multiSignatureToJsonHex(proof))).to.deep.equal(proof);
        }),
        RUNS,
      );
    });

    it('CBOR v1: every type, and decoded bytes re-encode identically', () => {
      fc.assert(
        fc.property(arbParameters, unsortedSignature, arbAvk, arbProof, (params, sig, avk, proof) => {
          const pairs: Array<[Uint8Array, (b: Uint8Array) => unknown, (v: never) => Uint8Array]> = [
            [parametersToBytes(params), parametersFromBytes, parametersToBytes],
            [singleSignatureToBytes(sig), singleSignatureFromBytes, singleSignatureToBytes],
            [avkToBytes(avk), avkFromBytes, avkToBytes],
            [concatenationProofToBytes(proof), concatenationProofFromBytes, concatenationProofToBytes],
            [aggregateSignatureToBytes(proof), aggregateSignatureFromBytes, aggregateSignatureToBytes],
          ];
          for (const [bytes, decode, encode] of pairs) {
            expect(hexOf(encode(decode(bytes) as never))).to.equal(hexOf(bytes));
          }
          expect(Object.is(parametersFromBytes(parametersToBytes(params)).phiF, params.phiF)).to.equal(true);
          expect(concatenationProofFromBytes(concatenationProofToBytes(proof))).to.deep.equal(proof);
          expect(aggregateSignatureFromBytes(aggregateSignatureToBytes(proof))).to.deep.equal(proof);
        }),
        RUNS,
      );
    });

    it('legacy bytes decode to the values they pack, directly and through from_bytes', () => {
      fc.assert(
        fc.property(arbParameters, unsortedSignature, arbAvk, arbProof, (params, sig, avk, proof) => {
          const p = parametersFromLegacyBytes(legacyParams(params));
          expect(Object.is(p.phiF, params.phiF) && p.m === params.m && p.k === params.k).to.equal(true);
          expect(singleSignatureFromLegacyBytes(legacySig(sig))).to.deep.equal(sig);
          expect(singleSignatureFromBytes(legacySig(sig))).to.deep.equal(sig);
          expect(avkFromLegacyBytes(legacyAvk(avk))).to.deep.equal(avk);
          expect(concatenationProofFromLegacyBytes(legacyProof(proof))).to.deep.equal(proof);
          const agg = concatBytes(Uint8Array.of(0), legacyProof(proof));
          expect(aggregateSignatureFromLegacyBytes(agg)).to.deep.equal(proof);
          expect(aggregateSignatureFromBytes(agg)).to.deep.equal(proof);
        }),
        RUNS,
      );
    });

    it('raw vk ‖ PoP is exactly 192 bytes', () => {
      fc.assert(
        fc.property(arbVkPop, (v) => {
          expect(vkPopFromBytes(vkPopToBytes(v))).to.deep.equal(v);
        }),
        { numRuns: 50 },
      );
      expect(() => vkPopFromBytes(new Uint8Array(193))).to.throw(DecodeError, /192/);
    });
  });

  describe('hostile input', () => {
    it('mutated or truncated CBOR is rejected or re-encodes consistently', () => {
      const cases: Array<[fc.Arbitrary<Uint8Array>, (b: Uint8Array) => void]> = [
        [
          arbSingleSignature.map(singleSignatureToBytes),
          rejectedOrConsistent(singleSignatureFromBytes, singleSignatureToBytes),
        ],
        [arbAvk.map(avkToBytes), rejectedOrConsistent(avkFromBytes, avkToBytes)],
        [
          arbProof.map(concatenationProofToBytes),
          rejectedOrConsistent(concatenationProofFromBytes, concatenationProofToBytes),
        ],
        [
          arbProof.map(aggregateSignatureToBytes),
          rejectedOrConsistent(aggregateSignatureFromBytes, aggregateSignatureToBytes),
        ],
        [arbParameters.map(parametersToBytes), rejectedOrConsistent(parametersFromBytes, parametersToBytes)],
      ];
      for (const [valid, check] of cases) fc.assert(fc.property(mutatedBytes(valid), check), RUNS);
    });

    it('mutated or truncated legacy bytes are rejected or re-encode consistently', () => {
      const cases: Array<[fc.Arbitrary<Uint8Array>, (b: Uint8Array) => void]> = [
        [
          arbSingleSignature.map(legacySig),
          rejectedOrConsistent(singleSignatureFromBytes, singleSignatureToBytes),
        ],
        [arbAvk.map(legacyAvk), rejectedOrConsistent(avkFromBytes, avkToBytes)],
        [
          arbProof.map(legacyProof),
          rejectedOrConsistent(concatenationProofFromBytes, concatenationProofToBytes),
        ],
        [arbParameters.map(legacyParams), rejectedOrConsistent(parametersFromBytes, parametersToBytes)],
      ];
      for (const [valid, check] of cases) fc.assert(fc.property(mutatedBytes(valid), check), RUNS);
    });

    it('random bytes never throw anything but DecodeError', () => {
      const decoders = [
        parametersFromBytes,
        singleSignatureFromBytes,
        registrationEntryFromBytes,
        avkFromBytes,
        concatenationProofFromBytes,
        aggregateSignatureFromBytes,
        vkPopFromBytes,
      ];
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (b, cbor) => {
          const input = cbor ? concatBytes(Uint8Array.of(1), b) : b;
          for (const decode of decoders) {
            try {
              decode(input);
            } catch (e) {
              expect(e).to.be.instanceOf(DecodeError);
            }
          }
        }),
        { numRuns: 1000 },
      );
    });

    it('mutated JSON-hex and random strings are rejected with DecodeError or decode consistently', () => {
      const mutatedHex = (valid: fc.Arbitrary<string>) =>
        fc
          .tuple(valid, fc.nat(), fc.constantFrom('0', 'f', 'g', '', ' ', '7b', '5d'), fc.boolean())
          .map(([h, pos, s, cut]) =>
            cut
              ? h.slice(0, pos % (h.length + 1))
              : h.slice(0, pos % h.length) + s + h.slice((pos % h.length) + 1),
          );
      const cases: Array<[fc.Arbitrary<string>, (h: string) => void]> = [
        [arbVkPop.map(vkPopToJsonHex), rejectedOrConsistent(vkPopFromJsonHex, vkPopToJsonHex)],
        [
          arbSingleSignature.map(singleSignatureToJsonHex),
          rejectedOrConsistent(singleSignatureFromJsonHex, singleSignatureToJsonHex),
        ],
        [arbAvk.map(avkToJsonHex), rejectedOrConsistent(avkFromJsonHex, avkToJsonHex)],
        [
          arbProof.map(multiSignatureToJsonHex),
          rejectedOrConsistent(multiSignatureFromJsonHex, multiSignatureToJsonHex),
        ],
      ];
      const randomText = fc.oneof(
        fc.string(),
        fc.string().map((s) => Buffer.from(s).toString('hex')),
      );
      for (const [valid, check] of cases) {
        fc.assert(fc.property(mutatedHex(valid), check), RUNS);
        fc.assert(fc.property(randomText, check), RUNS);
      }
    });

    it('JSON-hex decoding trims surrounding whitespace like key_decode_hex and reports both failures', () => {
      const h = multiSignatureToJsonHex(GOLDEN_PROOF);
      expect(multiSignatureFromJsonHex(` \r${h} \n`)).to.deep.equal(GOLDEN_PROOF);
      expect(multiSignatureFromJsonHex(h.toUpperCase())).to.deep.equal(GOLDEN_PROOF);
      try {
        multiSignatureFromJsonHex(jsonToHex(parseJson('{"signatures":[]}')));
        expect.fail('should throw');
      } catch (e) {
        expect(e).to.be.instanceOf(JsonHexDecodeError);
        expect((e as JsonHexDecodeError).code).to.equal('INVALID_JSON_HEX');
        expect((e as Error).message).to.match(/batch_proof/);
      }
      // A byte-order mark is not JSON (serde_json rejects it).
      expect(() => avkFromJsonHex('efbbbf' + avkToJsonHex(AVK))).to.throw(JsonHexDecodeError);
    });
  });

  describe('JSON shape rules (serde derive)', () => {
    const root = `[${'9,'.repeat(31)}9]`;
    const avkJson = (commitment: string, extra = '') =>
      parseJson(`{"mt_commitment":${commitment},"total_stake":5${extra}}`);

    it('ignores unknown keys and requires "hasher": null', () => {
      const commitment = `{"root":${root},"nr_leaves":3,"hasher":null,"future":[1]}`;
      expect(avkFromJson(avkJson(commitment, ',"extra":{}')).mtCommitment.nrLeaves).to.equal(3);
      const missing = `{"root":${root},"nr_leaves":3}`;
      expect(() => avkFromJson(avkJson(missing))).to.throw(DecodeError, /hasher/);
      const notNull = `{"root":${root},"nr_leaves":3,"hasher":0}`;
      expect(() => avkFromJson(avkJson(notNull))).to.throw(DecodeError, /null/);
    });

    it('checks byte-array lengths, tuple arity and object-vs-array forms', () => {
      const sig = (sigma: string) => parseJson(`{"sigma":${sigma},"indexes":[1],"signer_index":0}`);
      expect(() => singleSignatureFromJson(sig(`[${'1,'.repeat(46)}1]`))).to.throw(
        DecodeError,
        /expected 48/,
      );
      expect(() => singleSignatureFromJson(sig(`[${'1,'.repeat(47)}256]`))).to.throw(DecodeError, /byte/);
      const short = `{"root":[1,2],"nr_leaves":3,"hasher":null}`;
      expect(() => avkFromJson(avkJson(short))).to.throw(DecodeError, /expected 32/);
      expect(() => registrationEntryFromJson(parseJson(`[[${'1,'.repeat(95)}1]]`))).to.throw(DecodeError);
      expect(() => avkFromJson(parseJson(`[{"root":${root},"nr_leaves":3,"hasher":null},5]`))).to.throw(
        DecodeError,
        /object/,
      );
    });
  });

  describe('bounds', () => {
    it('stakes above 2^64-1 are rejected in JSON and CBOR', () => {
      const big = (U64_MAX + 1n).toString();
      expect(() =>
        avkFromJson(
          parseJson(
            `{"mt_commitment":{"root":[${'0,'.repeat(31)}0],"nr_leaves":1,"hasher":null},"total_stake":${big}}`,
          ),
        ),
      ).to.throw(DecodeError, /2\^64-1/);
      expect(() => registrationEntryFromJson(parseJson(`[[${'1,'.repeat(95)}1],${big}]`))).to.throw(
        DecodeError,
      );
      expect(
        avkFromJson(
          parseJson(
            `{"mt_commitment":{"root":[${'0,'.repeat(31)}0],"nr_leaves":1,"hasher":null},"total_stake":${U64_MAX}}`,
          ),
        ).totalStake,
      ).to.equal(U64_MAX);
      // CBOR heads cannot carry more than 2^64-1; the bignum tag form is refused.
      const entry = concatBytes(
        Uint8Array.of(1),
        encodeCbor(
          new CborMap([
            ['verification_key_bytes', Array(96).fill(1n)],
            ['stake', -1n],
          ]),
        ),
      );
      expect(() => registrationEntryFromBytes(entry)).to.throw(DecodeError, /2\^64-1/);
      // The same envelope with stake = 2^64 as a tag-2 bignum (c2 49 01 00…00) instead of 0.
      const zeroStake = bytesToHex(
        encodeCbor(
          new CborMap([
            ['verification_key_bytes', Array(96).fill(1n)],
            ['stake', 0n],
          ]),
        ),
      );
      const bignum = fromHex('01' + zeroStake.slice(0, -2) + 'c249010000000000000000');
      expect(() => registrationEntryFromBytes(bignum)).to.throw(DecodeError, /tagged/);
    });

    it('oversize index lists and signature lists are rejected in every encoding', () => {
      const many = Array.from({ length: MAX_LOTTERY_INDEXES + 1 }, (_, i) => i);
      const sigma = new Uint8Array(48);
      expect(() =>
        singleSignatureFromJson(
          parseJson(`{"sigma":[${'1,'.repeat(47)}1],"indexes":[${many.join(',')}],"signer_index":0}`),
        ),
      ).to.throw(DecodeError, /at most/);
      const cbor = concatBytes(
        Uint8Array.of(1),
        encodeCbor(
          new CborMap(
            [
              ['sigma', Array(48).fill(1n)],
              ['indexes', many.map(BigInt)],
              ['signer_index', 0n],
            ],
            true,
          ),
        ),
      );
      expect(() => singleSignatureFromBytes(cbor)).to.throw(DecodeError, /at most/);
      expect(() => singleSignatureFromBytes(u64BE(MAX_LOTTERY_INDEXES + 1))).to.throw(DecodeError, /exceeds/);
      expect(() => concatenationProofFromBytes(u64BE(MAX_SIGNERS + 1))).to.throw(DecodeError, /exceeds/);
      expect(() => singleSignatureToBytes({ sigma, indexes: many, signerIndex: 0 })).to.throw(EncodeError);
      const empty = { signatures: [], batchProof: { values: [], indices: [] } };
      expect(() =>
        concatenationProofFromJson(
          parseJson(`{"signatures":[${'[],'.repeat(MAX_SIGNERS)}[]],"batch_proof":{}}`),
        ),
      ).to.throw(DecodeError, /at most/);
      expect(
        concatenationProofFromJson(
          parseJson('{"signatures":[],"batch_proof":{"values":[],"indices":[],"hasher":null}}'),
        ),
      ).to.deep.equal(empty);
    });

    it('counts, indexes and parameters above 2^53-1 are rejected', () => {
      expect(() => parametersFromJson(parseJson('{"m":9007199254740992,"k":1,"phi_f":0.2}'))).to.throw(
        DecodeError,
        /2\^53-1/,
      );
      expect(() => parametersFromJson(parseJson(`{"m":1,"k":1,"phi_f":1${'0'.repeat(350)}}`))).to.throw(
        DecodeError,
        /finite/,
      );
      expect(() =>
        singleSignatureFromBytes(concatBytes(u64BE(1), u64BE(1n << 53n), new Uint8Array(56))),
      ).to.throw(DecodeError, /2\^53-1/);
    });

    it('encoders refuse values no decoder would accept', () => {
      const sig = { sigma: new Uint8Array(48), indexes: [1], signerIndex: 0 };
      expect(() => singleSignatureToJsonHex({ ...sig, sigma: new Uint8Array(47) })).to.throw(
        EncodeError,
        /48 bytes/,
      );
      expect(() => singleSignatureToBytes({ ...sig, indexes: [1.5] })).to.throw(EncodeError);
      expect(() => avkToBytes({ ...AVK, totalStake: -1n })).to.throw(EncodeError);
      expect(() =>
        avkToJsonHex({
          ...AVK,
          mtCommitment: { root: new Uint8Array(32), nrLeaves: MAX_SIGNERS + 1 },
        }),
      ).to.throw(EncodeError);
      expect(() => parametersToBytes({ m: 1, k: 1, phiF: NaN })).to.throw(EncodeError);
    });
  });
});
