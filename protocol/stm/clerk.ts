/**
 * Aggregation into a concatenation proof (spec §1.6; reference mithril-stm
 * `proof_system/concatenation/{clerk,proof}.rs`, `select_valid_signatures_for_k_indices`).
 *
 * The selection is the reference's, so a Rust aggregator and this one produce the same proof
 * from the same signatures: per index the signature with the smallest σ bytes keeps it, winners
 * are walked in ascending index order until k indexes are gathered, the result is sorted by
 * signer index and opened in the Merkle tree.
 */
import type { BlsBackend } from '../crypto/bls/backend.ts';
import type { RandomSource } from '../crypto/random.ts';
import { systemRandom } from '../crypto/random.ts';
import { bytesToHex, compareBytes } from '../encoding/bytes.ts';
import type {
  ConcatenationProof,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
} from './types.ts';
import { NotEnoughSignaturesError } from './errors.ts';
import { checkParameters } from './lottery.ts';
import type { ClosedKeyRegistration } from './registration.ts';
import { verifySingleSignatures } from './single-signature.ts';

/** The reference's identity of a `SingleSignatureWithRegisteredParty`: σ, vk and stake. */
function identity(item: SignatureWithRegisteredParty): string {
  return `${bytesToHex(item.sig.sigma)}:${bytesToHex(item.entry.vk)}:${item.entry.stake}`;
}

/** Total order used to break ties the reference never meets (equal σ): σ, vk, stake, signer index. */
function compareItems(a: SignatureWithRegisteredParty, b: SignatureWithRegisteredParty): number {
  return (
    compareBytes(a.sig.sigma, b.sig.sigma) ||
    compareBytes(a.entry.vk, b.entry.vk) ||
    (a.entry.stake === b.entry.stake ? 0 : a.entry.stake < b.entry.stake ? -1 : 1) ||
    a.sig.signerIndex - b.sig.signerIndex
  );
}

/**
 * Several inputs with the same identity are one signature to the reference (it keys its maps by
 * σ and entry), with results that depend on input order; a repeated identical submission even
 * loses all its indexes there. They are merged first into one signature holding the distinct
 * union of their indexes in ascending order. A single input is left as it is.
 */
function mergeSameIdentity(items: readonly SignatureWithRegisteredParty[]): SignatureWithRegisteredParty[] {
  const groups = new Map<string, SignatureWithRegisteredParty[]>();
  for (const item of items) {
    const key = identity(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  const merged: SignatureWithRegisteredParty[] = [];
  for (const group of groups.values()) {
    if (group.length === 1) {
      merged.push(group[0]!);
      continue;
    }
    const first = group.reduce((a, b) => (compareItems(a, b) <= 0 ? a : b));
    const indexes = [...new Set(group.flatMap((g) => g.sig.indexes))].sort((a, b) => a - b);
    merged.push({ sig: { ...first.sig, indexes }, entry: first.entry });
  }
  return merged;
}

/**
 * Reference `select_valid_signatures_for_k_indices` on signatures that already verified, then
 * sorted by signer index. Throws `NotEnoughSignaturesError(total, k)` when fewer than k indexes
 * can be gathered. The result does not depend on the order of `valid`.
 */
export function selectSignaturesForKIndices(
  valid: readonly SignatureWithRegisteredParty[],
  k: number,
): SignatureWithRegisteredParty[] {
  const items = mergeSameIdentity(valid);
  const winnerByIndex = new Map<number, SignatureWithRegisteredParty>();
  const removedIndexes = new Map<SignatureWithRegisteredParty, Set<number>>();
  const removeFrom = (item: SignatureWithRegisteredParty, index: number): void => {
    const set = removedIndexes.get(item);
    if (set === undefined) removedIndexes.set(item, new Set([index]));
    else set.add(index);
  };
  for (const item of items) {
    for (const index of item.sig.indexes) {
      const previous = winnerByIndex.get(index);
      if (previous === undefined) {
        winnerByIndex.set(index, item);
      } else if (compareItems(item, previous) < 0) {
        removeFrom(previous, index);
        winnerByIndex.set(index, item);
      } else {
        // Not smaller (this includes an index repeated in one signature, which the reference
        // then strips from it entirely).
        removeFrom(item, index);
      }
    }
  }

  const selected: SignatureWithRegisteredParty[] = [];
  const emitted = new Set<SignatureWithRegisteredParty>();
  let count = 0;
  for (const index of [...winnerByIndex.keys()].sort((a, b) => a - b)) {
    const item = winnerByIndex.get(index)!;
    if (emitted.has(item)) continue;
    emitted.add(item);
    const removed = removedIndexes.get(item);
    const indexes = removed ? item.sig.indexes.filter((i) => !removed.has(i)) : [...item.sig.indexes];
    selected.push({ sig: { ...item.sig, indexes }, entry: item.entry });
    count += indexes.length;
    if (count >= k) {
      return selected.sort((a, b) => a.sig.signerIndex - b.sig.signerIndex || compareItems(a, b));
    }
  }
  throw new NotEnoughSignaturesError(count, k);
}

/** Joins signatures to their entries by signer index; unknown signer indexes are dropped. */
function joinWithRegistration(
  registration: ClosedKeyRegistration,
  sigs: readonly SingleSignature[],
): SignatureWithRegisteredParty[] {
  const joined: SignatureWithRegisteredParty[] = [];
  for (const sig of sigs) {
    const entry = Number.isSafeInteger(sig.signerIndex) ? registration.entries[sig.signerIndex] : undefined;
    if (entry !== undefined) joined.push({ sig, entry });
  }
  return joined;
}

function buildProof(
  registration: ClosedKeyRegistration,
  selected: SignatureWithRegisteredParty[],
): ConcatenationProof {
  const batchProof = registration.merkleTree.batchPath(selected.map((s) => s.sig.signerIndex));
  return { signatures: selected, batchProof };
}

/**
 * Reference `ConcatenationProof::aggregate_signatures`: drops every signature that does not
 * verify for `msg` (and, unlike the reference, which fails the whole call, those whose signer
 * index is not registered), selects k indexes and opens the selected leaves. Verification is
 * batched (`verifySingleSignatures`, scalars from `random`).
 */
export function aggregateSignatures(
  backend: BlsBackend,
  registration: ClosedKeyRegistration,
  params: StmParameters,
  msg: Uint8Array,
  sigs: readonly SingleSignature[],
  random: RandomSource = systemRandom,
): ConcatenationProof {
  checkParameters(params);
  const joined = joinWithRegistration(registration, sigs);
  const verdicts = verifySingleSignatures(backend, joined, registration.avk, params, msg, random);
  const valid = joined.filter((_, i) => verdicts[i] === null);
  return buildProof(registration, selectSignaturesForKIndices(valid, params.k));
}

/**
 * The same without verification, for signatures the caller already verified against this
 * registration, parameters and message (for instance on gossip receipt). A signature that does
 * not verify makes a proof that fails `verifyConcatenationProof`.
 */
export function aggregateVerifiedSignatures(
  registration: ClosedKeyRegistration,
  params: StmParameters,
  verified: readonly SingleSignature[],
): ConcatenationProof {
  checkParameters(params);
  const joined = joinWithRegistration(registration, verified);
  return buildProof(registration, selectSignaturesForKIndices(joined, params.k));
}
