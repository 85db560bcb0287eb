/**
 * Mithril certificates (mithril-common `entities/{certificate,certificate_metadata}.rs`,
 * `messages/certificate.rs`, `messages/message_parts/certificate_metadata.rs`).
 *
 * Two levels, as in the reference:
 * - `CertificateMessage`: the JSON exchanged with aggregators. Keys and signatures stay encoded
 *   strings; timestamps, parameters, signed entity type and protocol message are typed. JSON
 *   text in serde_json's compact form re-encodes byte for byte.
 * - `Certificate`: keys and signatures decoded. Its hash (`computeCertificateHash`) re-encodes
 *   the AVK and the multi-signature to JSON-hex first, exactly like `try_compute_hash`, so a
 *   certificate whose strings were not serde_json's own output still hashes like in Rust.
 *
 * SNARK-era fields (`aggregate_verification_key_snark`, `ancillary_prover_data`,
 * `ancillary_verifier_data`, `genesis_schnorr_signature`) are tolerated: kept and re-emitted,
 * never interpreted. Only the ancillary data enter the hash; they are hashed as the bytes their
 * hex decodes to, which equals the reference's CBOR re-encoding whenever that re-encoding is
 * canonical (those types have no variant without the `future_snark` feature).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { ED25519_SIGNATURE_BYTES } from '../cardano/ed25519.ts';
import type { JsonObject, JsonValue } from '../codec/json.ts';
import {
  expectArray,
  expectByteArray,
  expectField,
  expectObject,
  expectSafeUint,
  expectString,
  expectU64,
  parseJson,
  stringifyJson,
} from '../codec/json.ts';
import {
  avkFromJsonHex,
  avkToJsonHex,
  jsonFromHex,
  multiSignatureFromJsonHex,
  multiSignatureToJsonHex,
} from '../codec/json-hex.ts';
import { bytesToHex, hexToBytes, i64BE, u64BE, utf8 } from '../encoding/bytes.ts';
import { DecodeError, ProtocolError } from '../errors.ts';
import { ProtocolMessage } from '../message/protocol-message.ts';
import type { ProtocolParameters } from '../message/protocol-parameters.ts';
import {
  computeProtocolParametersHash,
  protocolParametersFromJson,
  protocolParametersToJson,
} from '../message/protocol-parameters.ts';
import type { SignedEntityType } from '../message/signed-entity-type.ts';
import {
  signedEntityTypeFeedHash,
  signedEntityTypeFromJson,
  signedEntityTypeToJson,
} from '../message/signed-entity-type.ts';
import type { AggregateVerificationKey, ConcatenationProof } from '../stm/types.ts';
import { formatRfc3339, parseRfc3339, timestampNanosForHash } from './time.ts';

export class CertificateDecodeError extends DecodeError {}

/** `PROTOCOL_VERSION` of mithril-common (`crypto_helper/mod.rs`), written into every certificate. */
export const PROTOCOL_VERSION = '0.1.0';

export interface StakeDistributionParty {
  partyId: string;
  /** u64 lovelace. */
  stake: bigint;
}

export interface CertificateMetadata {
  network: string;
  /** JSON `version`. */
  protocolVersion: string;
  /** JSON `parameters`. */
  protocolParameters: ProtocolParameters;
  /** Nanoseconds since the Unix epoch. */
  initiatedAt: bigint;
  sealedAt: bigint;
  signers: StakeDistributionParty[];
}

export type CertificateSignature =
  | { type: 'genesis'; signature: Uint8Array }
  | { type: 'multi'; signedEntityType: SignedEntityType; multiSignature: ConcatenationProof };

