/**
 * Signer key certification (spec §4): a pool proves that a Mithril BLS key is its own by
 * KES-signing the 192-byte `vk ‖ PoP` with the KES key its operational certificate certifies.
 * Reference: mithril-common `crypto_helper/cardano/key_certification.rs` (`KeyRegWrapper::register`),
 * `kes/verifier_standard.rs`, `kes/signer_with_key.rs`, and the aggregator's
 * `MithrilSignerRegistrationVerifier` (which recomputes the KES evolutions from its own chain view).
 */
import type { BlsBackend } from '../crypto/bls/backend.ts';
import type { JsonObject, JsonValue } from '../codec/json.ts';
import {
  expectField,
  expectObject,
  expectString,
  expectU64,
  parseJson,
  stringifyJson,
} from '../codec/json.ts';
import { DecodeError, VerificationError } from '../errors.ts';
import { U64_MAX, concatBytes, equalBytes } from '../encoding/bytes.ts';
import type { VerificationKeyPoP } from '../stm/types.ts';
import {
  KES_MAX_PERIOD,
  KES_PERIODS,
  KesError,
  kesCloneSecretKey,
  kesPublicKey,
  kesSign,
  kesUpdate,
  kesVerify,
} from './kes.ts';
import type { KesSecretKey } from './kes.ts';
import type { OpCert } from './opcert.ts';
import { verifyOpCert } from './opcert.ts';
import { poolIdFromColdVerificationKey, poolIdHashFromColdVerificationKey } from './pool-id.ts';

/** A registration that fails certification. Codes: OPCERT_INVALID, KES_PERIOD_OUT_OF_RANGE,
 * KES_SIGNATURE_INVALID, VK_INVALID, POP_INVALID. */
export class KeyCertificationError extends VerificationError {}

/** The BLS checks certification needs, injected so any backend can serve. */
export type KeyCertificationBls = Pick<BlsBackend, 'validateVerificationKey' | 'verifyProofOfPossession'>;

/** BLS G2 verification key and k1 ‖ k2 proof of possession: 96 bytes each (mithril-stm). */
const BLS_VK_BYTES = 96;
const BLS_POP_BYTES = 96;
/** `KesVerifierStandard` accepts the signature one period either side, for clock skew. */
const KES_EVOLUTION_TOLERANCE = 1n;
/** …and clamps the tries to at most 64, the number of Sum6 periods. */
const KES_EVOLUTION_TRY_MAX = BigInt(KES_PERIODS);

function checkU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new DecodeError('OUT_OF_RANGE', `${what} must be a u64 bigint`);
  }
}

/** The signed message: `VerificationKeyProofOfPossession::to_bytes()` = vk ‖ pop, 192 bytes. */
export function registrationMessage(vkPop: VerificationKeyPoP): Uint8Array {
  if (vkPop.vk.length !== BLS_VK_BYTES || vkPop.pop.length !== BLS_POP_BYTES) {
    throw new DecodeError('INVALID_LENGTH', `vk and PoP must be ${BLS_VK_BYTES} and ${BLS_POP_BYTES} bytes`);
  }
  return concatBytes(vkPop.vk, vkPop.pop);
}

/** `KesPeriod − KesPeriod`: evolutions since the opcert's start, saturating at 0 as the reference. */
export function kesEvolutions(currentKesPeriod: bigint, startKesPeriod: bigint): bigint {
  checkU64(currentKesPeriod, 'current KES period');
  checkU64(startKesPeriod, 'start KES period');
  return currentKesPeriod > startKesPeriod ? currentKesPeriod - startKesPeriod : 0n;
}

export interface SignedRegistration {
  /** Sum6 signature over `vk ‖ PoP`, 448 bytes. */
  kesSignature: Uint8Array;
  /** The evolution signed at, sent as the message's `kes_period`. */
  kesEvolutions: bigint;
}

/**
 * Signer side (`KesSignerStandard::sign`): evolve a copy of the KES key to
 * `currentKesPeriod − opCert.startKesPeriod` and sign `vk ‖ PoP`. The caller's key is not
 * modified; the evolved copy is wiped. Throws `KesError` with KES_PERIOD_MISMATCH when the opcert
 * starts after `currentKesPeriod` or the key is already past the target evolution,
 * KES_KEY_MISMATCH when the key is not the opcert's, KEY_EXHAUSTED past evolution 63.
 */
