/**
 * The reference's `to_bytes` / `from_bytes` of the STM types (mithril-stm `codec.rs`, CODEC.md).
 *
 * `to_bytes` = 0x01 ‖ ciborium(serde value), byte-identical to the reference goldens. Shapes:
 * - Parameters {m, k, phi_f}; SingleSignature as an indefinite-length map (serde `flatten`)
 *   {sigma, indexes, signer_index}; MerkleBatchPath {values, indices, hasher: null};
 *   MerkleTreeBatchCommitment {root, nr_leaves, hasher: null}; AVK {mt_commitment, total_stake}.
 * - Envelopes whose byte fields hold the inner type's own `to_bytes`, as arrays of uints:
 *   ClosedRegistrationEntry {verification_key_bytes, stake}; SingleSignatureWithRegisteredParty
 *   {signature_bytes, registration_entry_bytes}; ConcatenationProof {signature_bytes: [[…]…],
 *   batch_proof_bytes}; AggregateSignature {signature_type, proof_bytes}.
 *
 * `from_bytes` dispatches on the first byte: 0x01 → CBOR, anything else → legacy (legacy-bytes.ts).
 * AggregateSignature's legacy SNARK type byte is also 0x01, so it tries CBOR first and falls back
 * to legacy, as the reference does. Unknown map keys are skipped (ciborium's forward
 * compatibility, which makes re-encoding lossy), so `future_snark` encodings decode without their
 * SNARK fields.
 *
 * The raw 192-byte vk ‖ PoP (`VerificationKeyProofOfPossession::to_bytes`, what the KES key signs
 * at registration) lives here too.
 */
import { DecodeError } from '../errors.ts';
import { concatBytes } from '../encoding/bytes.ts';
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
import type { CborValue } from './cbor.ts';
import {
  byteArrayCbor,
  CborDecodeError,
  CborMap,
  cborField,
  cborFields,
  decodeCbor,
  DEFAULT_CBOR_LIMITS,
  encodeCbor,
  expectCborArray,
  expectCborByteArray,
  expectCborFiniteFloat,
  expectCborNull,
  expectCborSafeUint,
  expectCborU64,
} from './cbor.ts';
import type { LegacyPartDecoders } from './legacy-bytes.ts';
import {
  AGGREGATE_SIGNATURE_TYPE_CONCATENATION,
  aggregateSignatureFromLegacyBytes,
  avkFromLegacyBytes,
  concatenationProofFromLegacyBytes,
  LegacyDecodeError,
  merkleBatchPathFromLegacyBytes,
  merkleCommitmentFromLegacyBytes,
  parametersFromLegacyBytes,
  registrationEntryFromLegacyBytes,
  signatureWithRegisteredPartyFromLegacyBytes,
  singleSignatureFromLegacyBytes,
} from './legacy-bytes.ts';
import {
  checkAvk,
  checkConcatenationProof,
  checkMerkleBatchPath,
  checkMerkleCommitment,
  checkParameters,
  checkRegistrationEntry,
  checkSignatureWithRegisteredParty,
  checkSingleSignature,
  checkVkPop,
  HASH_BYTES,
  MAX_BATCH_PATH_VALUES,
  MAX_LOTTERY_INDEXES,
  MAX_SIGNERS,
  POP_BYTES,
  SIGMA_BYTES,
  VK_BYTES,
} from './shape.ts';

/** `codec::CODEC_VERSION_CBOR_V1`, the first byte of every CBOR-encoded value. */
export const CODEC_VERSION_CBOR_V1 = 0x01;

/** A nested `to_bytes` field is bounded by the input it came from. */
const MAX_NESTED_BYTES = DEFAULT_CBOR_LIMITS.maxLength;

/** `codec::has_cbor_v1_prefix`: the dispatch test of every `from_bytes`. */
export function hasCborV1Prefix(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes[0] === CODEC_VERSION_CBOR_V1;
}

function versioned(value: CborValue): Uint8Array {
  return concatBytes(Uint8Array.of(CODEC_VERSION_CBOR_V1), encodeCbor(value));
}

/** The CBOR item after the version byte (callers have checked the prefix). */
const cborPayload = (bytes: Uint8Array): CborValue => decodeCbor(bytes.subarray(1));

const uintsCbor = (list: number[]): bigint[] => list.map((n) => BigInt(n));

function expectUintList(v: CborValue, what: string, max: number): number[] {
  return expectCborArray(v, what, max).map((x, i) => expectCborSafeUint(x, `${what}[${i}]`));
}

// ---- Parameters {m, k, phi_f} ----