export interface Certificate {
  hash: string;
  previousHash: string;
  epoch: number;
  metadata: CertificateMetadata;
  protocolMessage: ProtocolMessage;
  /** Hex SHA-256 of the protocol message: what the signers signed (as ASCII). */
  signedMessage: string;
  aggregateVerificationKey: AggregateVerificationKey;
  signature: CertificateSignature;
  ancillaryProverData?: Uint8Array;
  ancillaryVerifierData?: Uint8Array;
  /** Kept verbatim; not hashed (SNARK era). */
  aggregateVerificationKeySnark?: string;
  /** Kept verbatim; not hashed (dual genesis of the SNARK era). */
  genesisSchnorrSignature?: string;
}

export interface CertificateMessage {
  hash: string;
  previousHash: string;
  epoch: number;
  signedEntityType: SignedEntityType;
  metadata: CertificateMetadata;
  protocolMessage: ProtocolMessage;
  signedMessage: string;
  aggregateVerificationKey: string;
  aggregateVerificationKeySnark?: string;
  ancillaryProverData?: string;
  ancillaryVerifierData?: string;
  /** JSON-hex multi-signature, "" for genesis certificates. */
  multiSignature: string;
  /** Hex Ed25519 signature, "" for standard certificates. */
  genesisSignature: string;
  genesisSchnorrSignature?: string;
}

// ---- hashes ----

/** hex SHA-256(party_id ‖ BE64 stake). */
export function computeStakeDistributionPartyHash(party: StakeDistributionParty): string {
  return bytesToHex(sha256.create().update(utf8(party.partyId)).update(u64BE(party.stake, 'stake')).digest());
}

/**
 * hex SHA-256(network ‖ version ‖ parameters hash (hex text) ‖ BE i64 initiated_at ns ‖
 * BE i64 sealed_at ns ‖ Σ party hashes (hex text)).
 */
export function computeMetadataHash(metadata: CertificateMetadata): string {
  const hasher = sha256
    .create()
    .update(utf8(metadata.network))
    .update(utf8(metadata.protocolVersion))
    .update(utf8(computeProtocolParametersHash(metadata.protocolParameters)))
    .update(i64BE(timestampNanosForHash(metadata.initiatedAt)))
    .update(i64BE(timestampNanosForHash(metadata.sealedAt)));
  for (const party of metadata.signers) hasher.update(utf8(computeStakeDistributionPartyHash(party)));
  return bytesToHex(hasher.digest());
}

export function isGenesisCertificate(certificate: Certificate): boolean {
  return certificate.signature.type === 'genesis';
}

/** The signed entity type; a genesis certificate stands for MithrilStakeDistribution(epoch). */
export function certificateSignedEntityType(certificate: Certificate): SignedEntityType {
  return certificate.signature.type === 'multi'
    ? certificate.signature.signedEntityType
    : { type: 'MithrilStakeDistribution', epoch: certificate.epoch };
}

/**
 * `Certificate::try_compute_hash`: hex SHA-256 over previous_hash ‖ BE64 epoch ‖ metadata hash ‖
 * protocol message hash ‖ signed_message ‖ AVK JSON-hex ‖ [standard: feed_hash(signed entity
 * type)] ‖ signature (multi-signature JSON-hex, or genesis signature hex) ‖ [ancillary bytes].
 */
export function computeCertificateHash(certificate: Certificate): string {
  const { signature } = certificate;
  const hasher = sha256
    .create()
    .update(utf8(certificate.previousHash))
    .update(u64BE(certificate.epoch, 'epoch'))
    .update(utf8(computeMetadataHash(certificate.metadata)))
    .update(utf8(certificate.protocolMessage.computeHash()))
    .update(utf8(certificate.signedMessage))
    .update(utf8(avkToJsonHex(certificate.aggregateVerificationKey)));
  if (signature.type === 'multi') {
    hasher.update(signedEntityTypeFeedHash(signature.signedEntityType));
    hasher.update(utf8(multiSignatureToJsonHex(signature.multiSignature)));
  } else {
    hasher.update(utf8(bytesToHex(signature.signature)));
  }
  if (certificate.ancillaryProverData !== undefined) hasher.update(certificate.ancillaryProverData);
  if (certificate.ancillaryVerifierData !== undefined) hasher.update(certificate.ancillaryVerifierData);
  return bytesToHex(hasher.digest());
}

