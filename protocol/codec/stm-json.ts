/**
 * serde-JSON shapes of the STM types, as mithril-stm derives them (field order = Rust declaration
 * order, which `stringifyJson` keeps): the JSON inside every JSON-hex string of the reference.
 *
 * Decoding follows serde's derived `Deserialize` for the shapes the reference emits: unknown object
 * keys are ignored (a `future_snark` signature's `"snark_signature"` among them), duplicate keys
 * are rejected by the parser, `PhantomData` fields (`"hasher"`) must be present and `null`.
 * Deliberately stricter than serde: byte vectors must have their cryptographic length (Merkle
 * roots and siblings 32 bytes), structs are accepted only in the object or tuple form the reference
 * writes (serde would also take a struct as a JSON array), and counts are bounded (see shape.ts).
 */
import type { JsonObject, JsonValue } from './json.ts';
import {
  byteArrayJson,
  expectArray,
  expectByteArray,
  expectF64,
  expectField,
  expectObject,
  expectSafeUint,
  expectU64,
  JsonDecodeError,
} from './json.ts';
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

function expectNull(obj: JsonObject, key: string, what: string): void {
  if (expectField(obj, key, what) !== null) {
    throw new JsonDecodeError('INVALID_FIELD', `${what}.${key} must be null`);
  }
}

function expectTuple(v: JsonValue, length: number, what: string): JsonValue[] {
  const arr = expectArray(v, what);
  if (arr.length !== length) {
    throw new JsonDecodeError('INVALID_LENGTH', `${what} has ${arr.length} elements, expected ${length}`);
  }
  return arr;
}

function expectUintList(v: JsonValue | undefined, what: string, max: number): number[] {
  return expectArray(v, what, max).map((x, i) => expectSafeUint(x, `${what}[${i}]`));
}

const uintListJson = (list: number[]): JsonValue[] => list.map((n) => BigInt(n));

// ---- Parameters {"m","k","phi_f"} (mithril-stm protocol/parameters.rs) ----

export function parametersToJson(p: StmParameters): JsonObject {
  checkParameters(p);
  return { m: BigInt(p.m), k: BigInt(p.k), phi_f: p.phiF };
}

export function parametersFromJson(v: JsonValue): StmParameters {
  const o = expectObject(v, 'parameters');
  const phiF = expectF64(expectField(o, 'phi_f', 'parameters'), 'parameters.phi_f');
  // A huge integer literal reads as an infinite f64.
  if (!Number.isFinite(phiF)) throw new JsonDecodeError('OUT_OF_RANGE', 'parameters.phi_f is not finite');
  return {
    m: expectSafeUint(expectField(o, 'm', 'parameters'), 'parameters.m'),
    k: expectSafeUint(expectField(o, 'k', 'parameters'), 'parameters.k'),
    phiF,
  };
}

// ---- VerificationKeyProofOfPossession {"vk":[96],"pop":[96]} (bls_multi_signature) ----

export function vkPopToJson(v: VerificationKeyPoP): JsonObject {
  checkVkPop(v);
  return { vk: byteArrayJson(v.vk), pop: byteArrayJson(v.pop) };
}

export function vkPopFromJson(v: JsonValue): VerificationKeyPoP {
  const o = expectObject(v, 'verification key');
  return {
    vk: expectByteArray(expectField(o, 'vk', 'verification key'), 'vk', VK_BYTES),
    pop: expectByteArray(expectField(o, 'pop', 'verification key'), 'pop', POP_BYTES),
  };
}

// ---- SingleSignature {"sigma":[48],"indexes":[…],"signer_index":n} (flattened struct) ----

export function singleSignatureToJson(s: SingleSignature): JsonObject {
  checkSingleSignature(s);
  return {
    sigma: byteArrayJson(s.sigma),
    indexes: uintListJson(s.indexes),
    signer_index: BigInt(s.signerIndex),
  };
}

export function singleSignatureFromJson(v: JsonValue): SingleSignature {
  const o = expectObject(v, 'single signature');
  return {
    sigma: expectByteArray(expectField(o, 'sigma', 'single signature'), 'sigma', SIGMA_BYTES),
    indexes: expectUintList(expectField(o, 'indexes', 'single signature'), 'indexes', MAX_LOTTERY_INDEXES),
    signerIndex: expectSafeUint(expectField(o, 'signer_index', 'single signature'), 'signer_index'),
  };
}

// ---- ClosedRegistrationEntry / Merkle leaf: the tuple [[96], stake] ----

export function registrationEntryToJson(e: RegistrationEntry): JsonValue[] {
  checkRegistrationEntry(e);
  return [byteArrayJson(e.vk), e.stake];
}

