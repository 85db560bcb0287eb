/**
 * Validation of a registration by the receiving node, cheapest first (docs/node-design.md,
 * "Validation"): recording epoch window, duplicate / equivocation / key reuse against what the
 * node accepted, pool in the stake distribution, then the protocol's key certification (opcert,
 * KES over vk ‖ PoP at the receiver's own KES period ±1, BLS key, then the PoP, whose pairings
 * are checked in batches of concurrent validations: registrations come in bursts, every pool at
 * the start of the epoch). Registrations of a
 * closed set fetched from a peer (adoption, "When views differ") get the same checks without the
 * open window and the ledger, and KES at the evolution they were signed at, up to ours + 1.
 */
import {
  KES_MAX_PERIOD,
  KeyCertificationError,
  kesVerify,
  registrationMessage,
  verifyRegistrationSignatures,
} from '../../protocol/cardano/index.ts';
import type { KesTiming } from '../../protocol/cardano/index.ts';
import { verifyProofsOfPossession } from '../../protocol/crypto/bls/index.ts';
import type {
  BlsBackend,
  ProofOfPossessionItem,
  ProofOfPossessionVerdict,
} from '../../protocol/crypto/bls/index.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { DecodeError } from '../../protocol/errors.ts';
import { bytesToHex, equalBytes } from '../../protocol/encoding/bytes.ts';
import type { ChainObserver } from '../chain/observer.ts';
import { ignore, reject } from '../gossip/errors.ts';
import { BatchQueue } from '../runtime/batch-queue.ts';
import type { Clock } from '../runtime/clock.ts';
import type { RegistrationMessage } from './message.ts';

/** What the validator reads of the node's registration state. */
export interface RegistrationLedger {
  /** True while registrations recorded at `epoch` are accepted (the close point not reached). */
  isOpen(epoch: number): boolean;
  accepted(epoch: number, partyId: string): RegistrationMessage | undefined;
  /** A retained registration recorded at `upToEpoch` or before that uses `vk`, if any. */
  keyUse(vk: Uint8Array, upToEpoch: number): { epoch: number; partyId: string } | undefined;
}

/** What the validator uses of a BLS backend. */
export type RegistrationBls = Pick<
  BlsBackend,
  'validateVerificationKey' | 'verifyProofOfPossession' | 'verifyProofsOfPossession'
>;

export interface RegistrationValidatorOptions {
  chain: ChainObserver;
  bls: RegistrationBls;
  ledger: RegistrationLedger;
  /** Times the wait for a batch of proofs to fill. */
  clock: Clock;
  /** Verifier-local randomness for the batch scalars. */
  random: RandomSource;
  /** Proofs of possession per batch (default `PROOF_BATCH_DEFAULTS.size`). */
  proofBatchSize?: number;
  /** Longest wait for a batch to fill, ms (default `PROOF_BATCH_DEFAULTS.delayMs`). */
  proofBatchDelayMs?: number;
}

const PROOF_BATCH_DEFAULTS = {
  /**
   * Measured with mcl on this project's 2-core machine: 7.2 ms per proof alone, 3.3 ms in
   * batches of 8 to 32, 2.5 ms in batches of 64 (each proof still pays its own point decoding and
   * Miller loop). 32 keeps a batch near 100 ms of event loop.
   */
  size: 32,
  /**
   * Each hop holds a registration back by at most this much: nothing next to the registration
   * window (minutes), and the epoch-start burst fills batches sooner.
   */
  delayMs: 50,
} as const;

/** Registrations are made during r − 1 for recording epoch r (spec §2.4). */
const RECORDING_OFFSET = 1;
/** One epoch ahead of ours is a peer whose clock is a little ahead: not its fault. */
const SKEW_TOLERANCE_EPOCHS = 1;
/** The KES verifier's ±1 period (`KesVerifierStandard`, protocol/cardano/key-certification.ts). */
const KES_PERIOD_TOLERANCE = 1n;

/** A registration of a closed set and the stake it is weighted with. */
export interface ClosedSetEntry {
  message: RegistrationMessage;
  stake: bigint;
}

/** Same vk and PoP: the same registered key (the rest of a message only proves it is the pool's). */
export function sameKey(a: RegistrationMessage, b: RegistrationMessage): boolean {
  return equalBytes(a.vkPop.vk, b.vkPop.vk) && equalBytes(a.vkPop.pop, b.vkPop.pop);
}

