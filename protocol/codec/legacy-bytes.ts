/**
 * Decoders for the legacy big-endian byte packing of mithril-stm (`from_bytes_legacy`, §1.8(b)).
 * The reference no longer writes this form (its `to_bytes` is CBOR v1 since stm 0.10.0) but still
 * reads it, e.g. in the DMQ signature golden, so it is decode-only here too.
 *
 * Layouts (BE64 = u64 big-endian):
 * - Parameters: BE64 m ‖ BE64 k ‖ BE f64 phi_f (24 bytes)
 * - SingleSignature: BE64 n ‖ n × BE64 index ‖ σ (48) ‖ BE64 signer_index
 * - ClosedRegistrationEntry: vk (96) ‖ BE64 stake (104 bytes)
 * - SingleSignatureWithRegisteredParty: BE64 len ‖ entry ‖ BE64 len ‖ signature
 * - MerkleBatchPath: BE64 len_v ‖ BE64 len_i ‖ len_v × value (32) ‖ len_i × BE64 index
 * - MerkleTreeBatchCommitment: BE64 nr_leaves ‖ root (32)
 * - AVK: commitment (40) ‖ BE64 total_stake (48 bytes)
 * - ConcatenationProof: BE64 count ‖ count × (BE64 len ‖ signature with party) ‖ MerkleBatchPath
 * - AggregateSignature: type byte (0 concatenation, 1 SNARK, 2 IVC) ‖ proof
 *
 * The parts a legacy container frames go through the versioned `from_bytes` of their type in the
 * reference, so a legacy container may hold CBOR parts: `LegacyPartDecoders` lets the versioned
 * dispatch (stm-cbor.ts) plug in; by default the parts are read as legacy too.
 *
 * Deliberately stricter than the reference: trailing bytes are rejected (the reference ignores
 * them, which is how its non-SNARK build reads the longer `future_snark` layouts), roots must be
 * 32 bytes, integers stored as JS numbers must be below 2^53, counts are bounded (see shape.ts)
 * and phi_f must be finite.
 */
import { DecodeError } from '../errors.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  MerkleBatchPath,
  MerkleCommitment,
  RegistrationEntry,
  SignatureWithRegisteredParty,
  SingleSignature,
  StmParameters,
} from '../stm/types.ts';
import {
  HASH_BYTES,
  MAX_BATCH_PATH_VALUES,
  MAX_LOTTERY_INDEXES,
  MAX_SIGNERS,
  SIGMA_BYTES,
  VK_BYTES,
} from './shape.ts';

export class LegacyDecodeError extends DecodeError {}

/** Bytes of a BE64 field. */
const U64_BYTES = 8;

/** `AggregateSignatureType::get_byte_encoding_prefix` values. */
export const AGGREGATE_SIGNATURE_TYPE_CONCATENATION = 0;
const AGGREGATE_SIGNATURE_TYPE_SNARK = 1;
const AGGREGATE_SIGNATURE_TYPE_IVC_SNARK = 2;