/** Exactly two elements: the four-element `future_snark` form is what a default reference build rejects. */
export function registrationEntryFromJson(v: JsonValue): RegistrationEntry {
  const [vk, stake] = expectTuple(v, 2, 'registration entry');
  return {
    vk: expectByteArray(vk, 'registration entry vk', VK_BYTES),
    stake: expectU64(stake, 'registration entry stake'),
  };
}

// ---- SingleSignatureWithRegisteredParty: the tuple [SingleSignature, entry] ----

export function signatureWithRegisteredPartyToJson(s: SignatureWithRegisteredParty): JsonValue[] {
  checkSignatureWithRegisteredParty(s);
  return [singleSignatureToJson(s.sig), registrationEntryToJson(s.entry)];
}

export function signatureWithRegisteredPartyFromJson(v: JsonValue): SignatureWithRegisteredParty {
  const [sig, entry] = expectTuple(v, 2, 'signature with registered party');
  return { sig: singleSignatureFromJson(sig!), entry: registrationEntryFromJson(entry!) };
}

// ---- MerkleTreeBatchCommitment {"root":[32],"nr_leaves":n,"hasher":null} ----

export function merkleCommitmentToJson(c: MerkleCommitment): JsonObject {
  checkMerkleCommitment(c);
  return { root: byteArrayJson(c.root), nr_leaves: BigInt(c.nrLeaves), hasher: null };
}

export function merkleCommitmentFromJson(v: JsonValue): MerkleCommitment {
  const o = expectObject(v, 'Merkle commitment');
  const nrLeaves = expectSafeUint(expectField(o, 'nr_leaves', 'Merkle commitment'), 'nr_leaves');
  if (nrLeaves > MAX_SIGNERS) {
    throw new JsonDecodeError('OUT_OF_RANGE', `nr_leaves ${nrLeaves} exceeds ${MAX_SIGNERS}`);
  }
  expectNull(o, 'hasher', 'Merkle commitment');
  return { root: expectByteArray(expectField(o, 'root', 'Merkle commitment'), 'root', HASH_BYTES), nrLeaves };
}

// ---- MerkleBatchPath {"values":[[32],…],"indices":[…],"hasher":null} ----

export function merkleBatchPathToJson(p: MerkleBatchPath): JsonObject {
  checkMerkleBatchPath(p);
  return { values: p.values.map(byteArrayJson), indices: uintListJson(p.indices), hasher: null };
}

export function merkleBatchPathFromJson(v: JsonValue): MerkleBatchPath {
  const o = expectObject(v, 'batch path');
  const values = expectArray(
    expectField(o, 'values', 'batch path'),
    'batch path values',
    MAX_BATCH_PATH_VALUES,
  );
  const indices = expectUintList(expectField(o, 'indices', 'batch path'), 'batch path indices', MAX_SIGNERS);
  expectNull(o, 'hasher', 'batch path');
  return { values: values.map((x, i) => expectByteArray(x, `batch path values[${i}]`, HASH_BYTES)), indices };
}

// ---- AggregateVerificationKeyForConcatenation {"mt_commitment":{…},"total_stake":S} ----

export function avkToJson(a: AggregateVerificationKey): JsonObject {
  checkAvk(a);
  return { mt_commitment: merkleCommitmentToJson(a.mtCommitment), total_stake: a.totalStake };
}

export function avkFromJson(v: JsonValue): AggregateVerificationKey {
  const o = expectObject(v, 'aggregate verification key');
  return {
    mtCommitment: merkleCommitmentFromJson(expectField(o, 'mt_commitment', 'aggregate verification key')),
    totalStake: expectU64(expectField(o, 'total_stake', 'aggregate verification key'), 'total_stake'),
  };
}

// ---- ConcatenationProof = AggregateSignature::Concatenation (untagged, same JSON) ----

export function concatenationProofToJson(p: ConcatenationProof): JsonObject {
  checkConcatenationProof(p);
  return {
    signatures: p.signatures.map(signatureWithRegisteredPartyToJson),
    batch_proof: merkleBatchPathToJson(p.batchProof),
  };
}

/** The other `AggregateSignature` variants are externally tagged in JSON. */
const TAGGED_AGGREGATE_VARIANTS = ['Snark', 'IvcSnark'];

export function concatenationProofFromJson(v: JsonValue): ConcatenationProof {
  const o = expectObject(v, 'multi-signature');
  for (const tag of TAGGED_AGGREGATE_VARIANTS) {
    if (Object.prototype.hasOwnProperty.call(o, tag)) {
      throw new JsonDecodeError(
        'UNSUPPORTED_AGGREGATE_SIGNATURE_TYPE',
        `${tag} aggregate signatures are not supported`,
      );
    }
  }
  const signatures = expectArray(expectField(o, 'signatures', 'multi-signature'), 'signatures', MAX_SIGNERS);
  return {
    signatures: signatures.map(signatureWithRegisteredPartyFromJson),
    batchProof: merkleBatchPathFromJson(expectField(o, 'batch_proof', 'multi-signature')),
  };
}
