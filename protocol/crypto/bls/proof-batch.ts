/**
 * Proofs of possession checked in batches (registrations arrive in bursts: every pool registers
 * at the start of an epoch). One randomized equation covers the batch; when it fails, or a point
 * does not decode, the batch is split in halves and each half checked again, down to single
 * proofs, so b bad proofs among n cost about 2·b·log2(n) batch checks instead of n single ones.
 */
import { BlsError } from './backend.ts';
import type { BlsBackend, ProofOfPossessionItem } from './backend.ts';
import { randomBatchScalars } from '../random.ts';
import type { RandomSource } from '../random.ts';

/** `valid`, `invalid` (the equation fails), or the `BlsError` of a malformed key or proof. */
export type ProofOfPossessionVerdict = 'valid' | 'invalid' | BlsError;

/**
 * The verdict of each of `items`, aligned with them: those of `verifyProofOfPossession`, the
 * equations checked together with random 64-bit scalars from `random` (verifier-local).
 */
export function verifyProofsOfPossession(
  backend: Pick<BlsBackend, 'verifyProofOfPossession' | 'verifyProofsOfPossession'>,
  items: readonly ProofOfPossessionItem[],
  random: RandomSource,
): ProofOfPossessionVerdict[] {
  const verdicts: ProofOfPossessionVerdict[] = items.map(() => 'valid');
  const check = (positions: number[]): void => {
    if (positions.length === 1) {
      const position = positions[0]!;
      const { vk, pop } = items[position]!;
      try {
        verdicts[position] = backend.verifyProofOfPossession(vk, pop) ? 'valid' : 'invalid';
      } catch (error) {
        if (!(error instanceof BlsError)) throw error;
        verdicts[position] = error;
      }
      return;
    }
    let ok = false;
    try {
      ok = backend.verifyProofsOfPossession(
        positions.map((i) => items[i]!),
        randomBatchScalars(random, 2 * positions.length),
      );
    } catch (error) {
      if (!(error instanceof BlsError)) throw error;
    }
    if (ok) return;
    const half = Math.ceil(positions.length / 2);
    check(positions.slice(0, half));
    check(positions.slice(half));
  };
  if (items.length > 0) check(items.map((_, i) => i));
  return verdicts;
}
