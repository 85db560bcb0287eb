/**
 * Signing (spec §1.4; reference mithril-stm `proof_system/concatenation/signer.rs`):
 * msg' = msg ‖ AVK root, σ = sk·H(msg'), then every index 0..m-1 is played and the winners kept.
 */
import type { BlsBackend } from '../crypto/bls/backend.ts';
import type { RegistrationEntry, SingleSignature, StmParameters } from './types.ts';
import { RegistrationError } from './errors.ts';
import { LotteryTarget, checkParameters, winningIndexes } from './lottery.ts';
import { messageWithCommitment } from './merkle.ts';
import type { ClosedKeyRegistration } from './registration.ts';

/** A registered signer for one closed registration and one set of parameters. */
export class StmSigner {
  readonly signerIndex: number;
  readonly entry: RegistrationEntry;
  private readonly backend: BlsBackend;
  private readonly secretKey: bigint;
  private readonly registration: ClosedKeyRegistration;
  private readonly params: StmParameters;
  private readonly target: LotteryTarget;

  /** Throws `RegistrationError('NOT_REGISTERED')` when the key of `secretKey` is not in `registration`. */
  constructor(
    backend: BlsBackend,
    secretKey: bigint,
    registration: ClosedKeyRegistration,
    params: StmParameters,
  ) {
    checkParameters(params);
    const index = registration.indexOf(backend.verificationKey(secretKey));
    if (index === undefined) {
      throw new RegistrationError('NOT_REGISTERED', 'this signer key is not in the closed registration');
    }
    this.signerIndex = index;
    this.entry = registration.entryAt(index);
    this.backend = backend;
    this.secretKey = secretKey;
    this.registration = registration;
    this.params = params;
    this.target = new LotteryTarget(params.phiF, this.entry.stake, registration.totalStake);
  }

  /**
   * Signs `msg`. Returns null when no index wins (the reference's `LotteryLost` error): losing is
   * an expected outcome for small stakes, not a failure.
   */
  sign(msg: Uint8Array): SingleSignature | null {
    const msgPrime = messageWithCommitment(msg, this.registration.avk.mtCommitment);
    const sigma = this.backend.sign(this.secretKey, msgPrime);
    const indexes = winningIndexes(msgPrime, sigma, this.params.m, this.target);
    if (indexes.length === 0) return null;
    return { sigma, indexes, signerIndex: this.signerIndex };
  }
}
