/**
 * BLS multi-signatures as the Mithril reference uses them (blst `min_sig`): signatures in G1
 * (48-byte compressed), verification keys in G2 (96-byte compressed), hash-to-G1 with an EMPTY
 * domain-separation tag. Several implementations sit behind this one interface; `noble` is the
 * reference that the others are cross-checked against in tests.
 *
 * Contract for every method:
 * - secret keys are scalars in [1, r);
 * - malformed or invalid encodings (bad length, not on the curve, outside the subgroup, identity)
 *   throw a `BlsError`;
 * - a well-formed input that fails an equation returns `false`.
 */
import { ProtocolError } from '../../errors.ts';

export class BlsError extends ProtocolError {}

export interface BatchVerifyItem {
  msg: Uint8Array;
  vk: Uint8Array;
  sig: Uint8Array;
}

/** A BLS key and its proof of possession k1 ‖ k2, as registered. */
export interface ProofOfPossessionItem {
  vk: Uint8Array;
  pop: Uint8Array;
}

export interface BlsBackend {
  readonly name: string;

  /** vk = sk·G2, 96-byte compressed. */
  verificationKey(sk: bigint): Uint8Array;
  /** σ = sk·H_G1(msg) with the empty DST, 48-byte compressed. */
  sign(sk: bigint, msg: Uint8Array): Uint8Array;
  /** Proof of possession k1 ‖ k2 = sk·H_G1("PoP") ‖ sk·G1 (96 bytes). */
  proofOfPossession(sk: bigint): Uint8Array;

  /** Throws `BlsError` unless `vk` is a valid G2 key (on curve, in subgroup, not identity). */
  validateVerificationKey(vk: Uint8Array): void;
  /** Throws `BlsError` unless `sig` is a valid G1 point (on curve, in subgroup, not identity). */
  validateSignature(sig: Uint8Array): void;

  /** e(k1, G2) = e(H("PoP"), vk) and e(G1, vk) = e(k2, G2). */
  verifyProofOfPossession(vk: Uint8Array, pop: Uint8Array): boolean;
  /**
   * Randomized batch of proofs of possession, scalars a₀, b₀, a₁, b₁, … (two per item):
   * e(Σ aᵢ·k1ᵢ + bᵢ·k2ᵢ, G2) = Π e(aᵢ·H("PoP") + bᵢ·G1, vkᵢ). One final exponentiation and n + 1
   * Miller loops for n proofs; with random scalars of 64 bits or more a batch holding a false
   * proof passes with probability about 2^-64.
   */
  verifyProofsOfPossession(items: ProofOfPossessionItem[], scalars: bigint[]): boolean;
  /** e(σ, G2) = e(H(msg), vk). */
  verify(msg: Uint8Array, vk: Uint8Array, sig: Uint8Array): boolean;
  /**
   * Randomized aggregate over one message: e(Σ rᵢσᵢ, G2) = e(H(msg), Σ rᵢvkᵢ).
   * With random scalars of 64 bits or more (or the reference-derived ones) this verifies all pairs at once.
   */
  verifyAggregateSameMessage(
    msg: Uint8Array,
    vks: Uint8Array[],
    sigs: Uint8Array[],
    scalars: bigint[],
  ): boolean;
  /** Randomized batch over independent messages: Π e(rᵢσᵢ, G2) = Π e(H(msgᵢ), rᵢvkᵢ). */
  verifyBatch(items: BatchVerifyItem[], scalars: bigint[]): boolean;
}
