/**
 * cardano-cli text envelopes `{"type","description","cborHex"}` for the key files a signer
 * needs: the pool's cold keys, its KES keys and its operational certificate (`node.cert`).
 * The reference (`SerDeShelleyFileFormat` in mithril-common `crypto_helper/cardano/codec.rs`)
 * reads only `cborHex`; here the `type` is checked too so a swapped file fails loudly.
 */
import type { JsonObject } from '../codec/json.ts';
import { expectField, expectObject, expectString, parseJson } from '../codec/json.ts';
import { DecodeError } from '../errors.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../encoding/bytes.ts';
import { CborDecodeError, decodeCbor, encodeCbor } from '../codec/cbor.ts';
import { ED25519_PUBLIC_KEY_BYTES, ED25519_SECRET_KEY_BYTES, assertEd25519PublicKey } from './ed25519.ts';
import {
  KES_PUBLIC_KEY_BYTES,
  KES_SECRET_KEY_BYTES,
  KES_SECRET_KEY_WITH_PERIOD_BYTES,
  kesSecretKeyFromBytes,
  kesSecretKeyToBytes,
} from './kes.ts';
import type { KesSecretKey } from './kes.ts';
import type { OpCert } from './opcert.ts';
import { opCertFromCbor, opCertToCbor } from './opcert.ts';

export class TextEnvelopeError extends DecodeError {}

export interface TextEnvelope {
  type: string;
  description: string;
  cborHex: string;
}

/** `type` and `description` strings as cardano-cli (and the reference, for KES and opcert) write them. */
export const TEXT_ENVELOPE_KINDS = {
  coldSigningKey: { type: 'StakePoolSigningKey_ed25519', description: 'Stake Pool Operator Signing Key' },
  coldVerificationKey: {
    type: 'StakePoolVerificationKey_ed25519',
    description: 'Stake Pool Operator Verification Key',
  },
  kesSigningKey: { type: 'KesSigningKey_ed25519_kes_2^6', description: 'KES Signing Key' },
  kesVerificationKey: { type: 'KesVerificationKey_ed25519_kes_2^6', description: 'KES Verification Key' },
  operationalCertificate: { type: 'NodeOperationalCertificate', description: '' },
} as const;

type EnvelopeKind = (typeof TEXT_ENVELOPE_KINDS)[keyof typeof TEXT_ENVELOPE_KINDS];

/** Parse the envelope JSON: the three fields must be strings, other fields are ignored (serde). */
export function parseTextEnvelope(text: string): TextEnvelope {
  const obj: JsonObject = expectObject(parseJson(text), 'text envelope');
  return {
    type: expectString(expectField(obj, 'type', 'text envelope'), 'text envelope type'),
    description: expectString(expectField(obj, 'description', 'text envelope'), 'text envelope description'),
    cborHex: expectString(expectField(obj, 'cborHex', 'text envelope'), 'text envelope cborHex'),
  };
}

/** cardano-cli's layout: 4-space indented JSON and a final newline. */
export function formatTextEnvelope(envelope: TextEnvelope): string {
  return (
    '{\n' +
    `    "type": ${JSON.stringify(envelope.type)},\n` +
    `    "description": ${JSON.stringify(envelope.description)},\n` +
    `    "cborHex": ${JSON.stringify(envelope.cborHex)}\n` +
    '}\n'
  );
}

function readPayload(text: string, kind: EnvelopeKind): Uint8Array {
  const envelope = parseTextEnvelope(text);
  if (envelope.type !== kind.type) {
    throw new TextEnvelopeError(
      'WRONG_TYPE',
      `text envelope type is "${envelope.type}", expected "${kind.type}"`,
    );
  }
  return hexToBytes(envelope.cborHex, undefined, `${kind.type} cborHex`);
}

function writePayload(kind: EnvelopeKind, cbor: Uint8Array): string {
  return formatTextEnvelope({ type: kind.type, description: kind.description, cborHex: bytesToHex(cbor) });
}

/** The payload of a key envelope: one CBOR byte string of one of the allowed `lengths`. */
function readByteString(text: string, kind: EnvelopeKind, lengths: readonly number[]): Uint8Array {
  const bytes = decodeCbor(readPayload(text, kind));
  if (!(bytes instanceof Uint8Array)) {
    throw new CborDecodeError('INVALID_FIELD', `${kind.type} cborHex must hold one CBOR byte string`);
  }
  if (!lengths.includes(bytes.length)) {
    throw new TextEnvelopeError(
      'INVALID_LENGTH',
      `${kind.type} holds ${bytes.length} bytes, expected ${lengths.join(' or ')}`,
    );
  }
  return bytes;
}

