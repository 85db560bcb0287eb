/**
 * Proofs of possession checked in batches (registrations arrive in bursts: every pool registers
 * at the start of an epoch): one randomized equation per batch, halved on failure
 * (`checkByHalving`).
 */
import { BlsError } from './backend.ts';
import type { BlsBackend, ProofOfPossessionItem } from './backend.ts';
import { checkByHalving } from './halving.ts';
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
  checkByHalving(
    items.map((_, i) => i),
    (positions) =>
      backend.verifyProofsOfPossession(
        positions.map((i) => items[i]!),
        randomBatchScalars(random, 2 * positions.length),
      ),
    (position) => {
      const { vk, pop } = items[position]!;
      try {
        verdicts[position] = backend.verifyProofOfPossession(vk, pop) ? 'valid' : 'invalid';
      } catch (error) {
        if (!(error instanceof BlsError)) throw error;
        verdicts[position] = error;
      }
    },
  );
  return verdicts;
}