export function parametersToBytes(p: StmParameters): Uint8Array {
  checkParameters(p);
  return versioned(
    new CborMap([
      ['m', BigInt(p.m)],
      ['k', BigInt(p.k)],
      ['phi_f', p.phiF],
    ]),
  );
}

function parametersFromCbor(bytes: Uint8Array): StmParameters {
  const f = cborFields(cborPayload(bytes), 'parameters');
  return {
    m: expectCborSafeUint(cborField(f, 'm', 'parameters'), 'parameters.m'),
    k: expectCborSafeUint(cborField(f, 'k', 'parameters'), 'parameters.k'),
    phiF: expectCborFiniteFloat(cborField(f, 'phi_f', 'parameters'), 'parameters.phi_f'),
  };
}

export function parametersFromBytes(bytes: Uint8Array): StmParameters {
  return hasCborV1Prefix(bytes) ? parametersFromCbor(bytes) : parametersFromLegacyBytes(bytes);
}

// ---- SingleSignature: indefinite map {sigma, indexes, signer_index} ----

export function singleSignatureToBytes(s: SingleSignature): Uint8Array {
  checkSingleSignature(s);
  return versioned(
    new CborMap(
      [
        ['sigma', byteArrayCbor(s.sigma)],
        ['indexes', uintsCbor(s.indexes)],
        ['signer_index', BigInt(s.signerIndex)],
      ],
      true,
    ),
  );
}

function singleSignatureFromCbor(bytes: Uint8Array): SingleSignature {
  const f = cborFields(cborPayload(bytes), 'single signature');
  return {
    sigma: expectCborByteArray(cborField(f, 'sigma', 'single signature'), 'sigma', SIGMA_BYTES, SIGMA_BYTES),
    indexes: expectUintList(cborField(f, 'indexes', 'single signature'), 'indexes', MAX_LOTTERY_INDEXES),
    signerIndex: expectCborSafeUint(cborField(f, 'signer_index', 'single signature'), 'signer_index'),
  };
}

export function singleSignatureFromBytes(bytes: Uint8Array): SingleSignature {
  return hasCborV1Prefix(bytes) ? singleSignatureFromCbor(bytes) : singleSignatureFromLegacyBytes(bytes);
}

// ---- ClosedRegistrationEntry envelope {verification_key_bytes, stake} ----

export function registrationEntryToBytes(e: RegistrationEntry): Uint8Array {
  checkRegistrationEntry(e);
  return versioned(
    new CborMap([
      ['verification_key_bytes', byteArrayCbor(e.vk)],
      ['stake', e.stake],
    ]),
  );
}

function registrationEntryFromCbor(bytes: Uint8Array): RegistrationEntry {
  const f = cborFields(cborPayload(bytes), 'registration entry');
  return {
    vk: expectCborByteArray(
      cborField(f, 'verification_key_bytes', 'registration entry'),
      'verification_key_bytes',
      VK_BYTES,
      VK_BYTES,
    ),
    stake: expectCborU64(cborField(f, 'stake', 'registration entry'), 'stake'),
  };
}

export function registrationEntryFromBytes(bytes: Uint8Array): RegistrationEntry {
  return hasCborV1Prefix(bytes) ? registrationEntryFromCbor(bytes) : registrationEntryFromLegacyBytes(bytes);
}

// ---- SingleSignatureWithRegisteredParty envelope {signature_bytes, registration_entry_bytes} ----

export function signatureWithRegisteredPartyToBytes(s: SignatureWithRegisteredParty): Uint8Array {
  checkSignatureWithRegisteredParty(s);
  return versioned(
    new CborMap([
      ['signature_bytes', byteArrayCbor(singleSignatureToBytes(s.sig))],
      ['registration_entry_bytes', byteArrayCbor(registrationEntryToBytes(s.entry))],
    ]),
  );
}

function signatureWithRegisteredPartyFromCbor(bytes: Uint8Array): SignatureWithRegisteredParty {
  const what = 'signature with registered party';
  const f = cborFields(cborPayload(bytes), what);
  const sig = expectCborByteArray(cborField(f, 'signature_bytes', what), 'signature_bytes', MAX_NESTED_BYTES);
  const entry = expectCborByteArray(
    cborField(f, 'registration_entry_bytes', what),
    'registration_entry_bytes',
    MAX_NESTED_BYTES,
  );
  return { sig: singleSignatureFromBytes(sig), entry: registrationEntryFromBytes(entry) };
}

