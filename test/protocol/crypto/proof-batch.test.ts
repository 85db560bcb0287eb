import { expect } from 'chai';
import {
  BlsError,
  G1_BYTES,
  generateSecretKey,
  loadBlsBackend,
  verifyProofsOfPossession,
} from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackend, ProofOfPossessionItem } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { concatBytes } from '../../../protocol/encoding/bytes.ts';

describe('protocol/crypto/bls/proof-batch', () => {
  const random = chaCha20Random(new Uint8Array(32).fill(3));
  let bls: BlsBackend;
  let honest: ProofOfPossessionItem[];

  before(async () => {
    bls = await loadBlsBackend('mcl');
    honest = Array.from({ length: 8 }, () => {
      const sk = generateSecretKey(random);
      return { vk: bls.verificationKey(sk), pop: bls.proofOfPossession(sk) };
    });
  });

  /** The backend with its batch checks counted by size. */
  const counting = () => {
    const batches: number[] = [];
    const backend = {
      verifyProofOfPossession: (vk: Uint8Array, pop: Uint8Array) => {
        batches.push(1);
        return bls.verifyProofOfPossession(vk, pop);
      },
      verifyProofsOfPossession: (items: ProofOfPossessionItem[], scalars: bigint[]) => {
        batches.push(items.length);
        return bls.verifyProofsOfPossession(items, scalars);
      },
    };
    return { backend, batches };
  };

  it('checks honest proofs in one equation', () => {
    const { backend, batches } = counting();
    expect(verifyProofsOfPossession(backend, honest, random)).to.deep.equal(honest.map(() => 'valid'));
    expect(batches).to.deep.equal([8]);
    expect(verifyProofsOfPossession(backend, [], random)).to.deep.equal([]);
  });

  it('finds the forged and the malformed proofs by halving, and only them', () => {
    const items = [...honest];
    const [first, second] = [honest[0]!, honest[1]!];
    items[2] = { vk: first.vk, pop: second.pop };
    items[5] = { vk: first.vk, pop: concatBytes(first.pop.subarray(0, G1_BYTES), new Uint8Array(G1_BYTES)) };
    const { backend, batches } = counting();
    const verdicts = verifyProofsOfPossession(backend, items, random);
    expect(verdicts.map((v) => (v instanceof BlsError ? `BlsError ${v.code}` : v))).to.deep.equal([
      'valid',
      'valid',
      'invalid',
      'valid',
      'valid',
      'BlsError INVALID_POINT',
      'valid',
      'valid',
    ]);
    // 8 → 4 + 4 → (2 + 2) + (2 + 2) → singles only under the failing pairs.
    expect(batches).to.deep.equal([8, 4, 2, 2, 1, 1, 4, 2, 1, 1, 2]);
  });
});
