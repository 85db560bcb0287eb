/**
 * The data of the STM concatenation proof system, as plain values shared by the protocol
 * modules and the codecs (reference: mithril-stm `protocol/`, `proof_system/concatenation/`).
 * Byte fields hold compressed points: BLS signatures are G1 (48 B), verification keys G2 (96 B).
 */

/** `Parameters { m, k, phi_f }` (mithril-stm `protocol/parameters.rs`). */
export interface StmParameters {
  /** Number of lottery indexes each signer plays: 0..m-1. */
  m: number;
  /** Quorum: distinct winning indexes an aggregate needs. */
  k: number;
  /** φ_f in φ(w) = 1 - (1 - φ_f)^w. */
  phiF: number;
}

/** A BLS verification key with its proof of possession (`VerificationKeyProofOfPossession`). */
export interface VerificationKeyPoP {
  /** G2, 96 bytes. */
  vk: Uint8Array;
  /** k1 ‖ k2, two G1 points, 96 bytes. */
  pop: Uint8Array;
}

/** `ClosedRegistrationEntry(vk, stake)`: one Merkle leaf, vk ‖ BE64(stake). */
export interface RegistrationEntry {
  vk: Uint8Array;
  stake: bigint;
}

/** The Merkle tree commitment: root and number of leaves. */
export interface MerkleCommitment {
  root: Uint8Array;
  nrLeaves: number;
}

/** `AggregateVerificationKey` for concatenation: {mt_commitment, total_stake}. */
export interface AggregateVerificationKey {
  mtCommitment: MerkleCommitment;
  totalStake: bigint;
}

/** `SingleSignature` (concatenation part): σ, the winning indexes and the signer index. */
export interface SingleSignature {
  /** G1, 48 bytes. */
  sigma: Uint8Array;
  indexes: number[];
  signerIndex: number;
}

/** Batch opening of several leaves ("Octopus"): sibling values and sorted leaf indices. */
export interface MerkleBatchPath {
  values: Uint8Array[];
  indices: number[];
}

/** A single signature joined with the registration entry it was made under. */
export interface SignatureWithRegisteredParty {
  sig: SingleSignature;
  entry: RegistrationEntry;
}

/** `ConcatenationProof`: the multi-signature of a concatenation certificate. */
export interface ConcatenationProof {
  signatures: SignatureWithRegisteredParty[];
  batchProof: MerkleBatchPath;
}