class Cursor {
  private pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    if (!(bytes instanceof Uint8Array)) throw new LegacyDecodeError('INVALID_LENGTH', `${what} is not bytes`);
  }

  remaining(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number, field: string): Uint8Array {
    if (n > this.remaining()) {
      throw new LegacyDecodeError(
        'TRUNCATED',
        `${this.what}: ${field} needs ${n} bytes at offset ${this.pos}, ${this.remaining()} left`,
      );
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  rest(): Uint8Array {
    return this.take(this.remaining(), 'rest');
  }

  u64(field: string): bigint {
    let v = 0n;
    for (const b of this.take(U64_BYTES, field)) v = (v << 8n) | BigInt(b);
    return v;
  }

  safeUint(field: string): number {
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new LegacyDecodeError('OUT_OF_RANGE', `${this.what}: ${field} ${v} exceeds 2^53-1`);
    }
    return Number(v);
  }

  /** A BE64 count of items of at least `itemBytes` each, checked against the bound and the input. */
  count(field: string, max: number, itemBytes: number): number {
    const n = this.u64(field);
    if (n > BigInt(max)) {
      throw new LegacyDecodeError('TOO_MANY_ITEMS', `${this.what}: ${field} ${n} exceeds ${max}`);
    }
    if (n * BigInt(itemBytes) > BigInt(this.remaining())) {
      throw new LegacyDecodeError('TRUNCATED', `${this.what}: ${field} ${n} exceeds the remaining input`);
    }
    return Number(n);
  }

  /** A BE64 byte length of a framed part, checked against the input. */
  length(field: string): number {
    const n = this.u64(field);
    if (n > BigInt(this.remaining())) {
      throw new LegacyDecodeError('TRUNCATED', `${this.what}: ${field} ${n} exceeds the remaining input`);
    }
    return Number(n);
  }

  end(): void {
    if (this.remaining() !== 0) {
      throw new LegacyDecodeError(
        'TRAILING_BYTES',
        `${this.what}: ${this.remaining()} bytes after the value`,
      );
    }
  }
}

/** How a legacy container reads the parts it frames. */
export interface LegacyPartDecoders {
  singleSignature(bytes: Uint8Array): SingleSignature;
  registrationEntry(bytes: Uint8Array): RegistrationEntry;
  signatureWithRegisteredParty(bytes: Uint8Array): SignatureWithRegisteredParty;
  merkleBatchPath(bytes: Uint8Array): MerkleBatchPath;
  concatenationProof(bytes: Uint8Array): ConcatenationProof;
}

export function parametersFromLegacyBytes(bytes: Uint8Array): StmParameters {
  const c = new Cursor(bytes, 'legacy parameters');
  const m = c.safeUint('m');
  const k = c.safeUint('k');
  const phi = c.take(U64_BYTES, 'phi_f');
  c.end();
  const phiF = new DataView(phi.buffer, phi.byteOffset, U64_BYTES).getFloat64(0);
  if (!Number.isFinite(phiF)) {
    throw new LegacyDecodeError('OUT_OF_RANGE', 'legacy parameters: phi_f is not finite');
  }
  return { m, k, phiF };
}

export function singleSignatureFromLegacyBytes(bytes: Uint8Array): SingleSignature {
  const c = new Cursor(bytes, 'legacy single signature');
  const n = c.count('number of indexes', MAX_LOTTERY_INDEXES, U64_BYTES);
  const indexes: number[] = [];
  for (let i = 0; i < n; i++) indexes.push(c.safeUint(`index ${i}`));
  const sigma = c.take(SIGMA_BYTES, 'sigma').slice();
  const signerIndex = c.safeUint('signer index');
  c.end();
  return { sigma, indexes, signerIndex };
}

export function registrationEntryFromLegacyBytes(bytes: Uint8Array): RegistrationEntry {
  const c = new Cursor(bytes, 'legacy registration entry');
  const vk = c.take(VK_BYTES, 'verification key').slice();
  const stake = c.u64('stake');
  c.end();
  return { vk, stake };
}

export function signatureWithRegisteredPartyFromLegacyBytes(
  bytes: Uint8Array,
  parts: LegacyPartDecoders = LEGACY_PARTS,
): SignatureWithRegisteredParty {
  const c = new Cursor(bytes, 'legacy signature with registered party');
  const entry = parts.registrationEntry(c.take(c.length('registration entry length'), 'registration entry'));
  const sig = parts.singleSignature(c.take(c.length('signature length'), 'signature'));
  c.end();
  return { sig, entry };
}

