/**
 * `ProtocolMessage` (mithril-common `entities/protocol_message.rs`): the named parts a
 * certificate signs. Parts live in a `BTreeMap<ProtocolMessagePartKey, String>` whose derived
 * `Ord` is the enum declaration order, so both the legacy hash and the JSON object list parts in
 * that order, not alphabetically.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { JsonObject, JsonValue } from '../codec/json.ts';
import { expectObject, expectString } from '../codec/json.ts';
import { bytesToHex, utf8 } from '../encoding/bytes.ts';
import { DecodeError } from '../errors.ts';

export class ProtocolMessageError extends DecodeError {}

/** Part keys in enum declaration order: this order is part of the hash. */
export const PROTOCOL_MESSAGE_PART_KEYS = [
  'snapshot_digest',
  'cardano_transactions_merkle_root',
  'cardano_blocks_transactions_merkle_root',
  'next_aggregate_verification_key',
  'next_protocol_parameters',
  'current_epoch',
  'latest_block_number',
  'cardano_blocks_transactions_block_number_offset',
  'cardano_stake_distribution_epoch',
  'cardano_stake_distribution_merkle_root',
  'cardano_database_merkle_root',
  'next_aggregate_verification_key_snark',
] as const;

export type ProtocolMessagePartKey = (typeof PROTOCOL_MESSAGE_PART_KEYS)[number];

const KEY_RANK: ReadonlyMap<string, number> = new Map(PROTOCOL_MESSAGE_PART_KEYS.map((k, i) => [k, i]));

export function isProtocolMessagePartKey(key: string): key is ProtocolMessagePartKey {
  return KEY_RANK.has(key);
}

/**
 * The only hash scheme in force. `rigid` (Lagrange, behind the reference's `future_snark`
 * feature) is rejected on decode rather than hashed the wrong way.
 */
const LEGACY_HASH_SCHEME = 'legacy';

export class ProtocolMessage {
  private readonly parts = new Map<ProtocolMessagePartKey, string>();

  /** Sets a part, replacing any previous value; returns `this` for chaining. */
  set(key: ProtocolMessagePartKey, value: string): this {
    if (!isProtocolMessagePartKey(key)) {
      throw new ProtocolMessageError(
        'UNKNOWN_PART_KEY',
        `unknown protocol message part key "${String(key)}"`,
      );
    }
    this.parts.set(key, value);
    return this;
  }

  get(key: ProtocolMessagePartKey): string | undefined {
    return this.parts.get(key);
  }

  has(key: ProtocolMessagePartKey): boolean {
    return this.parts.has(key);
  }

  delete(key: ProtocolMessagePartKey): boolean {
    return this.parts.delete(key);
  }

  get size(): number {
    return this.parts.size;
  }

  /** Parts in canonical (enum declaration) order. */
  entries(): [ProtocolMessagePartKey, string][] {
    return [...this.parts.entries()].sort((a, b) => KEY_RANK.get(a[0])! - KEY_RANK.get(b[0])!);
  }

  clone(): ProtocolMessage {
    const copy = new ProtocolMessage();
    for (const [k, v] of this.parts) copy.set(k, v);
    return copy;
  }

  equals(other: ProtocolMessage): boolean {
    if (other.size !== this.size) return false;
    for (const [k, v] of this.parts) if (other.get(k) !== v) return false;
    return true;
  }

  /** Legacy digest: SHA-256 over key ‖ value (UTF-8) of every part in order, no separators. */
  computeHashBytes(): Uint8Array {
    const hasher = sha256.create();
    for (const [key, value] of this.entries()) {
      hasher.update(utf8(key));
      hasher.update(utf8(value));
    }
    return hasher.digest();
  }

  /** Lowercase hex of the digest: the `signed_message` of a certificate. */
  computeHash(): string {
    return bytesToHex(this.computeHashBytes());
  }

  /** `{"message_parts":{…}}`; `hash_scheme` is omitted for legacy, as serde does. */
  toJson(): JsonObject {
    const parts: JsonObject = {};
    for (const [k, v] of this.entries()) parts[k] = v;
    return { message_parts: parts };
  }

  static fromJson(value: JsonValue | undefined, what = 'protocol message'): ProtocolMessage {
    const obj = expectObject(value, what);
    if (!Object.prototype.hasOwnProperty.call(obj, 'message_parts')) {
      throw new ProtocolMessageError('MISSING_FIELD', `${what} lacks field "message_parts"`);
    }
    if (Object.prototype.hasOwnProperty.call(obj, 'hash_scheme')) {
      const scheme = expectString(obj['hash_scheme'], `${what}.hash_scheme`);
      if (scheme !== LEGACY_HASH_SCHEME) {
        throw new ProtocolMessageError(
          'UNSUPPORTED_HASH_SCHEME',
          `${what} uses hash scheme "${scheme}", only "${LEGACY_HASH_SCHEME}" is supported`,
        );
      }
    }
    const parts = expectObject(obj['message_parts'], `${what}.message_parts`);
    const message = new ProtocolMessage();
    for (const [key, v] of Object.entries(parts)) {
      if (!isProtocolMessagePartKey(key)) {
        throw new ProtocolMessageError(
          'UNKNOWN_PART_KEY',
          `${what} has an unknown part key ${JSON.stringify(key)}`,
        );
      }
      message.set(key, expectString(v, `${what}.message_parts.${key}`));
    }
    return message;
  }
}
