/**
 * Typed errors of the STM layer. Codes are stable: gossip validators and the CLI switch on them.
 */
import { ProtocolError, VerificationError } from '../errors.ts';

/**
 * Parameters or arguments the STM functions cannot work with (the reference panics or refuses on
 * them). Codes: INVALID_PARAMETERS, INVALID_PHI_F, INVALID_STAKE, INVALID_EV, INVALID_BATCH_INDICES,
 * PLATFORM_LN_MISMATCH.
 */
export class StmParameterError extends ProtocolError {}

/**
 * A signature, proof or path that fails an STM check. Codes: SIGNATURE_INVALID, INDEX_BOUND,
 * LOTTERY_LOST, INDEX_NOT_UNIQUE, NOT_ENOUGH_INDEXES, BATCH_PATH_INVALID, UNKNOWN_SIGNER.
 */
export class StmVerificationError extends VerificationError {}

/**
 * Key registration failures. Codes: STAKE_OUT_OF_RANGE, ALREADY_REGISTERED, TOTAL_STAKE_OVERFLOW,
 * INVALID_KEY, ZERO_TOTAL_STAKE, UNREGISTERED_INDEX, NOT_REGISTERED.
 */
export class RegistrationError extends ProtocolError {}

/** The clerk could not gather k distinct winning indexes (reference `NotEnoughSignatures`). */
export class NotEnoughSignaturesError extends ProtocolError {
  /** Distinct indexes gathered from valid signatures. */
  readonly total: number;
  /** The quorum that was required. */
  readonly k: number;

  constructor(total: number, k: number) {
    super('NOT_ENOUGH_SIGNATURES', `only ${total} distinct winning indexes, quorum k = ${k}`);
    this.total = total;
    this.k = k;
  }
}
