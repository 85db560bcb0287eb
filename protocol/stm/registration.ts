/**
 * Key registration (spec §1.3 steps 1-4; reference mithril-stm `protocol/key_registration/`).
 *
 * Closing orders the entries by (stake ascending, then vk compressed bytes): the signer index is
 * the position in that order, and the Merkle tree and the AVK are built over it. Any divergence
 * here changes the AVK root and therefore every signed message.
 */
import type { BlsBackend } from '../crypto/bls/backend.ts';
import { BlsError } from '../crypto/bls/backend.ts';
import { U64_MAX, bytesToHex, compareBytes } from '../encoding/bytes.ts';
import type { AggregateVerificationKey, RegistrationEntry, VerificationKeyPoP } from './types.ts';
import { RegistrationError } from './errors.ts';
import { MerkleTree } from './merkle.ts';

/** Reference `ClosedRegistrationEntry::cmp`: stake first, then vk bytes. */
export function compareRegistrationEntries(a: RegistrationEntry, b: RegistrationEntry): number {
  if (a.stake !== b.stake) return a.stake < b.stake ? -1 : 1;
  return compareBytes(a.vk, b.vk);
}

function checkStake(stake: bigint): void {
  if (typeof stake !== 'bigint' || stake < 0n || stake > U64_MAX) {
    throw new RegistrationError('STAKE_OUT_OF_RANGE', `stake ${String(stake)} is not a u64`);
  }
}

/** An open registration: collects (vk, stake) pairs whose proof of possession checks. */
export class KeyRegistration {
  private readonly entries = new Map<string, RegistrationEntry>();
  private totalStake = 0n;

  get size(): number {
    return this.entries.size;
  }

  /**
   * Adds a signer. Checks, cheapest first: stake is a u64, the vk is not registered yet, the
   * running total stays a u64 (the reference's checked add at close), then the PoP (two pairings).
   */
  register(stake: bigint, vkPop: VerificationKeyPoP, backend: BlsBackend): RegistrationEntry {
    checkStake(stake);
    const key = bytesToHex(vkPop.vk);
    if (this.entries.has(key)) {
      throw new RegistrationError('ALREADY_REGISTERED', `verification key ${key} is already registered`);
    }
    if (this.totalStake + stake > U64_MAX) {
      throw new RegistrationError(
        'TOTAL_STAKE_OVERFLOW',
        `total stake ${this.totalStake} + ${stake} overflows u64`,
      );
    }
    let valid: boolean;
    try {
      // The backend rejects (throws) keys off the curve, outside the subgroup or the identity.
      valid = backend.verifyProofOfPossession(vkPop.vk, vkPop.pop);
    } catch (e) {
      if (!(e instanceof BlsError)) throw e;
      throw new RegistrationError('INVALID_KEY', `invalid verification key or PoP: ${e.message}`, {
        cause: e,
      });
    }
    if (!valid) throw new RegistrationError('INVALID_KEY', 'proof of possession does not verify');
    const entry: RegistrationEntry = { vk: Uint8Array.from(vkPop.vk), stake };
    this.entries.set(key, entry);
    this.totalStake += stake;
    return entry;
  }

  /** Closes a snapshot of the registration (this object stays usable). */
  close(): ClosedKeyRegistration {
    return ClosedKeyRegistration.fromEntries([...this.entries.values()]);
  }
}

/** A closed registration: ordered entries, total stake, Merkle tree and AVK. */
export class ClosedKeyRegistration {
  /** Entries in signer-index order. */
  readonly entries: readonly RegistrationEntry[];
  readonly totalStake: bigint;
  readonly merkleTree: MerkleTree;
  readonly avk: AggregateVerificationKey;
  private readonly indexByVk: Map<string, number>;

  private constructor(entries: RegistrationEntry[], totalStake: bigint) {
    this.entries = entries;
    this.totalStake = totalStake;
    this.merkleTree = MerkleTree.fromEntries(entries);
    this.avk = { mtCommitment: this.merkleTree.commitment(), totalStake };
    this.indexByVk = new Map(entries.map((e, i) => [bytesToHex(e.vk), i]));
  }

  /**
   * Closes a set of entries whose keys were already checked (by `KeyRegistration.register` or
   * when they were first accepted): no PoP check here. Rejects duplicate keys, stakes outside
   * u64, a total that overflows u64 or is 0. Input order does not matter.
   */
  static fromEntries(entries: readonly RegistrationEntry[]): ClosedKeyRegistration {
    const seen = new Set<string>();
    let total = 0n;
    for (const e of entries) {
      checkStake(e.stake);
      const key = bytesToHex(e.vk);
      if (seen.has(key)) {
        throw new RegistrationError('ALREADY_REGISTERED', `verification key ${key} is listed twice`);
      }
      seen.add(key);
      total += e.stake;
      if (total > U64_MAX) throw new RegistrationError('TOTAL_STAKE_OVERFLOW', 'total stake overflows u64');
    }
    if (total === 0n) throw new RegistrationError('ZERO_TOTAL_STAKE', 'total registered stake is 0');
    const sorted = entries.map((e) => ({ vk: Uint8Array.from(e.vk), stake: e.stake }));
    sorted.sort(compareRegistrationEntries);
    return new ClosedKeyRegistration(sorted, total);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The entry of `signerIndex`; throws `RegistrationError('UNREGISTERED_INDEX')` if there is none. */
  entryAt(signerIndex: number): RegistrationEntry {
    const entry = Number.isSafeInteger(signerIndex) ? this.entries[signerIndex] : undefined;
    if (entry === undefined) {
      throw new RegistrationError('UNREGISTERED_INDEX', `no signer with index ${signerIndex}`);
    }
    return entry;
  }

  /** The signer index of `vk`, or undefined when it is not registered. */
  indexOf(vk: Uint8Array): number | undefined {
    return this.indexByVk.get(bytesToHex(vk));
  }
}