export class RegistrationValidator {
  private readonly chain: ChainObserver;
  private readonly bls: RegistrationBls;
  private readonly ledger: RegistrationLedger;
  private readonly proofs: BatchQueue<ProofOfPossessionItem, ProofOfPossessionVerdict>;
  /** Checks under way, by the message's bytes in hex. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(options: RegistrationValidatorOptions) {
    this.chain = options.chain;
    this.bls = options.bls;
    this.ledger = options.ledger;
    this.proofs = new BatchQueue({
      clock: options.clock,
      batchSize: options.proofBatchSize ?? PROOF_BATCH_DEFAULTS.size,
      batchDelayMs: options.proofBatchDelayMs ?? PROOF_BATCH_DEFAULTS.delayMs,
      run: (items) => verifyProofsOfPossession(options.bls, items, options.random),
    });
  }

  /**
   * Resolves when `message` may be accepted now; throws `GossipValidationError` otherwise.
   * Reasons: WRONG_EPOCH, FUTURE_EPOCH, REGISTRATION_CLOSED, DUPLICATE, EQUIVOCATION,
   * DUPLICATE_KEY, UNKNOWN_POOL, OPCERT_INVALID, KES_INVALID, POP_INVALID, MALFORMED.
   * The same bytes arriving while they are being checked (from gossip and a pull, or several
   * pulls) share that check: a node behind on its checks would otherwise pull and check again
   * what it has not accepted yet.
   */
  validate(message: RegistrationMessage): Promise<void> {
    const key = bytesToHex(message.bytes);
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    const check = this.check(message).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, check);
    return check;
  }

  /** Checks the proofs of possession waiting for a batch now (the service is stopping). */
  flushProofs(): void {
    this.proofs.flush();
  }

  private async check(message: RegistrationMessage): Promise<void> {
    this.checkState(message);
    const stake = (await this.chain.stakeDistribution(message.epoch)).get(message.partyId);
    if (stake === undefined) {
      throw reject('UNKNOWN_POOL', `${message.partyId} has no stake at epoch ${message.epoch}`);
    }
    // The node may have closed or accepted another message while the distribution was read.
    this.checkState(message);
    this.checkCertification(message);
    await this.checkProofOfPossession(message);
  }

  private checkState(message: RegistrationMessage): void {
    const { epoch, partyId } = message;
    const open = this.chain.currentEpoch() + RECORDING_OFFSET;
    if (epoch > open + SKEW_TOLERANCE_EPOCHS) {
      throw reject('FUTURE_EPOCH', `registration for epoch ${epoch}, registrations are open for ${open}`);
    }
    if (epoch > open) {
      throw ignore('FUTURE_EPOCH', `registration for epoch ${epoch}, registrations are open for ${open}`);
    }
    if (epoch < open) {
      throw ignore('WRONG_EPOCH', `registration for epoch ${epoch}, registrations are open for ${open}`);
    }
    if (!this.ledger.isOpen(epoch)) {
      throw ignore('REGISTRATION_CLOSED', `registrations for epoch ${epoch} are closed`);
    }
    const previous = this.ledger.accepted(epoch, partyId);
    if (previous !== undefined) {
      // The same key in other bytes differs only in fields no signature covers (the evolutions
      // claim) or in a re-made signature: the same registration, not a conflicting one.
      if (sameKey(previous, message)) {
        throw ignore('DUPLICATE', `registration of ${partyId} for epoch ${epoch} already accepted`);
      }
      throw reject('EQUIVOCATION', `${partyId} already registered another key for epoch ${epoch}`);
    }
    // Keys are fresh every epoch: a key already used is another pool's, or a replay of an
    // earlier registration under a new epoch number (the KES signature does not cover it).
    const use = this.ledger.keyUse(message.vkPop.vk, epoch);
    if (use !== undefined) {
      throw reject(
        'DUPLICATE_KEY',
        `the key of ${partyId} is registered by ${use.partyId} for epoch ${use.epoch}`,
      );
    }
  }

  /**
   * The cheap checks of a closed set recorded at `epoch` fetched from a peer (adoption): every
   * message is for `epoch`, one per pool, each key once, each pool in `stakeDistribution(epoch)`.
   * Returns the messages with their stakes; throws `GossipValidationError` REJECT WRONG_EPOCH,
   * DUPLICATE, EQUIVOCATION, DUPLICATE_KEY or UNKNOWN_POOL. The open window and what the node
   * accepted do not matter: the set replaces the node's own.
   */
  async checkClosedSet(epoch: number, messages: readonly RegistrationMessage[]): Promise<ClosedSetEntry[]> {
    const byPool = new Map<string, RegistrationMessage>();
    const keys = new Set<string>();
    for (const message of messages) {
      if (message.epoch !== epoch) {
        throw reject('WRONG_EPOCH', `registration for epoch ${message.epoch} in the set of epoch ${epoch}`);
      }
      const previous = byPool.get(message.partyId);
      if (previous !== undefined) {
        throw sameKey(previous, message)
          ? reject('DUPLICATE', `${message.partyId} is twice in the set of epoch ${epoch}`)
          : reject('EQUIVOCATION', `${message.partyId} has two keys in the set of epoch ${epoch}`);
      }
      const key = bytesToHex(message.vkPop.vk);
      if (keys.has(key)) {
        throw reject('DUPLICATE_KEY', `the key of ${message.partyId} is twice in the set of epoch ${epoch}`);
      }
      byPool.set(message.partyId, message);
      keys.add(key);
    }
    const distribution = await this.chain.stakeDistribution(epoch);
    return messages.map((message) => {
      const stake = distribution.get(message.partyId);
      if (stake === undefined) {
        throw reject('UNKNOWN_POOL', `${message.partyId} has no stake at epoch ${epoch}`);
      }
      return { message, stake };
    });
  }

  /**
   * The key certification of a registration of a closed set. Made during its epoch − 1, it may
   * be several KES periods old, and the node cannot tell the KES period of a past time (its
   * chain view gives the current one only). A Sum6 signature verifies at the one evolution it
   * was made at, so the signature itself tells when it was made: it must verify at some evolution
   * up to our KES period + 1 (the verifier's tolerance; later is a registration from the future).
   * The evolution the message claims is tried first; it is covered by no signature, so a claim
   * altered by a relayer before the message was first accepted does not make a genuine
   * registration invalid (a wrong evolution mostly fails at a hash of the signature's path,
   * before the leaf's Ed25519 check: the search is cheap). Then opcert, KES at that evolution
   * and PoP as `verifyRegistration` checks them. Rejects with REJECT KES_INVALID, OPCERT_INVALID,
   * POP_INVALID, MALFORMED.
   */
  async certifyPast(message: RegistrationMessage): Promise<void> {
    const { opCert, kesEvolutions: claimed } = message;
    const upTo = this.chain.currentKesPeriod() + KES_PERIOD_TOLERANCE - opCert.startKesPeriod;
    const last = upTo < BigInt(KES_MAX_PERIOD) ? upTo : BigInt(KES_MAX_PERIOD);
    const payload = registrationMessage(message.vkPop);
    const candidates = claimed <= last ? [claimed] : [];
    for (let e = last; e >= 0n; e--) if (e !== claimed) candidates.push(e);
    const signedAt = candidates.find((e) =>
      kesVerify(opCert.kesVk, Number(e), payload, message.kesSignature),
    );
    if (signedAt === undefined) {
      throw reject(
        'KES_INVALID',
        `the KES signature of ${message.partyId} verifies at no evolution up to ${upTo}`,
      );
    }
    this.certify(message, { kesEvolutions: signedAt }, (error) =>
      reject('KES_INVALID', error.message, error),
    );
    await this.checkProofOfPossession(message);
  }

  /** The PoP, in a batch; REJECT POP_INVALID when it fails or does not decode. */
  private async checkProofOfPossession(message: RegistrationMessage): Promise<void> {
    const verdict = await this.proofs.add(message.vkPop);
    if (verdict === 'valid') return;
    if (verdict === 'invalid') {
      throw reject('POP_INVALID', `the proof of possession of ${message.partyId} does not verify`);
    }
    throw reject('POP_INVALID', `the proof of possession of ${message.partyId} is malformed`, verdict);
  }

  private checkCertification(message: RegistrationMessage): void {
    this.certify(message, { currentKesPeriod: this.chain.currentKesPeriod() }, (error) =>
      this.kesFailure(message, error),
    );
  }

  /**
   * `verifyRegistrationSignatures` (all but the PoP), its failures as REJECT verdicts;
   * `kesFailure` decides the KES one.
   */
  private certify(
    message: RegistrationMessage,
    timing: KesTiming,
    kesFailure: (error: KeyCertificationError) => Error,
  ): void {
    try {
      verifyRegistrationSignatures({
        vkPop: message.vkPop,
        kesSignature: message.kesSignature,
        opCert: message.opCert,
        bls: this.bls,
        ...timing,
      });
    } catch (error) {
      if (error instanceof KeyCertificationError) {
        switch (error.code) {
          case 'OPCERT_INVALID':
            throw reject('OPCERT_INVALID', error.message, error);
          case 'KES_PERIOD_OUT_OF_RANGE':
          case 'KES_SIGNATURE_INVALID':
            throw kesFailure(error);
          case 'VK_INVALID':
            throw reject('POP_INVALID', error.message, error);
        }
      }
      if (error instanceof DecodeError) throw reject('MALFORMED', error.message, error);
      throw error;
    }
  }

  /**
   * A KES signature that does not verify around our KES period: if it verifies at the
   * evolution the sender claims, the pool did sign it, at a period our view no longer (or not
   * yet) accepts (a re-announced or relayed message across a KES period boundary, clock skew):
   * IGNORE, relayers are not at fault. Otherwise it is forged: REJECT.
   */
  private kesFailure(message: RegistrationMessage, cause: KeyCertificationError): Error {
    const genuine = kesVerify(
      message.opCert.kesVk,
      Number(message.kesEvolutions),
      registrationMessage(message.vkPop),
      message.kesSignature,
    );
    return genuine
      ? ignore('KES_INVALID', `KES signature made at evolution ${message.kesEvolutions}, outside our window`)
      : reject('KES_INVALID', cause.message, cause);
  }
}
