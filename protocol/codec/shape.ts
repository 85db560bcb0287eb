/**
 * Sizes, bounds and invariants of the STM values that every codec in this folder shares, so the
 * JSON, legacy, CBOR and wire decoders accept the same value space and the encoders never emit
 * something a decoder here would reject.
 */
import { ProtocolError } from '../errors.ts';
import { U64_MAX } from '../encoding/bytes.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  MerkleBatchPath,
  MerkleCommitment,
  RegistrationEntry,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
  VerificationKeyPoP,
} from '../stm/types.ts';

/** Compressed G1 point: a BLS signature σ (blst `min_sig`). */
export const SIGMA_BYTES = 48;
/** Compressed G2 point: a BLS verification key. */
export const VK_BYTES = 96;
/** Proof of possession k1 ‖ k2, two compressed G1 points (`BlsProofOfPossession::to_bytes`). */
export const POP_BYTES = 96;
/** BLAKE2b-256 output: Merkle roots and batch-path siblings (`Blake2b<U32>`). */
export const HASH_BYTES = 32;

/**
 * Most lottery indexes one signature may claim. Honest indexes are distinct and below m
 * (mainnet m = 16948, previously 20973), so 100 000 leaves room for larger m.
 */
export const MAX_LOTTERY_INDEXES = 100_000;
/**
 * Most registered signers, hence most leaves, signatures in one proof and batch-path indices.
 * Cardano has about 3 000 stake pools; 100 000 is a generous ceiling.
 */
export const MAX_SIGNERS = 100_000;
/**
 * Most siblings in a batch path: at most one per tree node, and a tree over MAX_SIGNERS leaves
 * padded to 2^17 has 2^18 - 1 nodes.
 */
export const MAX_BATCH_PATH_VALUES = 1 << 18;

/** A value that cannot be encoded (wrong byte length, out-of-range integer, broken invariant). */
export class EncodeError extends ProtocolError {}

function fail(what: string, why: string): never {
  throw new EncodeError('INVALID_VALUE', `cannot encode ${what}: ${why}`);
}

export function checkBytes(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) fail(what, `expected ${length} bytes`);
}

export function checkSafeUint(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) fail(what, `${n} is not an integer in [0, 2^53-1]`);
}

export function checkU64(n: bigint, what: string): void {
  if (typeof n !== 'bigint' || n < 0n || n > U64_MAX) fail(what, `${n} is not an integer in [0, 2^64-1]`);
}

function checkCount(n: number, max: number, what: string): void {
  if (n > max) fail(what, `${n} items, at most ${max} allowed`);
}

export function checkParameters(p: StmParameters): void {
  checkSafeUint(p.m, 'parameter m');
  checkSafeUint(p.k, 'parameter k');
  if (typeof p.phiF !== 'number' || !Number.isFinite(p.phiF)) fail('parameter phi_f', 'not a finite number');
}

export function checkVkPop(v: VerificationKeyPoP): void {
  checkBytes(v.vk, VK_BYTES, 'verification key');
  checkBytes(v.pop, POP_BYTES, 'proof of possession');
}

export function checkSingleSignature(s: SingleSignature): void {
  checkBytes(s.sigma, SIGMA_BYTES, 'sigma');
  checkCount(s.indexes.length, MAX_LOTTERY_INDEXES, 'lottery indexes');
  for (const i of s.indexes) checkSafeUint(i, 'lottery index');
  checkSafeUint(s.signerIndex, 'signer index');
}

export function checkRegistrationEntry(e: RegistrationEntry): void {
  checkBytes(e.vk, VK_BYTES, 'verification key');
  checkU64(e.stake, 'stake');
}

export function checkSignatureWithRegisteredParty(s: SignatureWithRegisteredParty): void {
  checkSingleSignature(s.sig);
  checkRegistrationEntry(s.entry);
}

export function checkMerkleCommitment(c: MerkleCommitment): void {
  checkBytes(c.root, HASH_BYTES, 'Merkle root');
  checkSafeUint(c.nrLeaves, 'number of leaves');
  if (c.nrLeaves > MAX_SIGNERS) fail('number of leaves', `${c.nrLeaves} exceeds ${MAX_SIGNERS}`);
}

export function checkMerkleBatchPath(p: MerkleBatchPath): void {
  checkCount(p.values.length, MAX_BATCH_PATH_VALUES, 'batch path values');
  for (const v of p.values) checkBytes(v, HASH_BYTES, 'batch path value');
  checkCount(p.indices.length, MAX_SIGNERS, 'batch path indices');
  for (const i of p.indices) checkSafeUint(i, 'batch path index');
}

export function checkAvk(a: AggregateVerificationKey): void {
  checkMerkleCommitment(a.mtCommitment);
  checkU64(a.totalStake, 'total stake');
}

export function checkConcatenationProof(p: ConcatenationProof): void {
  checkCount(p.signatures.length, MAX_SIGNERS, 'signatures');
  for (const s of p.signatures) checkSignatureWithRegisteredParty(s);
  checkMerkleBatchPath(p.batchProof);
}
