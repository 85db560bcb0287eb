/**
 * Cardano operational certificates as the reference handles them
 * (mithril-common `crypto_helper/cardano/opcert.rs`): the cold key's Ed25519 signature over
 * `kes_vk ‖ BE64(issue_number) ‖ BE64(start_kes_period)`, binding a KES key to a pool.
 *
 * Encodings (all serde of `RawOpCert((kes_vk, issue_number, start_kes_period, sig), cold_vk)`):
 * - JSON `[[[kes_vk 32],issue_number,start_kes_period,[sig 64]],[cold_vk 32]]`, and its JSON-hex;
 * - CBOR `[[bstr kes_vk, uint, uint, bstr sig], bstr cold_vk]`, the cardano-cli `node.cert`
 *   payload and the bytes-hex fallback of the JSON-hex decoder;
 * - CBOR of the certificate without the cold key, `[bstr, uint, uint, bstr]`.
 */
import type { JsonValue } from '../codec/json.ts';
import { byteArrayJson, expectArray, expectByteArray, expectU64 } from '../codec/json.ts';
import { DecodeError } from '../errors.ts';
import { concatBytes, u64BE } from '../encoding/bytes.ts';
import type { CborValue } from '../codec/cbor.ts';
import { CborDecodeError, decodeCbor, encodeCbor, expectCborArray, expectCborU64 } from '../codec/cbor.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  assertEd25519PublicKey,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
} from './ed25519.ts';
import { KES_PUBLIC_KEY_BYTES } from './kes.ts';
import { jsonToHex } from '../codec/json-hex.ts';
import { decodeProtocolKey } from '../codec/json-hex.ts';

export class OpCertDecodeError extends DecodeError {}

export interface OpCert {
  /** Sum6 KES public key, 32 bytes. */
  kesVk: Uint8Array;
  /** u64 counter; the reference does not compare it with the on-chain counter. */
  issueNumber: bigint;
  /** u64 absolute KES period at which the KES key starts (its period 0). */
  startKesPeriod: bigint;
  /** Ed25519 signature by the cold key, 64 bytes. */
  signature: Uint8Array;
  /** Ed25519 cold verification key, 32 bytes (a valid curve point). */
  coldVk: Uint8Array;
}

/** `RawOpCert` is a 2-tuple, `RawOpCertWithoutColdVerificationKey` a 4-tuple. */
const OPCERT_ITEMS = 2;
const OPCERT_BODY_ITEMS = 4;

/** `compute_message_to_sign`: kes_vk ‖ BE64(issue_number) ‖ BE64(start_kes_period), 48 bytes. */
export function opCertSigningPayload(
  kesVk: Uint8Array,
  issueNumber: bigint,
  startKesPeriod: bigint,
): Uint8Array {
  if (kesVk.length !== KES_PUBLIC_KEY_BYTES) {
    throw new OpCertDecodeError(
      'INVALID_LENGTH',
      `KES verification key must be ${KES_PUBLIC_KEY_BYTES} bytes`,
    );
  }
  return concatBytes(kesVk, u64BE(issueNumber, 'issue number'), u64BE(startKesPeriod, 'start KES period'));
}

/** `OpCert::new`: sign with the cold secret key (a 32-byte Ed25519 seed). */
export function createOpCert(params: {
  kesVk: Uint8Array;
  issueNumber: bigint;
  startKesPeriod: bigint;
  coldSecretKey: Uint8Array;
}): OpCert {
  const { kesVk, issueNumber, startKesPeriod, coldSecretKey } = params;
  const payload = opCertSigningPayload(kesVk, issueNumber, startKesPeriod);
  return {
    kesVk: Uint8Array.from(kesVk),
    issueNumber,
    startKesPeriod,
    signature: ed25519Sign(coldSecretKey, payload),
    coldVk: ed25519PublicKey(coldSecretKey),
  };
}

/** `OpCert::validate`: strict Ed25519 verification of the cold key's signature. */
export function verifyOpCert(opCert: OpCert): boolean {
  const payload = opCertSigningPayload(opCert.kesVk, opCert.issueNumber, opCert.startKesPeriod);
  return ed25519Verify(opCert.coldVk, payload, opCert.signature);
}

