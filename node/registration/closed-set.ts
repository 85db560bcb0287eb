/**
 * The `closed-registrations` request/response protocol (docs/node-design.md, "When views
 * differ"): request `epoch u64`; response `count u32 ‖ count × (length u32 ‖ registration
 * message)`, the exact stored messages of the responder's closed set recorded at that epoch in
 * signer-index order, or count 0 when it has none (not closed, closed empty, pruned). A set is
 * only useful whole (its AVK is checked against a certificate), so it is never split: a set above
 * `MAX_CLOSED_SET_REGISTRATIONS` is not served at all.
 */
import { readUnsignedBE, u64BE } from '../../protocol/encoding/bytes.ts';
import { RegistrationServiceError } from './errors.ts';
import { decodeMessageList, encodeMessageList, meshProtocol, messageListBytes } from './pull.ts';

const PROTOCOL_NAME = 'closed-registrations';
/** Bump on an incompatible change of either frame. */
const PROTOCOL_VERSION = '1.0.0';

/** The request is the recording epoch, a u64. */
export const CLOSED_SET_REQUEST_BYTES = 8;
/** Registrations in one closed set: above the ~3,000 pools of Cardano mainnet (as `MAX_REQUEST_POOLS`). */
export const MAX_CLOSED_SET_REGISTRATIONS = 4096;
/** 4 + 4,096 × 801 B ≈ 3.3 MB. */
export const MAX_CLOSED_SET_RESPONSE_BYTES = messageListBytes(MAX_CLOSED_SET_REGISTRATIONS);

/** `/mithril-mesh/<network>/closed-registrations/1.0.0`. */
export function closedRegistrationsProtocol(network: string): string {
  return meshProtocol(network, PROTOCOL_NAME, PROTOCOL_VERSION);
}

export function encodeClosedSetRequest(epoch: number): Uint8Array {
  return u64BE(epoch, 'epoch');
}

/** The recording epoch asked for. Throws `RegistrationServiceError` MALFORMED_REQUEST. */
export function decodeClosedSetRequest(bytes: Uint8Array): number {
  if (bytes.length !== CLOSED_SET_REQUEST_BYTES) {
    throw new RegistrationServiceError(
      'MALFORMED_REQUEST',
      `request has ${bytes.length} bytes, expected ${CLOSED_SET_REQUEST_BYTES}`,
    );
  }
  const epoch = readUnsignedBE(bytes, 0, CLOSED_SET_REQUEST_BYTES);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RegistrationServiceError('MALFORMED_REQUEST', `epoch ${epoch} is out of range`);
  }
  return Number(epoch);
}

/** Throws `RegistrationServiceError` CLOSED_SET_TOO_LARGE above the bound: a part of a set is useless. */
export function encodeClosedSetResponse(messages: readonly Uint8Array[]): Uint8Array {
  if (messages.length > MAX_CLOSED_SET_REGISTRATIONS) {
    throw new RegistrationServiceError(
      'CLOSED_SET_TOO_LARGE',
      `a closed set of ${messages.length} registrations is above ${MAX_CLOSED_SET_REGISTRATIONS}`,
    );
  }
  return encodeMessageList(messages);
}

/**
 * Throws `RegistrationServiceError` MALFORMED_RESPONSE on a count above the bound, a message
 * longer than a registration, or missing or trailing bytes. The messages are decoded and
 * validated by the caller.
 */
export function decodeClosedSetResponse(bytes: Uint8Array): Uint8Array[] {
  return decodeMessageList(bytes, MAX_CLOSED_SET_REGISTRATIONS);
}