export function merkleBatchPathFromLegacyBytes(bytes: Uint8Array): MerkleBatchPath {
  const c = new Cursor(bytes, 'legacy batch path');
  const lenV = c.count('number of values', MAX_BATCH_PATH_VALUES, HASH_BYTES);
  const lenI = c.count('number of indices', MAX_SIGNERS, U64_BYTES);
  const values: Uint8Array[] = [];
  for (let i = 0; i < lenV; i++) values.push(c.take(HASH_BYTES, `value ${i}`).slice());
  const indices: number[] = [];
  for (let i = 0; i < lenI; i++) indices.push(c.safeUint(`index ${i}`));
  c.end();
  return { values, indices };
}

export function merkleCommitmentFromLegacyBytes(bytes: Uint8Array): MerkleCommitment {
  const c = new Cursor(bytes, 'legacy Merkle commitment');
  const nrLeaves = c.safeUint('number of leaves');
  if (nrLeaves > MAX_SIGNERS) {
    throw new LegacyDecodeError(
      'OUT_OF_RANGE',
      `legacy Merkle commitment: ${nrLeaves} leaves exceed ${MAX_SIGNERS}`,
    );
  }
  const root = c.take(HASH_BYTES, 'root').slice();
  c.end();
  return { root, nrLeaves };
}

/** Commitment part of a legacy AVK: BE64 nr_leaves ‖ root. */
const LEGACY_COMMITMENT_BYTES = U64_BYTES + HASH_BYTES;

export function avkFromLegacyBytes(bytes: Uint8Array): AggregateVerificationKey {
  const c = new Cursor(bytes, 'legacy aggregate verification key');
  const mtCommitment = merkleCommitmentFromLegacyBytes(c.take(LEGACY_COMMITMENT_BYTES, 'commitment'));
  const totalStake = c.u64('total stake');
  c.end();
  return { mtCommitment, totalStake };
}

export function concatenationProofFromLegacyBytes(
  bytes: Uint8Array,
  parts: LegacyPartDecoders = LEGACY_PARTS,
): ConcatenationProof {
  const c = new Cursor(bytes, 'legacy concatenation proof');
  const n = c.count('number of signatures', MAX_SIGNERS, U64_BYTES);
  const signatures: SignatureWithRegisteredParty[] = [];
  for (let i = 0; i < n; i++) {
    signatures.push(
      parts.signatureWithRegisteredParty(c.take(c.length(`signature ${i} length`), `signature ${i}`)),
    );
  }
  return { signatures, batchProof: parts.merkleBatchPath(c.rest()) };
}

/** Only the concatenation proof system is supported; SNARK and IVC proofs are rejected. */
export function aggregateSignatureFromLegacyBytes(
  bytes: Uint8Array,
  parts: LegacyPartDecoders = LEGACY_PARTS,
): ConcatenationProof {
  const c = new Cursor(bytes, 'legacy aggregate signature');
  const type = c.take(1, 'type byte')[0]!;
  if (type === AGGREGATE_SIGNATURE_TYPE_SNARK || type === AGGREGATE_SIGNATURE_TYPE_IVC_SNARK) {
    throw new LegacyDecodeError(
      'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
      `aggregate signature type ${type} (SNARK/IVC) is not supported`,
    );
  }
  if (type !== AGGREGATE_SIGNATURE_TYPE_CONCATENATION) {
    throw new LegacyDecodeError(
      'INVALID_AGGREGATE_SIGNATURE_TYPE',
      `unknown aggregate signature type ${type}`,
    );
  }
  return parts.concatenationProof(c.rest());
}

/** Every framed part read in the legacy layout. */
export const LEGACY_PARTS: LegacyPartDecoders = {
  singleSignature: singleSignatureFromLegacyBytes,
  registrationEntry: registrationEntryFromLegacyBytes,
  signatureWithRegisteredParty: (bytes) => signatureWithRegisteredPartyFromLegacyBytes(bytes),
  merkleBatchPath: merkleBatchPathFromLegacyBytes,
  concatenationProof: (bytes) => concatenationProofFromLegacyBytes(bytes),
};