export type CertificateFields = Omit<Certificate, 'hash' | 'signedMessage'>;

/** `Certificate::try_new`: signed_message = hash of the protocol message, then the hash. */
export function buildCertificate(fields: CertificateFields): Certificate {
  const certificate: Certificate = {
    ...fields,
    hash: '',
    signedMessage: fields.protocolMessage.computeHash(),
  };
  certificate.hash = computeCertificateHash(certificate);
  return certificate;
}

// ---- JSON: metadata ----

export function certificateMetadataToJson(metadata: CertificateMetadata): JsonObject {
  return {
    network: metadata.network,
    version: metadata.protocolVersion,
    parameters: protocolParametersToJson(metadata.protocolParameters),
    initiated_at: formatRfc3339(metadata.initiatedAt),
    sealed_at: formatRfc3339(metadata.sealedAt),
    signers: metadata.signers.map((s) => ({ party_id: s.partyId, stake: s.stake })),
  };
}

export function certificateMetadataFromJson(
  value: JsonValue | undefined,
  what = 'metadata',
): CertificateMetadata {
  const obj = expectObject(value, what);
  const field = (key: string): JsonValue => expectField(obj, key, what);
  const signers = expectArray(field('signers'), `${what}.signers`).map((v, i) => {
    const at = `${what}.signers[${i}]`;
    const party = expectObject(v, at);
    return {
      partyId: expectString(expectField(party, 'party_id', at), `${at}.party_id`),
      stake: expectU64(expectField(party, 'stake', at), `${at}.stake`),
    };
  });
  return {
    network: expectString(field('network'), `${what}.network`),
    protocolVersion: expectString(field('version'), `${what}.version`),
    protocolParameters: protocolParametersFromJson(field('parameters'), `${what}.parameters`),
    initiatedAt: parseRfc3339(expectString(field('initiated_at'), `${what}.initiated_at`)),
    sealedAt: parseRfc3339(expectString(field('sealed_at'), `${what}.sealed_at`)),
    signers,
  };
}

// ---- JSON: CertificateMessage ----

const has = (obj: JsonObject, key: string): boolean => Object.prototype.hasOwnProperty.call(obj, key);

/** Field order of the serde struct; optional fields are skipped when absent. */
export function certificateMessageToJson(message: CertificateMessage): JsonObject {
  const out: JsonObject = {
    hash: message.hash,
    previous_hash: message.previousHash,
    epoch: BigInt(message.epoch),
    signed_entity_type: signedEntityTypeToJson(message.signedEntityType),
    metadata: certificateMetadataToJson(message.metadata),
    protocol_message: message.protocolMessage.toJson(),
    signed_message: message.signedMessage,
    aggregate_verification_key: message.aggregateVerificationKey,
  };
  if (message.aggregateVerificationKeySnark !== undefined) {
    out['aggregate_verification_key_snark'] = message.aggregateVerificationKeySnark;
  }
  if (message.ancillaryProverData !== undefined) out['ancillary_prover_data'] = message.ancillaryProverData;
  if (message.ancillaryVerifierData !== undefined)
    out['ancillary_verifier_data'] = message.ancillaryVerifierData;
  out['multi_signature'] = message.multiSignature;
  out['genesis_signature'] = message.genesisSignature;
  // serde skips it when empty.
  if (message.genesisSchnorrSignature !== undefined && message.genesisSchnorrSignature !== '') {
    out['genesis_schnorr_signature'] = message.genesisSchnorrSignature;
  }
  return out;
}

