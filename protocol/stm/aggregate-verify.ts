/**
 * Verification of a concatenation proof (spec §1.7; reference mithril-stm
 * `ConcatenationProof::verify` and `BlsSignature::{aggregate, verify_aggregate}`).
 *
 * Accepts exactly what the reference accepts. Checks run cheapest first (bounds and uniqueness,
 * then lottery hashes, then the Merkle opening, then the pairing), so only the reported reason
 * can differ from the reference when a proof fails several checks.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import type { BlsBackend } from '../crypto/bls/backend.ts';
import { bytesToBigIntLE, u64BE } from '../encoding/bytes.ts';
import type { AggregateVerificationKey, ConcatenationProof, StmParameters } from './types.ts';
import { StmVerificationError } from './errors.ts';
import { checkParameters } from './lottery.ts';
import { messageWithCommitment, verifyBatchPath } from './merkle.ts';
import { blsCheck, checkIndices } from './single-signature.ts';

/** Blake2b<U16>: BLAKE2b with a 16-byte output parameter, giving 128-bit scalars. */
const SCALAR_HASH_BYTES = 16;

/**
 * The reference's aggregation scalars: with H = BLAKE2b-128 absorbing σ_1 ‖ … ‖ σ_N,
 * r_i = LE-integer(H ‖ BE64(i)) for 0-based i (`usize::to_be_bytes` on a 64-bit host). The
 * scalars are the verifier's own randomness, not part of any encoding: any unpredictable
 * 128-bit scalars would verify the same proofs. These are used so results are identical.
 */
export function referenceAggregationScalars(sigmas: readonly Uint8Array[]): bigint[] {
  const prefix = blake2b.create({ dkLen: SCALAR_HASH_BYTES });
  for (const sigma of sigmas) prefix.update(sigma);
  return sigmas.map((_, i) => bytesToBigIntLE(prefix.clone().update(u64BE(i)).digest()));
}

/**
 * Throws `StmVerificationError` unless `proof` is a valid concatenation proof of `msg` under
 * `avk` and `params`: INDEX_BOUND, INDEX_NOT_UNIQUE, NOT_ENOUGH_INDEXES, LOTTERY_LOST,
 * BATCH_PATH_INVALID, SIGNATURE_INVALID.
 */
export function verifyConcatenationProof(
  backend: BlsBackend,
  proof: ConcatenationProof,
  msg: Uint8Array,
  avk: AggregateVerificationKey,
  params: StmParameters,
): void {
  checkParameters(params);
  const { signatures, batchProof } = proof;

  // Bounds, uniqueness and count: no hashing needed.
  const unique = new Set<number>();
  let count = 0;
  for (const { sig } of signatures) {
    for (const index of sig.indexes) {
      if (!Number.isSafeInteger(index) || index < 0 || index > params.m) {
        throw new StmVerificationError('INDEX_BOUND', `index ${index} is above m = ${params.m}`);
      }
      unique.add(index);
      count++;
    }
  }
  if (count !== unique.size) {
    throw new StmVerificationError('INDEX_NOT_UNIQUE', 'an index appears more than once in the proof');
  }
  if (count < params.k) {
    throw new StmVerificationError('NOT_ENOUGH_INDEXES', `${count} indexes, quorum k = ${params.k}`);
  }

  const msgPrime = messageWithCommitment(msg, avk.mtCommitment);
  for (const { sig, entry } of signatures) {
    checkIndices(sig.sigma, sig.indexes, params, entry.stake, msgPrime, avk.totalStake);
  }

  verifyBatchPath(
    avk.mtCommitment,
    signatures.map((s) => s.entry),
    batchProof,
  );

  const sigmas = signatures.map((s) => s.sig.sigma);
  const vks = signatures.map((s) => s.entry.vk);
  if (sigmas.length === 1) {
    // The reference aggregates a single signature to itself (no scalar).
    blsCheck('aggregate signature', () => backend.verify(msgPrime, vks[0]!, sigmas[0]!));
  } else {
    const scalars = referenceAggregationScalars(sigmas);
    blsCheck('aggregate signature', () => backend.verifyAggregateSameMessage(msgPrime, vks, sigmas, scalars));
  }
}
