/**
 * Genesis verification keys (spec §2.5), as `GenesisVerifier::try_from_hex` reads the
 * `genesis.vkey` files (mithril-common `crypto_helper/genesis/{verifier,bundles}.rs`):
 * - legacy form, first hex character '5': the JSON-hex of the Ed25519 key, `[32 u8]` (with the
 *   `ProtocolKey` bytes-hex fallback);
 * - bundle form, first hex character '0': `0x01 ‖ 0x20 ‖ ed25519_vk(32) ‖ 0x40 ‖ schnorr_vk(64)`.
 *   Only the Ed25519 key is used; the Schnorr (Jubjub) key is length-checked, not validated.
 */
import type { JsonValue } from '../codec/json.ts';
import { byteArrayJson, expectByteArray } from '../codec/json.ts';
import { DecodeError } from '../errors.ts';
import { hexToBytes } from '../encoding/bytes.ts';
import { ED25519_PUBLIC_KEY_BYTES, assertEd25519PublicKey } from './ed25519.ts';
import { jsonToHex } from '../codec/json-hex.ts';
import { decodeProtocolKey } from '../codec/json-hex.ts';

export class GenesisKeyError extends DecodeError {}

/** `LEGACY_FIRST_HEX_CHAR`: '5' from the hex of the JSON array opener '['. */
const LEGACY_FIRST_HEX_CHAR = '5';
/** `BUNDLE_FIRST_HEX_CHAR`: '0' from the leading version byte 0x01. */
const BUNDLE_FIRST_HEX_CHAR = '0';
/** `GENESIS_BUNDLE_VERSION`, the only version defined. */
const BUNDLE_VERSION = 1;
/** `SCHNORR_VERIFICATION_KEY_BYTES`: two Jubjub base-field coordinates. */
const SCHNORR_VERIFICATION_KEY_BYTES = 64;

function checkedKey(bytes: Uint8Array): Uint8Array {
  assertEd25519PublicKey(bytes, 'genesis verification key');
  return bytes;
}

function legacyFromJson(value: JsonValue): Uint8Array {
  return checkedKey(expectByteArray(value, 'genesis verification key', ED25519_PUBLIC_KEY_BYTES));
}

/** A raw 32-byte Ed25519 key as hex (the bytes-hex form). */
export function genesisVerificationKeyFromBytesHex(hex: string): Uint8Array {
  return checkedKey(hexToBytes(hex, ED25519_PUBLIC_KEY_BYTES, 'genesis verification key'));
}

/** The legacy JSON-hex form (`ProtocolKey<VerifyingKey>::decode_key`, bytes-hex fallback). */
export function genesisVerificationKeyFromLegacyHex(text: string): Uint8Array {
  return decodeProtocolKey(text, 'genesis verification key', legacyFromJson, checkedKey);
}

/** The Ed25519 key of a version-1 verification-key bundle (`GenesisVerificationKeyBundle`). */
export function genesisVerificationKeyFromBundleHex(hex: string): Uint8Array {
  const bytes = hexToBytes(hex, undefined, 'genesis verification key bundle');
  let pos = 0;
  const readByte = (field: string): number => {
    const byte = bytes[pos++];
    if (byte === undefined)
      throw new GenesisKeyError('TRUNCATED', `genesis bundle truncated: missing ${field}`);
    return byte;
  };
  const readPrefixed = (field: string, length: number): Uint8Array => {
    const declared = readByte(`${field} length prefix`);
    if (declared !== length) {
      throw new GenesisKeyError(
        'LENGTH_PREFIX_MISMATCH',
        `${field} length prefix is ${declared}, expected ${length}`,
      );
    }
    if (pos + length > bytes.length) {
      throw new GenesisKeyError('TRUNCATED', `genesis bundle truncated: missing ${field} body`);
    }
    pos += length;
    return bytes.slice(pos - length, pos);
  };
  const version = readByte('version');
  if (version !== BUNDLE_VERSION) {
    throw new GenesisKeyError('UNSUPPORTED_VERSION', `genesis bundle version ${version} is not supported`);
  }
  const ed25519 = readPrefixed('Ed25519 key', ED25519_PUBLIC_KEY_BYTES);
  readPrefixed('Schnorr key', SCHNORR_VERIFICATION_KEY_BYTES);
  if (pos !== bytes.length) {
    throw new GenesisKeyError('TRAILING_BYTES', `genesis bundle has ${bytes.length - pos} trailing bytes`);
  }
  return checkedKey(ed25519);
}

/**
 * `GenesisVerifier::try_from_hex`: trims the text, then dispatches on its first character
 * ('0' bundle, '5' legacy). Returns the 32-byte Ed25519 genesis verification key.
 */
export function genesisVerificationKeyFromHex(text: string): Uint8Array {
  if (typeof text !== 'string') throw new GenesisKeyError('INVALID_FORMAT', 'genesis key must be a string');
  const trimmed = text.trim();
  switch (trimmed[0]) {
    case undefined:
      throw new GenesisKeyError('EMPTY_INPUT', 'genesis verification key input is empty');
    case BUNDLE_FIRST_HEX_CHAR:
      return genesisVerificationKeyFromBundleHex(trimmed);
    case LEGACY_FIRST_HEX_CHAR:
      return genesisVerificationKeyFromLegacyHex(trimmed);
    default:
      throw new GenesisKeyError(
        'UNRECOGNISED_FORMAT',
        "genesis verification key must start with '5' (legacy JSON-hex) or '0' (version-1 bundle)",
      );
  }
}

/** The legacy `genesis.vkey` content: JSON-hex of the key's byte array. */
export function genesisVerificationKeyToLegacyHex(verificationKey: Uint8Array): string {
  return jsonToHex(byteArrayJson(checkedKey(verificationKey)));
}