export function signRegistration(params: {
  vkPop: VerificationKeyPoP;
  kesSecretKey: KesSecretKey;
  opCert: OpCert;
  currentKesPeriod: bigint;
}): SignedRegistration {
  const { vkPop, kesSecretKey, opCert, currentKesPeriod } = params;
  const message = registrationMessage(vkPop);
  checkU64(currentKesPeriod, 'current KES period');
  if (opCert.startKesPeriod > currentKesPeriod) {
    throw new KesError(
      'KES_PERIOD_MISMATCH',
      `opcert starts at KES period ${opCert.startKesPeriod}, after the current ${currentKesPeriod}`,
    );
  }
  const evolutions = currentKesPeriod - opCert.startKesPeriod;
  if (evolutions > BigInt(KES_MAX_PERIOD)) {
    throw new KesError('KEY_EXHAUSTED', `KES key cannot be evolved to ${evolutions} (max ${KES_MAX_PERIOD})`);
  }
  if (!equalBytes(kesPublicKey(kesSecretKey), opCert.kesVk)) {
    throw new KesError('KES_KEY_MISMATCH', 'the KES secret key is not the one the opcert certifies');
  }
  if (BigInt(kesSecretKey.period) > evolutions) {
    throw new KesError(
      'KES_PERIOD_MISMATCH',
      `KES key is at period ${kesSecretKey.period}, past the target evolution ${evolutions}`,
    );
  }
  const key = kesCloneSecretKey(kesSecretKey);
  try {
    while (BigInt(key.period) < evolutions) kesUpdate(key);
    return { kesSignature: kesSign(key, message), kesEvolutions: evolutions };
  } finally {
    key.wipe();
  }
}

/** The aggregator recomputes evolutions from its chain view; peers rebuilding a registration
 * from epoch settings use the declared `kes_period` (evolutions). */
export type KesTiming = { currentKesPeriod: bigint } | { kesEvolutions: bigint };

export type RegistrationToVerify = {
  vkPop: VerificationKeyPoP;
  kesSignature: Uint8Array;
  opCert: OpCert;
  bls: KeyCertificationBls;
} & KesTiming;

export interface VerifiedRegistration {
  /** bech32 pool id derived from the opcert's cold key; any declared party id is not trusted. */
  partyId: string;
  /** BLAKE2b-224 of the cold key, 28 bytes. */
  poolIdHash: Uint8Array;
  /** The evolutions the check was centred on. */
  kesEvolutions: bigint;
  /** The evolution (within ±1) at which the KES signature verified. */
  verifiedEvolution: number;
}

/**
 * `KeyRegWrapper::register` minus the stake lookup and duplicate checks (the caller's):
 * 1. the opcert's cold-key signature verifies;
 * 2. the KES signature over `vk ‖ PoP` verifies against `opCert.kesVk` for some evolution in
 *    `e−1 ..= e+1`, clamped to [0, 64], where e is the evolutions given or recomputed;
 * 3. party id = bech32("pool", BLAKE2b-224(cold_vk));
 * 4. the BLS key is valid and its proof of possession verifies.
 * Throws `KeyCertificationError` on the first failed check, `DecodeError` on malformed inputs.
 */
export function verifyRegistration(params: RegistrationToVerify): VerifiedRegistration {
  const verified = verifyRegistrationSignatures(params);
  const { vkPop, bls } = params;
  let popValid: boolean;
  try {
    popValid = bls.verifyProofOfPossession(vkPop.vk, vkPop.pop);
  } catch (cause) {
    throw new KeyCertificationError('POP_INVALID', 'proof of possession is malformed', { cause });
  }
  if (!popValid) throw new KeyCertificationError('POP_INVALID', 'proof of possession does not verify');
  return verified;
}

/**
 * Steps 1 to 3 of `verifyRegistration` and the BLS key's validity: the signatures that tie the
 * key to the pool (cold key → opcert → KES key → vk ‖ PoP), without the proof of possession, for
 * callers that check proofs in batches (`verifyProofsOfPossession`). Same errors.
 */
export function verifyRegistrationSignatures(params: RegistrationToVerify): VerifiedRegistration {
  const { vkPop, kesSignature, opCert, bls } = params;
  const message = registrationMessage(vkPop);
  if (!verifyOpCert(opCert)) {
    throw new KeyCertificationError('OPCERT_INVALID', 'operational certificate signature is invalid');
  }
  const evolutions =
    'currentKesPeriod' in params
      ? kesEvolutions(params.currentKesPeriod, opCert.startKesPeriod)
      : params.kesEvolutions;
  checkU64(evolutions, 'KES evolutions');
  const first = evolutions > KES_EVOLUTION_TOLERANCE ? evolutions - KES_EVOLUTION_TOLERANCE : 0n;
  const last =
    evolutions + KES_EVOLUTION_TOLERANCE < KES_EVOLUTION_TRY_MAX
      ? evolutions + KES_EVOLUTION_TOLERANCE
      : KES_EVOLUTION_TRY_MAX;
  if (first > last) {
    throw new KeyCertificationError(
      'KES_PERIOD_OUT_OF_RANGE',
      `KES evolutions ${evolutions} (opcert start ${opCert.startKesPeriod}) are beyond the key's lifetime`,
    );
  }
  let verifiedEvolution: number | undefined;
  for (let t = Number(first); t <= Number(last) && verifiedEvolution === undefined; t++) {
    if (kesVerify(opCert.kesVk, t, message, kesSignature)) verifiedEvolution = t;
  }
  if (verifiedEvolution === undefined) {
    throw new KeyCertificationError(
      'KES_SIGNATURE_INVALID',
      `KES signature does not verify at evolutions ${first}..=${last} (opcert start ${opCert.startKesPeriod})`,
    );
  }
  const poolIdHash = poolIdHashFromColdVerificationKey(opCert.coldVk);
  try {
    bls.validateVerificationKey(vkPop.vk);
  } catch (cause) {
    throw new KeyCertificationError('VK_INVALID', 'BLS verification key is invalid', { cause });
  }
  return {
    partyId: poolIdFromColdVerificationKey(opCert.coldVk),
    poolIdHash,
    kesEvolutions: evolutions,
    verifiedEvolution,
  };
}