/** Decodes a CertificateMessage; unknown fields are ignored, as serde does. */
export function certificateMessageFromJson(
  value: JsonValue | undefined,
  what = 'certificate',
): CertificateMessage {
  const obj = expectObject(value, what);
  const field = (key: string): JsonValue => expectField(obj, key, what);
  const str = (key: string): string => expectString(field(key), `${what}.${key}`);
  const optional = (key: string): string | undefined =>
    has(obj, key) && obj[key] !== null ? expectString(obj[key], `${what}.${key}`) : undefined;
  const message: CertificateMessage = {
    hash: str('hash'),
    previousHash: str('previous_hash'),
    epoch: expectSafeUint(field('epoch'), `${what}.epoch`),
    signedEntityType: signedEntityTypeFromJson(field('signed_entity_type'), `${what}.signed_entity_type`),
    metadata: certificateMetadataFromJson(field('metadata'), `${what}.metadata`),
    protocolMessage: ProtocolMessage.fromJson(field('protocol_message'), `${what}.protocol_message`),
    signedMessage: str('signed_message'),
    aggregateVerificationKey: str('aggregate_verification_key'),
    multiSignature: str('multi_signature'),
    genesisSignature: str('genesis_signature'),
  };
  const snarkAvk = optional('aggregate_verification_key_snark');
  if (snarkAvk !== undefined) message.aggregateVerificationKeySnark = snarkAvk;
  const prover = optional('ancillary_prover_data');
  if (prover !== undefined) message.ancillaryProverData = prover;
  const verifier = optional('ancillary_verifier_data');
  if (verifier !== undefined) message.ancillaryVerifierData = verifier;
  const schnorr = optional('genesis_schnorr_signature');
  if (schnorr !== undefined && schnorr !== '') message.genesisSchnorrSignature = schnorr;
  return message;
}

export function parseCertificateMessage(text: string): CertificateMessage {
  return certificateMessageFromJson(parseJson(text));
}

export function stringifyCertificateMessage(message: CertificateMessage): string {
  return stringifyJson(certificateMessageToJson(message));
}

// ---- CertificateMessage ↔ Certificate ----

function decodeWith<T>(code: string, what: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new CertificateDecodeError(code, `cannot decode the ${what}: ${e.message}`, { cause: e });
  }
}

/**
 * `Ed25519Signature` decoding (`ProtocolKey` with the bytes-hex codec first): 64 raw bytes in
 * hex, else JSON-hex of the 64-byte array.
 */
function decodeGenesisSignature(hex: string): Uint8Array {
  try {
    return hexToBytes(hex, ED25519_SIGNATURE_BYTES, 'genesis signature');
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return expectByteArray(
      jsonFromHex(hex, 'genesis signature'),
      'genesis signature',
      ED25519_SIGNATURE_BYTES,
    );
  }
}

function decodeHexData(hex: string, what: string): Uint8Array {
  return decodeWith('INVALID_ANCILLARY_DATA', what, () => hexToBytes(hex, undefined, what));
}

/**
 * A genesis message's `signed_entity_type` and `multi_signature` are not hashed, so the
 * reference ignores them; we reject values it never writes (MithrilStakeDistribution(epoch) and
 * "") so that no byte of a certificate can change unnoticed.
 */
function decodeGenesisMessageSignature(message: CertificateMessage): CertificateSignature {
  const signature = decodeWith('INVALID_GENESIS_SIGNATURE', 'genesis signature', () =>
    decodeGenesisSignature(message.genesisSignature),
  );
  const entity = message.signedEntityType;
  if (entity.type !== 'MithrilStakeDistribution' || entity.epoch !== message.epoch) {
    throw new CertificateDecodeError(
      'INCONSISTENT_GENESIS',
      `a genesis certificate of epoch ${message.epoch} must have signed_entity_type MithrilStakeDistribution(${message.epoch})`,
    );
  }
  if (message.multiSignature !== '') {
    throw new CertificateDecodeError(
      'INCONSISTENT_GENESIS',
      'a genesis certificate has an empty multi_signature',
    );
  }
  return { type: 'genesis', signature };
}

