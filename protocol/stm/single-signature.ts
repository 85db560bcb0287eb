/**
 * Verification of single signatures (spec §1.4; reference mithril-stm
 * `proof_system/concatenation/single_signature.rs`), alone or in batches for the same message.
 *
 * Check order is cheapest first: index bounds and lottery (hashes) before the BLS equation.
 * The set of rejected signatures is the reference's; only the reported reason can differ when a
 * signature fails several checks (the reference verifies σ first).
 */
import type { BlsBackend } from '../crypto/bls/backend.ts';
import { checkByHalving } from '../crypto/bls/halving.ts';
import { BlsError } from '../crypto/bls/backend.ts';
import type { RandomSource } from '../crypto/random.ts';
import { randomBatchScalars, systemRandom } from '../crypto/random.ts';
import type {
  AggregateVerificationKey,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
} from './types.ts';
import { StmVerificationError } from './errors.ts';
import { DenseMapping, LotteryTarget, checkParameters } from './lottery.ts';
import { messageWithCommitment } from './merkle.ts';

/**
 * Reference `check_indices`: each index in turn must pass the bound check and win the lottery
 * with the signer's stake and the AVK's total stake. The bound is `index > m` as in the
 * reference: index m itself is played and accepted when it wins.
 */
export function checkIndices(
  sigma: Uint8Array,
  indexes: readonly number[],
  params: StmParameters,
  stake: bigint,
  msgPrime: Uint8Array,
  totalStake: bigint,
): void {
  // With no index the reference plays no lottery, so not even the stakes are looked at.
  if (indexes.length === 0) return;
  const target = new LotteryTarget(params.phiF, stake, totalStake);
  const mapping = new DenseMapping(msgPrime, sigma);
  for (const index of indexes) {
    if (!Number.isSafeInteger(index) || index < 0 || index > params.m) {
      throw new StmVerificationError('INDEX_BOUND', `index ${index} is above m = ${params.m}`);
    }
    if (!target.isWon(mapping.ev(index))) {
      throw new StmVerificationError('LOTTERY_LOST', `index ${index} does not win the lottery`);
    }
  }
}

/** Runs a backend call, turning its `BlsError` (bad point encoding) into SIGNATURE_INVALID. */
export function blsCheck(what: string, check: () => boolean): void {
  let ok: boolean;
  try {
    ok = check();
  } catch (e) {
    if (!(e instanceof BlsError)) throw e;
    throw new StmVerificationError('SIGNATURE_INVALID', `${what}: ${e.message}`, { cause: e });
  }
  if (!ok) throw new StmVerificationError('SIGNATURE_INVALID', `${what}: BLS equation fails`);
}

/**
 * Verifies one signature made under `entry` for `msg` (reference `SingleSignature::verify`);
 * throws `StmVerificationError` (INDEX_BOUND, LOTTERY_LOST, SIGNATURE_INVALID).
 */
export function verifySingleSignature(
  backend: BlsBackend,
  item: SignatureWithRegisteredParty,
  avk: AggregateVerificationKey,
  params: StmParameters,
  msg: Uint8Array,
): void {
  checkParameters(params);
  const msgPrime = messageWithCommitment(msg, avk.mtCommitment);
  const { sig, entry } = item;
  checkIndices(sig.sigma, sig.indexes, params, entry.stake, msgPrime, avk.totalStake);
  blsCheck('single signature', () => backend.verify(msgPrime, entry.vk, sig.sigma));
}

interface Pending {
  position: number;
  sig: SingleSignature;
  vk: Uint8Array;
}

/**
 * BLS part of the batch: one randomized same-message aggregate over the group, halved on failure
 * (`checkByHalving`).
 */
function verifyGroup(
  backend: BlsBackend,
  msgPrime: Uint8Array,
  group: Pending[],
  random: RandomSource,
  verdicts: (StmVerificationError | null)[],
): void {
  checkByHalving(
    group,
    (pending) =>
      backend.verifyAggregateSameMessage(
        msgPrime,
        pending.map((p) => p.vk),
        pending.map((p) => p.sig.sigma),
        randomBatchScalars(random, pending.length),
      ),
    ({ position, sig, vk }) => {
      try {
        blsCheck('single signature', () => backend.verify(msgPrime, vk, sig.sigma));
      } catch (e) {
        if (!(e instanceof StmVerificationError)) throw e;
        verdicts[position] = e;
      }
    },
  );
}

/**
 * Verifies many single signatures for the same `msg` and AVK. Returns, aligned with `items`,
 * `null` for a valid signature or the `StmVerificationError` that rejects it. The verdicts are
 * those of `verifySingleSignature`; the BLS equations are checked together with random 64-bit
 * scalars from `random` (verifier-local randomness, nothing the reference needs to reproduce).
 */
export function verifySingleSignatures(
  backend: BlsBackend,
  items: readonly SignatureWithRegisteredParty[],
  avk: AggregateVerificationKey,
  params: StmParameters,
  msg: Uint8Array,
  random: RandomSource = systemRandom,
): (StmVerificationError | null)[] {
  checkParameters(params);
  const msgPrime = messageWithCommitment(msg, avk.mtCommitment);
  const verdicts: (StmVerificationError | null)[] = items.map(() => null);
  const pending: Pending[] = [];
  items.forEach(({ sig, entry }, position) => {
    try {
      checkIndices(sig.sigma, sig.indexes, params, entry.stake, msgPrime, avk.totalStake);
      pending.push({ position, sig, vk: entry.vk });
    } catch (e) {
      if (!(e instanceof StmVerificationError)) throw e;
      verdicts[position] = e;
    }
  });
  if (pending.length > 0) verifyGroup(backend, msgPrime, pending, random, verdicts);
  return verdicts;
}
