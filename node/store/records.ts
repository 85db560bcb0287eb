/**
 * Value encodings of the store's records. Messages are stored as their raw bytes elsewhere;
 * records here are compact JSON written and read with the BigInt-safe codec (stakes exceed
 * 2^53), snake_case keys, integers as JSON integers, byte strings as hex:
 * - closed registration: {"epoch":e,"closed_at_ms":t,"entries":[{"party_id":p,"vk":hex,"stake":s},…]}
 * - stake distribution: [[party_id, stake],…] in the map's order
 * - peer: {"multiaddrs":[…],"last_seen_ms":t} (the peer id is the key)
 * - certificate: the CertificateMessage JSON of `stringifyCertificate` (byte-identical round trip)
 * Every decoder failure becomes `StoreError('CORRUPT_RECORD')` naming the sublevel and key.
 */
import type { Certificate } from '../../protocol/certificate/certificate.ts';
import { parseCertificate } from '../../protocol/certificate/certificate.ts';
import type { JsonValue } from '../../protocol/codec/json.ts';
import {
  expectArray,
  expectField,
  expectObject,
  expectSafeUint,
  expectString,
  expectU64,
  parseJson,
  stringifyJson,
} from '../../protocol/codec/json.ts';
import { bytesToHex, hexToBytes, U64_MAX } from '../../protocol/encoding/bytes.ts';
import { StoreError } from './errors.ts';
import { hexKey } from './keys.ts';
import type { ClosedRegistrationRecord, PeerRecord } from './types.ts';

/** Runs `decode`, turning any failure into CORRUPT_RECORD for `sublevel`/`key`. */
export function decodeRecord<T>(sublevel: string, key: Uint8Array | string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new StoreError(
      'CORRUPT_RECORD',
      `stored record ${sublevel}/${hexKey(key)} does not decode: ${reason}`,
      { cause: e },
    );
  }
}

/** A millisecond timestamp or epoch as a JSON integer; fractions and negatives are refused. */
function uintJson(value: number, what: string): bigint {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError('INVALID_VALUE', `${what} ${value} is not a non-negative safe integer`);
  }
  return BigInt(value);
}

/** A stake as a JSON integer: a Rust u64, as the reference keeps it. */
function stakeJson(stake: bigint, what: string): bigint {
  if (stake < 0n || stake > U64_MAX) throw new StoreError('INVALID_VALUE', `${what} ${stake} is not a u64`);
  return stake;
}

export function encodeClosedRegistration(record: ClosedRegistrationRecord): string {
  return stringifyJson({
    epoch: uintJson(record.epoch, 'epoch'),
    closed_at_ms: uintJson(record.closedAtMs, 'closedAtMs'),
    entries: record.entries.map((e) => ({
      party_id: e.partyId,
      vk: bytesToHex(e.vk),
      stake: stakeJson(e.stake, `stake of ${e.partyId}`),
    })),
  });
}

export function decodeClosedRegistration(text: string): ClosedRegistrationRecord {
  const what = 'closed registration';
  const obj = expectObject(parseJson(text), what);
  const entries = expectArray(expectField(obj, 'entries', what), `${what}.entries`).map((v, i) => {
    const at = `${what}.entries[${i}]`;
    const entry = expectObject(v, at);
    return {
      partyId: expectString(expectField(entry, 'party_id', at), `${at}.party_id`),
      vk: hexToBytes(expectString(expectField(entry, 'vk', at), `${at}.vk`), undefined, `${at}.vk`),
      stake: expectU64(expectField(entry, 'stake', at), `${at}.stake`),
    };
  });
  return {
    epoch: expectSafeUint(expectField(obj, 'epoch', what), `${what}.epoch`),
    entries,
    closedAtMs: expectSafeUint(expectField(obj, 'closed_at_ms', what), `${what}.closed_at_ms`),
  };
}

export function encodeStakeDistribution(distribution: ReadonlyMap<string, bigint>): string {
  return stringifyJson(
    Array.from(distribution, ([partyId, stake]): JsonValue[] => [
      partyId,
      stakeJson(stake, `stake of ${partyId}`),
    ]),
  );
}

export function decodeStakeDistribution(text: string): ReadonlyMap<string, bigint> {
  const what = 'stake distribution';
  const out = new Map<string, bigint>();
  expectArray(parseJson(text), what).forEach((v, i) => {
    const pair = expectArray(v, `${what}[${i}]`);
    if (pair.length !== 2) throw new StoreError('INVALID_VALUE', `${what}[${i}] is not a pair`);
    const partyId = expectString(pair[0], `${what}[${i}][0]`);
    if (out.has(partyId)) throw new StoreError('INVALID_VALUE', `${what} repeats party ${partyId}`);
    out.set(partyId, expectU64(pair[1], `${what}[${i}][1]`));
  });
  return out;
}

export function encodePeer(record: PeerRecord): string {
  return stringifyJson({
    multiaddrs: [...record.multiaddrs],
    last_seen_ms: uintJson(record.lastSeenMs, 'lastSeenMs'),
  });
}

export function decodePeer(peerId: string, text: string): PeerRecord {
  const what = 'peer';
  const obj = expectObject(parseJson(text), what);
  const multiaddrs = expectArray(expectField(obj, 'multiaddrs', what), `${what}.multiaddrs`).map((v, i) =>
    expectString(v, `${what}.multiaddrs[${i}]`),
  );
  const lastSeenMs = expectSafeUint(expectField(obj, 'last_seen_ms', what), `${what}.last_seen_ms`);
  return { peerId, multiaddrs, lastSeenMs };
}

/** Parses a stored certificate and checks that it is the one its key names. */
export function decodeCertificate(hash: string, text: string): Certificate {
  const certificate = parseCertificate(text);
  if (certificate.hash !== hash) {
    throw new StoreError('INVALID_VALUE', `holds certificate ${certificate.hash}, not ${hash}`);
  }
  return certificate;
}