export function signatureWithRegisteredPartyFromBytes(bytes: Uint8Array): SignatureWithRegisteredParty {
  return hasCborV1Prefix(bytes)
    ? signatureWithRegisteredPartyFromCbor(bytes)
    : signatureWithRegisteredPartyFromLegacyBytes(bytes, VERSIONED_PARTS);
}

// ---- MerkleBatchPath {values, indices, hasher: null} ----

export function merkleBatchPathToBytes(p: MerkleBatchPath): Uint8Array {
  checkMerkleBatchPath(p);
  return versioned(
    new CborMap([
      ['values', p.values.map(byteArrayCbor)],
      ['indices', uintsCbor(p.indices)],
      ['hasher', null],
    ]),
  );
}

function merkleBatchPathFromCbor(bytes: Uint8Array): MerkleBatchPath {
  const f = cborFields(cborPayload(bytes), 'batch path');
  const values = expectCborArray(
    cborField(f, 'values', 'batch path'),
    'batch path values',
    MAX_BATCH_PATH_VALUES,
  );
  const indices = expectUintList(cborField(f, 'indices', 'batch path'), 'batch path indices', MAX_SIGNERS);
  expectCborNull(cborField(f, 'hasher', 'batch path'), 'batch path hasher');
  return {
    values: values.map((v, i) => expectCborByteArray(v, `batch path values[${i}]`, HASH_BYTES, HASH_BYTES)),
    indices,
  };
}

export function merkleBatchPathFromBytes(bytes: Uint8Array): MerkleBatchPath {
  return hasCborV1Prefix(bytes) ? merkleBatchPathFromCbor(bytes) : merkleBatchPathFromLegacyBytes(bytes);
}

// ---- MerkleTreeBatchCommitment {root, nr_leaves, hasher: null} ----

function merkleCommitmentCbor(c: MerkleCommitment): CborMap {
  return new CborMap([
    ['root', byteArrayCbor(c.root)],
    ['nr_leaves', BigInt(c.nrLeaves)],
    ['hasher', null],
  ]);
}

function merkleCommitmentFromCborValue(v: CborValue): MerkleCommitment {
  const f = cborFields(v, 'Merkle commitment');
  const nrLeaves = expectCborSafeUint(cborField(f, 'nr_leaves', 'Merkle commitment'), 'nr_leaves');
  if (nrLeaves > MAX_SIGNERS) {
    throw new CborDecodeError('OUT_OF_RANGE', `nr_leaves ${nrLeaves} exceeds ${MAX_SIGNERS}`);
  }
  expectCborNull(cborField(f, 'hasher', 'Merkle commitment'), 'Merkle commitment hasher');
  return {
    root: expectCborByteArray(cborField(f, 'root', 'Merkle commitment'), 'root', HASH_BYTES, HASH_BYTES),
    nrLeaves,
  };
}

export function merkleCommitmentToBytes(c: MerkleCommitment): Uint8Array {
  checkMerkleCommitment(c);
  return versioned(merkleCommitmentCbor(c));
}

export function merkleCommitmentFromBytes(bytes: Uint8Array): MerkleCommitment {
  return hasCborV1Prefix(bytes)
    ? merkleCommitmentFromCborValue(cborPayload(bytes))
    : merkleCommitmentFromLegacyBytes(bytes);
}

// ---- AggregateVerificationKeyForConcatenation {mt_commitment, total_stake} ----

export function avkToBytes(a: AggregateVerificationKey): Uint8Array {
  checkAvk(a);
  return versioned(
    new CborMap([
      ['mt_commitment', merkleCommitmentCbor(a.mtCommitment)],
      ['total_stake', a.totalStake],
    ]),
  );
}

function avkFromCbor(bytes: Uint8Array): AggregateVerificationKey {
  const what = 'aggregate verification key';
  const f = cborFields(cborPayload(bytes), what);
  return {
    mtCommitment: merkleCommitmentFromCborValue(cborField(f, 'mt_commitment', what)),
    totalStake: expectCborU64(cborField(f, 'total_stake', what), 'total_stake'),
  };
}

export function avkFromBytes(bytes: Uint8Array): AggregateVerificationKey {
  return hasCborV1Prefix(bytes) ? avkFromCbor(bytes) : avkFromLegacyBytes(bytes);
}

// ---- ConcatenationProof envelope {signature_bytes: [[…]…], batch_proof_bytes} ----

export function concatenationProofToBytes(p: ConcatenationProof): Uint8Array {
  checkConcatenationProof(p);
  return versioned(
    new CborMap([
      ['signature_bytes', p.signatures.map((s) => byteArrayCbor(signatureWithRegisteredPartyToBytes(s)))],
      ['batch_proof_bytes', byteArrayCbor(merkleBatchPathToBytes(p.batchProof))],
    ]),
  );
}