/** The cold secret key: the 32-byte Ed25519 seed. */
export function readColdSigningKey(text: string): Uint8Array {
  return readByteString(text, TEXT_ENVELOPE_KINDS.coldSigningKey, [ED25519_SECRET_KEY_BYTES]);
}

export function writeColdSigningKey(secretKey: Uint8Array): string {
  if (secretKey.length !== ED25519_SECRET_KEY_BYTES) {
    throw new TextEnvelopeError(
      'INVALID_LENGTH',
      `cold signing key must be ${ED25519_SECRET_KEY_BYTES} bytes`,
    );
  }
  return writePayload(TEXT_ENVELOPE_KINDS.coldSigningKey, encodeCbor(secretKey));
}

export function readColdVerificationKey(text: string): Uint8Array {
  const vk = readByteString(text, TEXT_ENVELOPE_KINDS.coldVerificationKey, [ED25519_PUBLIC_KEY_BYTES]);
  assertEd25519PublicKey(vk, 'cold verification key');
  return vk;
}

export function writeColdVerificationKey(publicKey: Uint8Array): string {
  assertEd25519PublicKey(publicKey, 'cold verification key');
  return writePayload(TEXT_ENVELOPE_KINDS.coldVerificationKey, encodeCbor(publicKey));
}

/**
 * A KES signing key. cardano-cli stores the raw 608-byte key, implicitly at period 0; the
 * reference's own writer stores the 612-byte form with the period (`Sum6KesBytes::from_file`
 * accepts both). Both are accepted.
 */
export function readKesSigningKey(text: string): KesSecretKey {
  const bytes = readByteString(text, TEXT_ENVELOPE_KINDS.kesSigningKey, [
    KES_SECRET_KEY_BYTES,
    KES_SECRET_KEY_WITH_PERIOD_BYTES,
  ]);
  // Append period 0 (a zero BE u32) to the cardano-cli form, as the reference does.
  const withPeriod =
    bytes.length === KES_SECRET_KEY_BYTES
      ? concatBytes(bytes, new Uint8Array(KES_SECRET_KEY_WITH_PERIOD_BYTES - KES_SECRET_KEY_BYTES))
      : bytes;
  const key = kesSecretKeyFromBytes(withPeriod);
  bytes.fill(0);
  withPeriod.fill(0);
  return key;
}

/**
 * Writes the 608-byte cardano-cli form at period 0 (readable by cardano-node too) and the
 * 612-byte form otherwise, so an evolved key keeps its period.
 */
export function writeKesSigningKey(secretKey: KesSecretKey): string {
  const bytes = kesSecretKeyToBytes(secretKey);
  const payload = secretKey.period === 0 ? bytes.subarray(0, KES_SECRET_KEY_BYTES) : bytes;
  const text = writePayload(TEXT_ENVELOPE_KINDS.kesSigningKey, encodeCbor(payload));
  bytes.fill(0);
  return text;
}

export function readKesVerificationKey(text: string): Uint8Array {
  return readByteString(text, TEXT_ENVELOPE_KINDS.kesVerificationKey, [KES_PUBLIC_KEY_BYTES]);
}

export function writeKesVerificationKey(publicKey: Uint8Array): string {
  if (publicKey.length !== KES_PUBLIC_KEY_BYTES) {
    throw new TextEnvelopeError(
      'INVALID_LENGTH',
      `KES verification key must be ${KES_PUBLIC_KEY_BYTES} bytes`,
    );
  }
  return writePayload(TEXT_ENVELOPE_KINDS.kesVerificationKey, encodeCbor(publicKey));
}

/** `node.cert`: CBOR `[[kes_vk, issue_number, start_kes_period, sig], cold_vk]`. */
export function readOperationalCertificate(text: string): OpCert {
  return opCertFromCbor(readPayload(text, TEXT_ENVELOPE_KINDS.operationalCertificate));
}

export function writeOperationalCertificate(opCert: OpCert): string {
  return writePayload(TEXT_ENVELOPE_KINDS.operationalCertificate, opCertToCbor(opCert));
}
