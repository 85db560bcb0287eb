/**
 * The `registrations` request/response protocol (docs/node-design.md, "Request/response"):
 * request `epoch u64 ‖ count u32 ‖ count × 28-byte pool id hashes the requester has`; response
 * `count u32 ‖ count × (length u32 ‖ registration message)` with what the responder holds and
 * the requester lacks. Both sides are bounded so neither can be made to read or build more.
 */
import { POOL_ID_HASH_BYTES } from '../../protocol/cardano/index.ts';
import { concatBytes, readUnsignedBE, u32BE, u64BE } from '../../protocol/encoding/bytes.ts';
import { isValidNetworkName } from '../gossip/topics.ts';
import { RegistrationServiceError } from './errors.ts';
import { REGISTRATION_MESSAGE_BYTES } from './message.ts';

const PROTOCOL_NAME = 'registrations';
/** Bump on an incompatible change of either frame. */
const PROTOCOL_VERSION = '1.0.0';

const EPOCH_BYTES = 8;
const COUNT_BYTES = 4;
const LENGTH_BYTES = 4;

/** Pool ids a request lists: above the ~3,000 pools of Cardano mainnet. */
export const MAX_REQUEST_POOLS = 4096;
/** Registrations per response: 512 × 801 B ≈ 410 KB; a requester lacking more asks again. */
export const MAX_REGISTRATIONS_PER_RESPONSE = 512;
export const MAX_REQUEST_BYTES = EPOCH_BYTES + COUNT_BYTES + MAX_REQUEST_POOLS * POOL_ID_HASH_BYTES;
export const MAX_RESPONSE_BYTES = messageListBytes(MAX_REGISTRATIONS_PER_RESPONSE);

/** `/mithril-mesh/<network>/<name>/<version>`; throws INVALID_OPTIONS on an invalid network name. */
export function meshProtocol(network: string, name: string, version: string): string {
  if (!isValidNetworkName(network)) {
    throw new RegistrationServiceError('INVALID_OPTIONS', `invalid network name ${JSON.stringify(network)}`);
  }
  return `/mithril-mesh/${network}/${name}/${version}`;
}

/** `/mithril-mesh/<network>/registrations/1.0.0`. */
export function registrationsProtocol(network: string): string {
  return meshProtocol(network, PROTOCOL_NAME, PROTOCOL_VERSION);
}

export interface RegistrationsRequest {
  /** Recording epoch. */
  epoch: number;
  /** Pool id hashes (28 bytes) whose registration the requester already has. */
  known: readonly Uint8Array[];
}

/** Lists at most `MAX_REQUEST_POOLS` known pools: the responder may then send some again. */
export function encodeRegistrationsRequest(request: RegistrationsRequest): Uint8Array {
  const known = request.known.slice(0, MAX_REQUEST_POOLS);
  return concatBytes(u64BE(request.epoch, 'epoch'), u32BE(known.length, 'count'), ...known);
}

function malformed(code: 'MALFORMED_REQUEST' | 'MALFORMED_RESPONSE', message: string): never {
  throw new RegistrationServiceError(code, message);
}

/** Throws `RegistrationServiceError` MALFORMED_REQUEST unless the frame is exact and bounded. */
export function decodeRegistrationsRequest(bytes: Uint8Array): RegistrationsRequest {
  if (bytes.length < EPOCH_BYTES + COUNT_BYTES) malformed('MALFORMED_REQUEST', 'request is truncated');
  const epoch = readUnsignedBE(bytes, 0, EPOCH_BYTES);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER))
    malformed('MALFORMED_REQUEST', `epoch ${epoch} is out of range`);
  const count = Number(readUnsignedBE(bytes, EPOCH_BYTES, COUNT_BYTES));
  if (count > MAX_REQUEST_POOLS) malformed('MALFORMED_REQUEST', `request lists ${count} pools`);
  const start = EPOCH_BYTES + COUNT_BYTES;
  if (bytes.length !== start + count * POOL_ID_HASH_BYTES) {
    malformed('MALFORMED_REQUEST', `request of ${bytes.length} bytes does not hold ${count} pool ids`);
  }
  const known: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const offset = start + i * POOL_ID_HASH_BYTES;
    known.push(bytes.slice(offset, offset + POOL_ID_HASH_BYTES));
  }
  return { epoch: Number(epoch), known };
}

/** Bytes of a response of `count` registration messages: what a requester must accept. */
export function messageListBytes(count: number): number {
  return COUNT_BYTES + count * (LENGTH_BYTES + REGISTRATION_MESSAGE_BYTES);
}

/** `count u32 ‖ count × (length u32 ‖ message)`, the response frame of both protocols. */
export function encodeMessageList(messages: readonly Uint8Array[]): Uint8Array {
  return concatBytes(
    u32BE(messages.length, 'count'),
    ...messages.flatMap((m) => [u32BE(m.length, 'length'), m]),
  );
}

/** Sends at most `MAX_REGISTRATIONS_PER_RESPONSE` messages (the first ones). */
export function encodeRegistrationsResponse(messages: readonly Uint8Array[]): Uint8Array {
  return encodeMessageList(messages.slice(0, MAX_REGISTRATIONS_PER_RESPONSE));
}

/**
 * Throws `RegistrationServiceError` MALFORMED_RESPONSE on a count above the bound, a message
 * longer than a registration, or missing or trailing bytes. The messages themselves are decoded
 * and validated by the caller.
 */
export function decodeRegistrationsResponse(bytes: Uint8Array): Uint8Array[] {
  return decodeMessageList(bytes, MAX_REGISTRATIONS_PER_RESPONSE);
}

/** `decodeRegistrationsResponse` with another bound on the count. */
export function decodeMessageList(bytes: Uint8Array, maxCount: number): Uint8Array[] {
  if (bytes.length < COUNT_BYTES) malformed('MALFORMED_RESPONSE', 'response is truncated');
  const count = Number(readUnsignedBE(bytes, 0, COUNT_BYTES));
  if (count > maxCount) {
    malformed('MALFORMED_RESPONSE', `response holds ${count} registrations, above ${maxCount}`);
  }
  const messages: Uint8Array[] = [];
  let offset = COUNT_BYTES;
  for (let i = 0; i < count; i++) {
    if (offset + LENGTH_BYTES > bytes.length) malformed('MALFORMED_RESPONSE', 'response is truncated');
    const length = Number(readUnsignedBE(bytes, offset, LENGTH_BYTES));
    offset += LENGTH_BYTES;
    if (length > REGISTRATION_MESSAGE_BYTES || offset + length > bytes.length) {
      malformed('MALFORMED_RESPONSE', `registration ${i} of ${length} bytes does not fit`);
    }
    messages.push(bytes.slice(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length) malformed('MALFORMED_RESPONSE', `${bytes.length - offset} trailing bytes`);
  return messages;
}