function concatenationProofFromCbor(bytes: Uint8Array): ConcatenationProof {
  const what = 'concatenation proof';
  const f = cborFields(cborPayload(bytes), what);
  const signatures = expectCborArray(cborField(f, 'signature_bytes', what), 'signature_bytes', MAX_SIGNERS);
  const batch = expectCborByteArray(
    cborField(f, 'batch_proof_bytes', what),
    'batch_proof_bytes',
    MAX_NESTED_BYTES,
  );
  return {
    signatures: signatures.map((s, i) =>
      signatureWithRegisteredPartyFromBytes(
        expectCborByteArray(s, `signature_bytes[${i}]`, MAX_NESTED_BYTES),
      ),
    ),
    batchProof: merkleBatchPathFromBytes(batch),
  };
}

export function concatenationProofFromBytes(bytes: Uint8Array): ConcatenationProof {
  return hasCborV1Prefix(bytes)
    ? concatenationProofFromCbor(bytes)
    : concatenationProofFromLegacyBytes(bytes, VERSIONED_PARTS);
}

// ---- AggregateSignature envelope {signature_type, proof_bytes}; concatenation only ----

export function aggregateSignatureToBytes(p: ConcatenationProof): Uint8Array {
  return versioned(
    new CborMap([
      ['signature_type', BigInt(AGGREGATE_SIGNATURE_TYPE_CONCATENATION)],
      ['proof_bytes', byteArrayCbor(concatenationProofToBytes(p))],
    ]),
  );
}

function aggregateSignatureFromCbor(bytes: Uint8Array): ConcatenationProof {
  const what = 'aggregate signature';
  const f = cborFields(cborPayload(bytes), what);
  const type = expectCborU64(cborField(f, 'signature_type', what), 'signature_type');
  const proof = expectCborByteArray(cborField(f, 'proof_bytes', what), 'proof_bytes', MAX_NESTED_BYTES);
  if (type !== BigInt(AGGREGATE_SIGNATURE_TYPE_CONCATENATION)) {
    throw new CborDecodeError(
      'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
      `aggregate signature type ${type} is not supported (concatenation only)`,
    );
  }
  return concatenationProofFromBytes(proof);
}

/** Try CBOR, then legacy (whose SNARK type byte is also 0x01); on double failure report both. */
export function aggregateSignatureFromBytes(bytes: Uint8Array): ConcatenationProof {
  if (!hasCborV1Prefix(bytes)) return aggregateSignatureFromLegacyBytes(bytes, VERSIONED_PARTS);
  try {
    return aggregateSignatureFromCbor(bytes);
  } catch (cborError) {
    if (!(cborError instanceof DecodeError)) throw cborError;
    try {
      return aggregateSignatureFromLegacyBytes(bytes, VERSIONED_PARTS);
    } catch (legacyError) {
      if (!(legacyError instanceof DecodeError)) throw legacyError;
      const message = `${legacyError.message}; as CBOR v1: ${cborError.message}`;
      throw new LegacyDecodeError(legacyError.code, message, { cause: cborError });
    }
  }
}

/** Parts framed by a legacy container, read through the versioned dispatch as the reference does. */
export const VERSIONED_PARTS: LegacyPartDecoders = {
  singleSignature: singleSignatureFromBytes,
  registrationEntry: registrationEntryFromBytes,
  signatureWithRegisteredParty: signatureWithRegisteredPartyFromBytes,
  merkleBatchPath: merkleBatchPathFromBytes,
  concatenationProof: concatenationProofFromBytes,
};

// ---- VerificationKeyProofOfPossession raw bytes: vk (96) ‖ k1 (48) ‖ k2 (48) ----

/** Raw vk ‖ PoP length. */
export const VK_POP_BYTES = VK_BYTES + POP_BYTES;

export function vkPopToBytes(v: VerificationKeyPoP): Uint8Array {
  checkVkPop(v);
  return concatBytes(v.vk, v.pop);
}

/** Exactly 192 bytes (the reference ignores bytes past the PoP; we do not). */
export function vkPopFromBytes(bytes: Uint8Array): VerificationKeyPoP {
  if (!(bytes instanceof Uint8Array) || bytes.length !== VK_POP_BYTES) {
    throw new LegacyDecodeError('INVALID_LENGTH', `vk ‖ PoP must be ${VK_POP_BYTES} bytes`);
  }
  return { vk: bytes.slice(0, VK_BYTES), pop: bytes.slice(VK_BYTES) };
}