/**
 * `TryFrom<CertificateMessage> for Certificate`: a non-empty `genesis_signature` makes a genesis
 * certificate (its signed entity type is then implied), otherwise the multi-signature is decoded.
 */
export function certificateFromMessage(message: CertificateMessage): Certificate {
  const aggregateVerificationKey = decodeWith(
    'INVALID_AGGREGATE_VERIFICATION_KEY',
    'aggregate verification key',
    () => avkFromJsonHex(message.aggregateVerificationKey),
  );
  const signature: CertificateSignature =
    message.genesisSignature === ''
      ? {
          type: 'multi',
          signedEntityType: message.signedEntityType,
          multiSignature: decodeWith('INVALID_MULTI_SIGNATURE', 'multi-signature', () =>
            multiSignatureFromJsonHex(message.multiSignature),
          ),
        }
      : decodeGenesisMessageSignature(message);
  const certificate: Certificate = {
    hash: message.hash,
    previousHash: message.previousHash,
    epoch: message.epoch,
    metadata: message.metadata,
    protocolMessage: message.protocolMessage,
    signedMessage: message.signedMessage,
    aggregateVerificationKey,
    signature,
  };
  if (message.ancillaryProverData !== undefined) {
    certificate.ancillaryProverData = decodeHexData(message.ancillaryProverData, 'ancillary prover data');
  }
  if (message.ancillaryVerifierData !== undefined) {
    certificate.ancillaryVerifierData = decodeHexData(
      message.ancillaryVerifierData,
      'ancillary verifier data',
    );
  }
  if (message.aggregateVerificationKeySnark !== undefined) {
    certificate.aggregateVerificationKeySnark = message.aggregateVerificationKeySnark;
  }
  if (message.genesisSchnorrSignature !== undefined) {
    certificate.genesisSchnorrSignature = message.genesisSchnorrSignature;
  }
  return certificate;
}

/** `TryFrom<Certificate> for CertificateMessage`: keys and signatures re-encoded canonically. */
export function certificateToMessage(certificate: Certificate): CertificateMessage {
  const { signature } = certificate;
  const message: CertificateMessage = {
    hash: certificate.hash,
    previousHash: certificate.previousHash,
    epoch: certificate.epoch,
    signedEntityType: certificateSignedEntityType(certificate),
    metadata: certificate.metadata,
    protocolMessage: certificate.protocolMessage,
    signedMessage: certificate.signedMessage,
    aggregateVerificationKey: avkToJsonHex(certificate.aggregateVerificationKey),
    multiSignature: signature.type === 'multi' ? multiSignatureToJsonHex(signature.multiSignature) : '',
    genesisSignature: signature.type === 'genesis' ? bytesToHex(signature.signature) : '',
  };
  if (certificate.aggregateVerificationKeySnark !== undefined) {
    message.aggregateVerificationKeySnark = certificate.aggregateVerificationKeySnark;
  }
  if (certificate.ancillaryProverData !== undefined) {
    message.ancillaryProverData = bytesToHex(certificate.ancillaryProverData);
  }
  if (certificate.ancillaryVerifierData !== undefined) {
    message.ancillaryVerifierData = bytesToHex(certificate.ancillaryVerifierData);
  }
  if (certificate.genesisSchnorrSignature !== undefined) {
    message.genesisSchnorrSignature = certificate.genesisSchnorrSignature;
  }
  return message;
}

/** Parses the JSON of a CertificateMessage and decodes its keys and signatures. */
export function parseCertificate(text: string): Certificate {
  return certificateFromMessage(parseCertificateMessage(text));
}

export function certificateFromJson(value: JsonValue): Certificate {
  return certificateFromMessage(certificateMessageFromJson(value));
}

export function stringifyCertificate(certificate: Certificate): string {
  return stringifyCertificateMessage(certificateToMessage(certificate));
}
