/**
 * JSON-hex: `hex(serde_json::to_string(value))`, the encoding of STM keys and signatures inside
 * Mithril messages (mithril-common `codec/json_hex.rs`, `types/protocol_key.rs`).
 *
 * Encoding writes lowercase hex of the compact serde_json text. Decoding does what
 * `ProtocolKeyCodec::decode_key` does: first JSON-hex (surrounding whitespace trimmed, hex of any
 * case, UTF-8 JSON), and if that fails, bytes-hex (untrimmed hex of the type's `from_bytes`
 * input: CBOR v1 or legacy, raw 192 bytes for vk ‖ PoP). If both fail it throws a
 * `JsonHexDecodeError` carrying both reasons.
 */
import { DecodeError } from '../errors.ts';
import { bytesToHex, hexToBytes, utf8 } from '../encoding/bytes.ts';
import type { JsonValue } from './json.ts';
import { DEFAULT_JSON_LIMITS, parseJson, stringifyJson } from './json.ts';
import { DEFAULT_CBOR_LIMITS } from './cbor.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  SingleSignature,
  VerificationKeyPoP,
} from '../stm/types.ts';
import {
  avkFromJson,
  avkToJson,
  concatenationProofFromJson,
  concatenationProofToJson,
  singleSignatureFromJson,
  singleSignatureToJson,
  vkPopFromJson,
  vkPopToJson,
} from './stm-json.ts';
import {
  aggregateSignatureFromBytes,
  avkFromBytes,
  singleSignatureFromBytes,
  vkPopFromBytes,
} from './stm-cbor.ts';

export class JsonHexDecodeError extends DecodeError {}

/** Unicode White_Space, the set Rust's `str::trim` strips (a plain loop: no regex backtracking). */
const RUST_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function rustTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && RUST_WHITESPACE.has(s.charCodeAt(start))) start++;
  while (end > start && RUST_WHITESPACE.has(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

/** Two hex digits per byte of the longest JSON text or CBOR input we parse. */
const MAX_HEX_LENGTH = 2 * Math.max(DEFAULT_JSON_LIMITS.maxLength, DEFAULT_CBOR_LIMITS.maxLength);

/** Strict UTF-8 that keeps a leading BOM, which serde_json then rejects as it does. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function checkHexInput(hex: string, what: string): void {
  if (typeof hex !== 'string') throw new JsonHexDecodeError('INVALID_HEX', `${what} is not a string`);
  if (hex.length > MAX_HEX_LENGTH) {
    throw new JsonHexDecodeError('HEX_TOO_LARGE', `${what} longer than ${MAX_HEX_LENGTH} hex digits`);
  }
}

/** Lowercase hex of the compact JSON text of `value`. */
export function jsonToHex(value: JsonValue): string {
  return bytesToHex(utf8(stringifyJson(value)));
}

/** Parse JSON-hex (trimmed as `key_decode_hex` does) into a BigInt-safe JSON value. */
export function jsonFromHex(hex: string, what = 'JSON-hex'): JsonValue {
  checkHexInput(hex, what);
  const bytes = hexToBytes(rustTrim(hex), undefined, what);
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    throw new JsonHexDecodeError('INVALID_UTF8', `${what} is not UTF-8 text`);
  }
  return parseJson(text);
}

/**
 * JSON-hex first, bytes-hex second, as `ProtocolKeyCodec::decode_key` (mithril-common
 * `crypto_helper/types/protocol_key.rs`); the STM and the Cardano-side keys all decode this way.
 * When both forms fail, the `JsonHexDecodeError` names both reasons and keeps both as cause.
 */
export function decodeProtocolKey<T>(
  hex: string,
  what: string,
  fromJson: (v: JsonValue) => T,
  fromBytes: (b: Uint8Array) => T,
): T {
  checkHexInput(hex, what);
  let jsonError: DecodeError;
  try {
    return fromJson(jsonFromHex(hex, what));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    jsonError = e;
  }
  try {
    return fromBytes(hexToBytes(hex, undefined, what));
  } catch (bytesError) {
    if (!(bytesError instanceof DecodeError)) throw bytesError;
    throw new JsonHexDecodeError(
      'INVALID_JSON_HEX',
      `${what} is neither JSON-hex (${jsonError.message}) nor bytes-hex (${bytesError.message})`,
      { cause: [jsonError, bytesError] },
    );
  }
}

// ---- signer verification key: VerificationKeyProofOfPossession ----

export function vkPopToJsonHex(v: VerificationKeyPoP): string {
  return jsonToHex(vkPopToJson(v));
}

export function vkPopFromJsonHex(hex: string): VerificationKeyPoP {
  return decodeProtocolKey(hex, 'verification key', vkPopFromJson, vkPopFromBytes);
}

// ---- single signature ----

export function singleSignatureToJsonHex(s: SingleSignature): string {
  return jsonToHex(singleSignatureToJson(s));
}

export function singleSignatureFromJsonHex(hex: string): SingleSignature {
  return decodeProtocolKey(hex, 'single signature', singleSignatureFromJson, singleSignatureFromBytes);
}

// ---- aggregate verification key (concatenation) ----

export function avkToJsonHex(a: AggregateVerificationKey): string {
  return jsonToHex(avkToJson(a));
}

export function avkFromJsonHex(hex: string): AggregateVerificationKey {
  return decodeProtocolKey(hex, 'aggregate verification key', avkFromJson, avkFromBytes);
}

// ---- multi-signature: AggregateSignature::Concatenation, whose JSON is the ConcatenationProof's ----

export function multiSignatureToJsonHex(p: ConcatenationProof): string {
  return jsonToHex(concatenationProofToJson(p));
}

/** The bytes-hex fallback is `AggregateSignature::from_bytes` (type byte or CBOR envelope). */
export function multiSignatureFromJsonHex(hex: string): ConcatenationProof {
  return decodeProtocolKey(hex, 'multi-signature', concatenationProofFromJson, aggregateSignatureFromBytes);
}