/** Field checks shared by every decoder (the reference's `from_bytes`/`from_slice` checks). */
function buildOpCert(
  kesVk: Uint8Array,
  issueNumber: bigint,
  startKesPeriod: bigint,
  signature: Uint8Array,
  coldVk: Uint8Array,
): OpCert {
  if (kesVk.length !== KES_PUBLIC_KEY_BYTES) {
    throw new OpCertDecodeError(
      'INVALID_LENGTH',
      `opcert KES key has ${kesVk.length} bytes, expected ${KES_PUBLIC_KEY_BYTES}`,
    );
  }
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new OpCertDecodeError(
      'INVALID_LENGTH',
      `opcert signature has ${signature.length} bytes, expected ${ED25519_SIGNATURE_BYTES}`,
    );
  }
  assertEd25519PublicKey(coldVk, 'opcert cold verification key');
  return { kesVk, issueNumber, startKesPeriod, signature, coldVk };
}

export function opCertToJson(opCert: OpCert): JsonValue {
  return [
    [byteArrayJson(opCert.kesVk), opCert.issueNumber, opCert.startKesPeriod, byteArrayJson(opCert.signature)],
    byteArrayJson(opCert.coldVk),
  ];
}

function expectTuple(value: JsonValue, length: number, what: string): JsonValue[] {
  const items = expectArray(value, what, length);
  if (items.length !== length) {
    throw new OpCertDecodeError('INVALID_LENGTH', `${what} has ${items.length} items, expected ${length}`);
  }
  return items;
}

export function opCertFromJson(value: JsonValue): OpCert {
  const [body, coldVk] = expectTuple(value, OPCERT_ITEMS, 'OpCert');
  const [kesVk, issueNumber, startKesPeriod, signature] = expectTuple(
    body!,
    OPCERT_BODY_ITEMS,
    'OpCert body',
  );
  return buildOpCert(
    expectByteArray(kesVk, 'OpCert kes_vk'),
    expectU64(issueNumber, 'OpCert issue_number'),
    expectU64(startKesPeriod, 'OpCert start_kes_period'),
    expectByteArray(signature, 'OpCert signature'),
    expectByteArray(coldVk, 'OpCert cold_vk', ED25519_PUBLIC_KEY_BYTES),
  );
}

export function opCertToJsonHex(opCert: OpCert): string {
  return jsonToHex(opCertToJson(opCert));
}

/** JSON-hex, or the hex of the full CBOR certificate (the reference's bytes-hex fallback). */
export function opCertFromJsonHex(text: string): OpCert {
  return decodeProtocolKey(text, 'operational certificate', opCertFromJson, opCertFromCbor);
}

function opCertBodyCborValue(opCert: OpCert): CborValue[] {
  return [opCert.kesVk, opCert.issueNumber, opCert.startKesPeriod, opCert.signature];
}

/** CBOR of `OpCertWithoutColdVerificationKey` (`845820…`). */
export function opCertWithoutColdKeyToCbor(opCert: OpCert): Uint8Array {
  return encodeCbor(opCertBodyCborValue(opCert));
}

/** CBOR of the full certificate, the cborHex of a cardano-cli `node.cert`. */
export function opCertToCbor(opCert: OpCert): Uint8Array {
  return encodeCbor([opCertBodyCborValue(opCert), opCert.coldVk]);
}

function expectCborTuple(value: CborValue, length: number, what: string): CborValue[] {
  const items = expectCborArray(value, what, length);
  if (items.length !== length) {
    throw new OpCertDecodeError('INVALID_LENGTH', `${what} has ${items.length} items, expected ${length}`);
  }
  return items;
}

/** serde_bytes and dalek's key decoder read CBOR byte strings. */
function expectCborByteString(value: CborValue | undefined, what: string): Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new CborDecodeError('INVALID_FIELD', `${what} must be a byte string`);
  return value;
}

export function opCertFromCbor(bytes: Uint8Array): OpCert {
  const [body, coldVk] = expectCborTuple(decodeCbor(bytes), OPCERT_ITEMS, 'OpCert');
  const [kesVk, issueNumber, startKesPeriod, signature] = expectCborTuple(
    body!,
    OPCERT_BODY_ITEMS,
    'OpCert body',
  );
  return buildOpCert(
    expectCborByteString(kesVk, 'OpCert kes_vk'),
    expectCborU64(issueNumber!, 'OpCert issue_number'),
    expectCborU64(startKesPeriod!, 'OpCert start_kes_period'),
    expectCborByteString(signature, 'OpCert signature'),
    expectCborByteString(coldVk, 'OpCert cold_vk'),
  );
}
