/**
 * DMQ (CIP-0137) message identity, as the reference builds it (internal/mithril-dmq
 * `model/builder.rs` with pallas-network 1.1.1 `DmqMsgPayload::bytes_to_sign`):
 * - bytes_to_sign = CBOR definite array(3) [bstr msg_body, uint kes_period, uint expires_at];
 * - msg_id = BLAKE2b-256(bytes_to_sign).
 * The KES signature of a DMQ message is over the same bytes, at evolution
 * `kes_period − opcert.start_kes_period`.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { DecodeError } from '../errors.ts';
import { U64_MAX } from '../encoding/bytes.ts';
import { encodeCbor } from '../codec/cbor.ts';

export interface DmqMessagePayload {
  /** The application message (a `RegisterSignatureMessageDmq` for Mithril). */
  body: Uint8Array;
  /** Absolute KES period at signing time (u64). */
  kesPeriod: bigint;
  /** Unix seconds after which the message expires (u32). */
  expiresAt: number;
}

/** `expires_at` is a Rust u32. */
const U32_MAX = 2 ** 32 - 1;
/** `Blake2b<U32>`: 32-byte message ids. */
const MESSAGE_ID_BYTES = 32;

export function dmqBytesToSign(payload: DmqMessagePayload): Uint8Array {
  const { body, kesPeriod, expiresAt } = payload;
  if (!(body instanceof Uint8Array)) throw new DecodeError('INVALID_FIELD', 'DMQ body must be bytes');
  if (typeof kesPeriod !== 'bigint' || kesPeriod < 0n || kesPeriod > U64_MAX) {
    throw new DecodeError('OUT_OF_RANGE', 'DMQ kes_period must be a u64 bigint');
  }
  if (!Number.isInteger(expiresAt) || expiresAt < 0 || expiresAt > U32_MAX) {
    throw new DecodeError('OUT_OF_RANGE', `DMQ expires_at ${expiresAt} is not a u32`);
  }
  return encodeCbor([body, kesPeriod, BigInt(expiresAt)]);
}

export function dmqMessageId(payload: DmqMessagePayload): Uint8Array {
  return blake2b(dmqBytesToSign(payload), { dkLen: MESSAGE_ID_BYTES });
}
