/**
 * Stake pool ids, the Mithril `party_id`: bech32("pool", BLAKE2b-224(cold verification key))
 * (reference `OpCert::compute_protocol_party_id`, Cardano CIP-0005 prefix "pool").
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { bech32 } from '@scure/base';
import { DecodeError } from '../errors.ts';
import { ED25519_PUBLIC_KEY_BYTES, Ed25519Error } from './ed25519.ts';

export class PoolIdError extends DecodeError {}

/** CIP-0005 human-readable prefix of pool ids. */
export const POOL_ID_PREFIX = 'pool';
/** Pool key hashes are `Blake2b<U28>`: BLAKE2b with a 28-byte output parameter. */
export const POOL_ID_HASH_BYTES = 28;

/** BLAKE2b-224 of the 32-byte cold verification key (`compute_protocol_party_id_as_hash`). */
export function poolIdHashFromColdVerificationKey(coldVk: Uint8Array): Uint8Array {
  if (!(coldVk instanceof Uint8Array) || coldVk.length !== ED25519_PUBLIC_KEY_BYTES) {
    throw new Ed25519Error(
      'INVALID_LENGTH',
      `cold verification key must be ${ED25519_PUBLIC_KEY_BYTES} bytes`,
    );
  }
  return blake2b(coldVk, { dkLen: POOL_ID_HASH_BYTES });
}

export function poolIdFromHash(hash: Uint8Array): string {
  if (!(hash instanceof Uint8Array) || hash.length !== POOL_ID_HASH_BYTES) {
    throw new PoolIdError('INVALID_LENGTH', `pool key hash must be ${POOL_ID_HASH_BYTES} bytes`);
  }
  return bech32.encodeFromBytes(POOL_ID_PREFIX, hash);
}

export function poolIdFromColdVerificationKey(coldVk: Uint8Array): string {
  return poolIdFromHash(poolIdHashFromColdVerificationKey(coldVk));
}

/**
 * Strict parser: a lowercase bech32 (not bech32m) string with prefix "pool" and a 28-byte
 * payload, in the canonical form `poolIdFromHash` produces. Returns the pool key hash.
 */
export function parsePoolId(text: string): Uint8Array {
  if (typeof text !== 'string') throw new PoolIdError('INVALID_POOL_ID', 'pool id must be a string');
  let decoded: { prefix: string; bytes: Uint8Array };
  try {
    decoded = bech32.decodeToBytes(text);
  } catch (cause) {
    throw new PoolIdError('INVALID_POOL_ID', `pool id ${JSON.stringify(text)} is not valid bech32`, {
      cause,
    });
  }
  if (decoded.prefix !== POOL_ID_PREFIX) {
    throw new PoolIdError(
      'INVALID_POOL_ID',
      `pool id prefix is "${decoded.prefix}", expected "${POOL_ID_PREFIX}"`,
    );
  }
  if (decoded.bytes.length !== POOL_ID_HASH_BYTES) {
    throw new PoolIdError(
      'INVALID_POOL_ID',
      `pool id holds ${decoded.bytes.length} bytes, expected ${POOL_ID_HASH_BYTES}`,
    );
  }
  // Rejects the uppercase spelling and non-zero padding bits: one pool, one string.
  if (poolIdFromHash(decoded.bytes) !== text) {
    throw new PoolIdError('INVALID_POOL_ID', 'pool id is not in canonical lowercase form');
  }
  return decoded.bytes;
}
