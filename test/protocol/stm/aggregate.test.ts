import { blake2b } from '@noble/hashes/blake2.js';
import { expect } from 'chai';
import fc from 'fast-check';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { bytesToBigIntLE, concatBytes, u64BE } from '../../../protocol/encoding/bytes.ts';
import {
  referenceAggregationScalars,
  verifyConcatenationProof,
} from '../../../protocol/stm/aggregate-verify.ts';
import {
  aggregateSignatures,
  aggregateVerifiedSignatures,
  selectSignaturesForKIndices,
} from '../../../protocol/stm/clerk.ts';
import { NotEnoughSignaturesError, StmVerificationError } from '../../../protocol/stm/errors.ts';
import { ClosedKeyRegistration } from '../../../protocol/stm/registration.ts';
import { StmSigner } from '../../../protocol/stm/signer.ts';
import type { ConcatenationProof, SingleSignature, StmParameters } from '../../../protocol/stm/types.ts';
import { SK1, SK2, V3_MSG, V3_PARAMS, V3_SIGMA1, V3_SIGMA2, VK1, VK2 } from './vectors.ts';

function verificationCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(StmVerificationError);
    return (e as StmVerificationError).code;
  }
  throw new Error('expected a StmVerificationError');
}

/** Secret keys of the test signers (any scalars in [1, r) will do). */
const SECRET_KEYS = [SK1, SK2, 0x1234567n, 0x2345678n, 0x3456789n, 0x456789an];