/** `RegisterSignerMessage` (mithril-common `messages/register_signer.rs`), spec §5.2. */
export interface RegisterSignerMessage {
  epoch: bigint;
  /** Declared pool id; the aggregator derives its own from the opcert. */
  partyId: string;
  /** JSON-hex of vk + PoP. */
  verificationKey: string;
  /** JSON-hex Sum6 KES signature. */
  verificationKeySignature?: string;
  /** JSON-hex operational certificate. */
  operationalCertificate?: string;
  /** KES evolutions at signing time, despite the field name `kes_period`. */
  kesPeriod?: bigint;
  /** SNARK-era fields (`future_snark`), carried through when present. */
  verificationKeyForSnark?: string;
  verificationKeySignatureForSnark?: string;
}

/** serde `Option`: an absent field or `null` is `None`. */
function optional<T>(
  obj: JsonObject,
  key: string,
  read: (value: JsonValue, what: string) => T,
): T | undefined {
  if (!Object.prototype.hasOwnProperty.call(obj, key) || obj[key] === null) return undefined;
  return read(obj[key]!, `RegisterSignerMessage.${key}`);
}

export function registerSignerMessageFromJsonValue(value: JsonValue): RegisterSignerMessage {
  const what = 'RegisterSignerMessage';
  const obj = expectObject(value, what);
  const message: RegisterSignerMessage = {
    epoch: expectU64(expectField(obj, 'epoch', what), `${what}.epoch`),
    partyId: expectString(expectField(obj, 'party_id', what), `${what}.party_id`),
    verificationKey: expectString(expectField(obj, 'verification_key', what), `${what}.verification_key`),
  };
  const signature = optional(obj, 'verification_key_signature', expectString);
  if (signature !== undefined) message.verificationKeySignature = signature;
  const opCert = optional(obj, 'operational_certificate', expectString);
  if (opCert !== undefined) message.operationalCertificate = opCert;
  const kesPeriod = optional(obj, 'kes_period', expectU64);
  if (kesPeriod !== undefined) message.kesPeriod = kesPeriod;
  const snarkVk = optional(obj, 'verification_key_for_snark', expectString);
  if (snarkVk !== undefined) message.verificationKeyForSnark = snarkVk;
  const snarkSignature = optional(obj, 'verification_key_signature_for_snark', expectString);
  if (snarkSignature !== undefined) message.verificationKeySignatureForSnark = snarkSignature;
  return message;
}

/** Parse the JSON body; unknown fields are ignored, as serde does. */
export function registerSignerMessageFromJson(text: string): RegisterSignerMessage {
  return registerSignerMessageFromJsonValue(parseJson(text));
}

/** Compact JSON in the reference's field order, optional fields omitted when absent. */
export function registerSignerMessageToJson(message: RegisterSignerMessage): string {
  checkU64(message.epoch, 'epoch');
  const obj: JsonObject = {
    epoch: message.epoch,
    party_id: message.partyId,
    verification_key: message.verificationKey,
  };
  if (message.verificationKeySignature !== undefined) {
    obj.verification_key_signature = message.verificationKeySignature;
  }
  if (message.operationalCertificate !== undefined)
    obj.operational_certificate = message.operationalCertificate;
  if (message.kesPeriod !== undefined) {
    checkU64(message.kesPeriod, 'kes_period');
    obj.kes_period = message.kesPeriod;
  }
  if (message.verificationKeyForSnark !== undefined) {
    obj.verification_key_for_snark = message.verificationKeyForSnark;
  }
  if (message.verificationKeySignatureForSnark !== undefined) {
    obj.verification_key_signature_for_snark = message.verificationKeySignatureForSnark;
  }
  return stringifyJson(obj);
}
