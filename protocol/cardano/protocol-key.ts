/**
 * `ProtocolKeyCodec::decode_key` (mithril-common `crypto_helper/types/protocol_key.rs`) for the
 * Cardano-side keys: JSON-hex first, then the key's bytes-hex form (input not trimmed). Same
 * contract as the STM decoders of `codec/json-hex.ts`, whose helper is module-private.
 */
import { DecodeError } from '../errors.ts';
import { hexToBytes } from '../encoding/bytes.ts';
import type { JsonValue } from '../codec/json.ts';
import { JsonHexDecodeError, jsonFromHex } from '../codec/json-hex.ts';

/** When both forms fail, the `JsonHexDecodeError` names both reasons and keeps both as cause. */
export function decodeProtocolKey<T>(
  text: string,
  what: string,
  fromJson: (value: JsonValue) => T,
  fromBytes: (bytes: Uint8Array) => T,
): T {
  let jsonError: DecodeError;
  try {
    return fromJson(jsonFromHex(text, what));
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    jsonError = e;
  }
  try {
    return fromBytes(hexToBytes(text, undefined, what));
  } catch (bytesError) {
    if (!(bytesError instanceof DecodeError)) throw bytesError;
    throw new JsonHexDecodeError(
      'INVALID_JSON_HEX',
      `${what} is neither JSON-hex (${jsonError.message}) nor bytes-hex (${bytesError.message})`,
      { cause: [jsonError, bytesError] },
    );
  }
}