describe('stm/clerk and aggregate verification', () => {
  let backend: BlsBackend;
  let reg: ClosedKeyRegistration;
  let s1: SingleSignature;
  let s2: SingleSignature;
  const random = chaCha20Random(new Uint8Array(32).fill(5));

  before(async () => {
    backend = await loadBlsBackend('mcl');
    reg = ClosedKeyRegistration.fromEntries([
      { vk: VK1, stake: 1n },
      { vk: VK2, stake: 1n },
    ]);
    s1 = new StmSigner(backend, SK1, reg, V3_PARAMS).sign(V3_MSG)!;
    s2 = new StmSigner(backend, SK2, reg, V3_PARAMS).sign(V3_MSG)!;
  });

  it('V3: σ2 loses 4 and 5 to the smaller σ1; the proof opens leaves [0, 1] with no values', () => {
    const expected: ConcatenationProof = {
      signatures: [
        { sig: { sigma: V3_SIGMA1, indexes: [1, 4, 5, 8], signerIndex: 0 }, entry: { vk: VK1, stake: 1n } },
        { sig: { sigma: V3_SIGMA2, indexes: [0, 3, 6], signerIndex: 1 }, entry: { vk: VK2, stake: 1n } },
      ],
      batchProof: { values: [], indices: [0, 1] },
    };
    for (const input of [
      [s1, s2],
      [s2, s1],
      [s2, s1, s2, s1],
    ]) {
      const proof = aggregateSignatures(backend, reg, V3_PARAMS, V3_MSG, input, random);
      expect(proof).to.deep.equal(expected);
      verifyConcatenationProof(backend, proof, V3_MSG, reg.avk, V3_PARAMS);
    }
    expect(aggregateVerifiedSignatures(reg, V3_PARAMS, [s2, s1])).to.deep.equal(expected);
  });

  it('drops invalid and unregistered signatures, and reports NotEnoughSignatures(total, k)', () => {
    const forged: SingleSignature = { ...s2, sigma: s1.sigma };
    const stranger: SingleSignature = { ...s1, signerIndex: 7 };
    const proof = aggregateSignatures(backend, reg, V3_PARAMS, V3_MSG, [forged, stranger, s1, s2], random);
    expect(proof.signatures.map((s) => s.sig.indexes)).to.deep.equal([
      [1, 4, 5, 8],
      [0, 3, 6],
    ]);
    const run = (): unknown =>
      aggregateSignatures(backend, reg, { ...V3_PARAMS, k: 10 }, V3_MSG, [s1, s2], random);
    expect(run).to.throw(NotEnoughSignaturesError);
    try {
      run();
    } catch (e) {
      expect((e as NotEnoughSignaturesError).code).to.equal('NOT_ENOUGH_SIGNATURES');
      expect([(e as NotEnoughSignaturesError).total, (e as NotEnoughSignaturesError).k]).to.deep.equal([
        7, 10,
      ]);
    }
    expect(() => aggregateSignatures(backend, reg, V3_PARAMS, V3_MSG, [forged], random)).to.throw(
      NotEnoughSignaturesError,
    );
  });

  it('stops at k: only the signatures met first in ascending index order are kept', () => {
    // Index 0 belongs to σ2 (4 with its losses removed: [0, 3, 6] = 3 indexes ≥ k = 3).
    const proof = aggregateSignatures(backend, reg, { ...V3_PARAMS, k: 3 }, V3_MSG, [s1, s2], random);
    expect(proof.signatures.map((s) => [s.sig.signerIndex, s.sig.indexes])).to.deep.equal([[1, [0, 3, 6]]]);
    expect(proof.batchProof.indices).to.deep.equal([1]);
    verifyConcatenationProof(backend, proof, V3_MSG, reg.avk, { ...V3_PARAMS, k: 3 });
  });

  it('reproduces the reference on an index repeated inside one signature: it is stripped', () => {
    const valid = [
      { sig: { ...s1, indexes: [1, 1, 4] }, entry: reg.entries[0]! },
      { sig: s2, entry: reg.entries[1]! },
    ];
    const selected = selectSignaturesForKIndices(valid, 5);
    expect(selected.map((s) => s.sig.indexes)).to.deep.equal([[4], [0, 3, 4, 5, 6].filter((i) => i !== 4)]);
  });

  it('uses the reference aggregation scalars: LE(BLAKE2b-128(σ_1 ‖ … ‖ σ_N ‖ BE64(i)))', () => {
    const sigmas = [V3_SIGMA1, V3_SIGMA2, V3_SIGMA1];
    const direct = sigmas.map((_, i) =>
      bytesToBigIntLE(blake2b(concatBytes(...sigmas, u64BE(i)), { dkLen: 16 })),
    );
    expect(referenceAggregationScalars(sigmas)).to.deep.equal(direct);
    expect(direct.every((r) => r > 0n && r < 1n << 128n)).to.equal(true);
  });

  it('rejects a proof whose BLS equation fails although lottery and path pass (φ_f = 1)', () => {
    // With φ_f = 1 every index wins, so a swapped σ or a wrong message is left to the pairing.
    const params: StmParameters = { m: 4, k: 4, phiF: 1 };
    const [a, b] = [SK1, SK2].map((sk) => new StmSigner(backend, sk, reg, params).sign(V3_MSG)!) as [
      SingleSignature,
      SingleSignature,
    ];
    const proof: ConcatenationProof = {
      signatures: [
        { sig: { ...a, indexes: [0, 1] }, entry: reg.entries[0]! },
        { sig: { ...b, indexes: [2, 3] }, entry: reg.entries[1]! },
      ],
      batchProof: reg.merkleTree.batchPath([0, 1]),
    };
    verifyConcatenationProof(backend, proof, V3_MSG, reg.avk, params);
    const [pa, pb] = proof.signatures as [(typeof proof.signatures)[0], (typeof proof.signatures)[0]];
    const swapped: ConcatenationProof = {
      ...proof,
      signatures: [
        { ...pa, sig: { ...pa.sig, sigma: pb.sig.sigma } },
        { ...pb, sig: { ...pb.sig, sigma: pa.sig.sigma } },
      ],
    };
    expect(
      verificationCode(() => verifyConcatenationProof(backend, swapped, V3_MSG, reg.avk, params)),
    ).to.equal('SIGNATURE_INVALID');
    const restaked: ConcatenationProof = {
      ...proof,
      signatures: [{ ...pa, entry: { ...pa.entry, stake: 2n } }, pb],
    };
    expect(
      verificationCode(() => verifyConcatenationProof(backend, restaked, V3_MSG, reg.avk, params)),
    ).to.equal('BATCH_PATH_INVALID');
    // The smaller σ takes every index, so k = 4 is met by one signature, verified on its own.
    const single = aggregateSignatures(backend, reg, params, V3_MSG, [a, b], random);
    expect(single.signatures.map((s) => s.sig.indexes)).to.deep.equal([[0, 1, 2, 3]]);
    verifyConcatenationProof(backend, single, V3_MSG, reg.avk, params);
    const wrongMessage = new Uint8Array(16).fill(1);
    expect(
      verificationCode(() => verifyConcatenationProof(backend, single, wrongMessage, reg.avk, params)),
    ).to.equal('SIGNATURE_INVALID');
  });

  it('property: a quorum verifies, is input-order independent, and every tampering is caught', function () {
    this.timeout(60000);
    const scenario = fc.record({
      stakes: fc.array(fc.bigInt({ min: 1n, max: 20n }), { minLength: 2, maxLength: SECRET_KEYS.length }),
      m: fc.integer({ min: 8, max: 30 }),
      phiF: fc.constantFrom(0.5, 0.8, 0.95),
      msg: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      kFraction: fc.double({ min: 0, max: 1, noNaN: true }),
      order: fc.func(fc.integer()),
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(scenario, ({ stakes, m, phiF, msg, kFraction, order, pick }) => {
        const registration = ClosedKeyRegistration.fromEntries(
          stakes.map((stake, i) => ({ vk: backend.verificationKey(SECRET_KEYS[i]!), stake })),
        );
        const probe: StmParameters = { m, k: 1, phiF };
        const sigs = stakes
          .map((_, i) => new StmSigner(backend, SECRET_KEYS[i]!, registration, probe).sign(msg))
          .filter((s): s is SingleSignature => s !== null);
        const distinct = new Set(sigs.flatMap((s) => s.indexes)).size;
        fc.pre(distinct > 0);
        const k = 1 + Math.floor(kFraction * (distinct - 1));
        const params: StmParameters = { m, k, phiF };
        const avk = registration.avk;

        const proof = aggregateSignatures(backend, registration, params, msg, sigs, random);
        verifyConcatenationProof(backend, proof, msg, avk, params);
        const shuffled = [...sigs].sort((a, b) => order(a.signerIndex) - order(b.signerIndex));
        expect(
          aggregateSignatures(backend, registration, params, msg, shuffled.reverse(), random),
        ).to.deep.equal(proof);
        expect(() =>
          aggregateSignatures(backend, registration, { ...params, k: distinct + 1 }, msg, sigs, random),
        ).to.throw(NotEnoughSignaturesError);

        const total = proof.signatures.reduce((n, s) => n + s.sig.indexes.length, 0);
        expect(total).to.be.at.least(k);
        const fails = (p: ConcatenationProof, ps: StmParameters = params): string =>
          verificationCode(() => verifyConcatenationProof(backend, p, msg, avk, ps));
        expect(fails(proof, { ...params, k: total + 1 })).to.equal('NOT_ENOUGH_INDEXES');

        const j = pick % proof.signatures.length;
        const withSig = (f: (s: SingleSignature) => SingleSignature): ConcatenationProof => ({
          ...proof,
          signatures: proof.signatures.map((s, i) => (i === j ? { ...s, sig: f(s.sig) } : s)),
        });
        const target = proof.signatures[j]!.sig;
        const anyIndex = proof.signatures.flatMap((s) => s.sig.indexes)[pick % total]!;
        expect(fails(withSig((s) => ({ ...s, indexes: [...s.indexes, anyIndex] })))).to.equal(
          'INDEX_NOT_UNIQUE',
        );
        expect(fails(withSig((s) => ({ ...s, indexes: [...s.indexes, m + 1] })))).to.equal('INDEX_BOUND');
        expect(fails(withSig((s) => ({ ...s, sigma: s1.sigma })))).to.be.oneOf([
          'LOTTERY_LOST',
          'SIGNATURE_INVALID',
        ]);
        const won = sigs.find((s) => s.signerIndex === target.signerIndex)!.indexes;
        const lost = Array.from({ length: m }, (_, i) => i).find(
          (i) => !won.includes(i) && !proof.signatures.some((s) => s.sig.indexes.includes(i)),
        );
        if (target.indexes.length > 0 && lost !== undefined) {
          const claimed = withSig((s) => ({ ...s, indexes: [...s.indexes.slice(1), lost] }));
          expect(fails(claimed)).to.equal('LOTTERY_LOST');
        }
        const restaked: ConcatenationProof = {
          ...proof,
          signatures: proof.signatures.map((s, i) =>
            i === j ? { ...s, entry: { ...s.entry, stake: s.entry.stake + 1n } } : s,
          ),
        };
        expect(fails(restaked)).to.be.oneOf(['LOTTERY_LOST', 'BATCH_PATH_INVALID']);
        const { values, indices } = proof.batchProof;
        const badPath =
          values.length > 0
            ? { values: values.map((v, i) => (i === 0 ? v.map((x) => x ^ 1) : v)), indices }
            : { values, indices: indices.map((i) => i + registration.size) };
        expect(fails({ ...proof, batchProof: badPath })).to.equal('BATCH_PATH_INVALID');
      }),
      { numRuns: 25 },
    );
  });
});
