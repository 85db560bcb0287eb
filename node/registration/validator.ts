/**
 * Validation of a registration by the receiving node, cheapest first (docs/node-design.md,
 * "Validation"): recording epoch window, duplicate / equivocation / key reuse against what the
 * node accepted, pool in the stake distribution, then the protocol's key certification (opcert,
 * KES over vk ‖ PoP at the receiver's own KES period ±1, BLS key and PoP).
 */
import {
  KeyCertificationError,
  kesVerify,
  registrationMessage,
  verifyRegistration,
} from '../../protocol/cardano/index.ts';
import type { KeyCertificationBls } from '../../protocol/cardano/index.ts';
import { DecodeError } from '../../protocol/errors.ts';
import { equalBytes } from '../../protocol/encoding/bytes.ts';
import type { ChainObserver } from '../chain/observer.ts';
import { ignore, reject } from '../gossip/errors.ts';
import type { RegistrationMessage } from './message.ts';

/** What the validator reads of the node's registration state. */
export interface RegistrationLedger {
  /** True while registrations recorded at `epoch` are accepted (the close point not reached). */
  isOpen(epoch: number): boolean;
  accepted(epoch: number, partyId: string): RegistrationMessage | undefined;
  /** A retained registration recorded at `upToEpoch` or before that uses `vk`, if any. */
  keyUse(vk: Uint8Array, upToEpoch: number): { epoch: number; partyId: string } | undefined;
}

export interface RegistrationValidatorOptions {
  chain: ChainObserver;
  bls: KeyCertificationBls;
  ledger: RegistrationLedger;
}

/** Registrations are made during r − 1 for recording epoch r (spec §2.4). */
const RECORDING_OFFSET = 1;
/** One epoch ahead of ours is a peer whose clock is a little ahead: not its fault. */
const SKEW_TOLERANCE_EPOCHS = 1;

/** Same vk and PoP: the same registered key (the rest of a message only proves it is the pool's). */
export function sameKey(a: RegistrationMessage, b: RegistrationMessage): boolean {
  return equalBytes(a.vkPop.vk, b.vkPop.vk) && equalBytes(a.vkPop.pop, b.vkPop.pop);
}

export class RegistrationValidator {
  private readonly chain: ChainObserver;
  private readonly bls: KeyCertificationBls;
  private readonly ledger: RegistrationLedger;

  constructor(options: RegistrationValidatorOptions) {
    this.chain = options.chain;
    this.bls = options.bls;
    this.ledger = options.ledger;
  }

  /**
   * Resolves when `message` may be accepted now; throws `GossipValidationError` otherwise.
   * Reasons: WRONG_EPOCH, FUTURE_EPOCH, REGISTRATION_CLOSED, DUPLICATE, EQUIVOCATION,
   * DUPLICATE_KEY, UNKNOWN_POOL, OPCERT_INVALID, KES_INVALID, POP_INVALID, MALFORMED.
   */
  async validate(message: RegistrationMessage): Promise<void> {
    this.checkState(message);
    const stake = (await this.chain.stakeDistribution(message.epoch)).get(message.partyId);
    if (stake === undefined) {
      throw reject('UNKNOWN_POOL', `${message.partyId} has no stake at epoch ${message.epoch}`);
    }
    // The node may have closed or accepted another message while the distribution was read.
    this.checkState(message);
    this.checkCertification(message);
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

  private checkCertification(message: RegistrationMessage): void {
    try {
      verifyRegistration({
        vkPop: message.vkPop,
        kesSignature: message.kesSignature,
        opCert: message.opCert,
        bls: this.bls,
        currentKesPeriod: this.chain.currentKesPeriod(),
      });
    } catch (error) {
      if (error instanceof KeyCertificationError) {
        switch (error.code) {
          case 'OPCERT_INVALID':
            throw reject('OPCERT_INVALID', error.message, error);
          case 'KES_PERIOD_OUT_OF_RANGE':
          case 'KES_SIGNATURE_INVALID':
            throw this.kesFailure(message, error);
          case 'VK_INVALID':
          case 'POP_INVALID':
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
