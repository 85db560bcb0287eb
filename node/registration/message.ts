/**
 * The registration gossip message (docs/node-design.md, "Wire messages"), 797 bytes, integers
 * big-endian:
 * `version u8 ‖ epoch u64 (recording) ‖ vk 96 ‖ pop 96 ‖ opcert.kes_vk 32 ‖ opcert.issue_number u64 ‖
 * opcert.start_kes_period u64 ‖ opcert.signature 64 ‖ opcert.cold_vk 32 ‖ kes_evolutions u32 ‖
 * kes_signature 448`. The party id is derived from the cold key, never sent.
 *
 * Decoding checks only the layout (no curve points, no signatures): it is pure and cheap, the
 * validator does the rest.
 */
import { reject } from '../gossip/errors.ts';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  KES_PUBLIC_KEY_BYTES,
  KES_SIGNATURE_BYTES,
  poolIdFromHash,
  poolIdHashFromColdVerificationKey,
} from '../../protocol/cardano/index.ts';
import type { OpCert } from '../../protocol/cardano/index.ts';
import { G2_BYTES, POP_BYTES } from '../../protocol/crypto/bls/index.ts';
import { DecodeError } from '../../protocol/errors.ts';
import { concatBytes, readUnsignedBE, u32BE, u64BE } from '../../protocol/encoding/bytes.ts';
import type { VerificationKeyPoP } from '../../protocol/stm/index.ts';

/** First byte: the message format version (the `/1` of the registration topic). */
export const REGISTRATION_MESSAGE_VERSION = 1;

const VERSION_BYTES = 1;
const U64_BYTES = 8;
const U32_BYTES = 4;

/** 1 + 8 + 96 + 96 + 32 + 8 + 8 + 64 + 32 + 4 + 448 = 797 bytes. */
export const REGISTRATION_MESSAGE_BYTES =
  VERSION_BYTES +
  U64_BYTES +
  G2_BYTES +
  POP_BYTES +
  KES_PUBLIC_KEY_BYTES +
  U64_BYTES +
  U64_BYTES +
  ED25519_SIGNATURE_BYTES +
  ED25519_PUBLIC_KEY_BYTES +
  U32_BYTES +
  KES_SIGNATURE_BYTES;

/** What a registration carries, as its owner builds it. */
export interface RegistrationContent {
  /** Recording epoch r: the registration is made during r − 1. */
  epoch: number;
  vkPop: VerificationKeyPoP;
  opCert: OpCert;
  /** The evolution the sender signed at (informative: receivers use their own KES period). */
  kesEvolutions: bigint;
  /** Sum6 signature over vk ‖ PoP, 448 bytes. */
  kesSignature: Uint8Array;
}

/** A decoded message: its content, the derived pool identity and the exact bytes. */
export interface RegistrationMessage extends RegistrationContent {
  /** bech32 pool id of `opCert.coldVk`. */
  partyId: string;
  /** BLAKE2b-224 of `opCert.coldVk`, 28 bytes (the pull protocol's pool key). */
  poolIdHash: Uint8Array;
  /** The bytes as received, stored and re-served unchanged. */
  bytes: Uint8Array;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) {
    throw new DecodeError('INVALID_LENGTH', `${what} has ${bytes.length} bytes, expected ${length}`);
  }
}

/** Throws `DecodeError` (INVALID_LENGTH, OUT_OF_RANGE) when a field does not fit the layout. */
export function encodeRegistration(content: RegistrationContent): Uint8Array {
  const { epoch, vkPop, opCert, kesEvolutions, kesSignature } = content;
  checkLength(vkPop.vk, G2_BYTES, 'vk');
  checkLength(vkPop.pop, POP_BYTES, 'PoP');
  checkLength(opCert.kesVk, KES_PUBLIC_KEY_BYTES, 'opcert KES key');
  checkLength(opCert.signature, ED25519_SIGNATURE_BYTES, 'opcert signature');
  checkLength(opCert.coldVk, ED25519_PUBLIC_KEY_BYTES, 'opcert cold key');
  checkLength(kesSignature, KES_SIGNATURE_BYTES, 'KES signature');
  return concatBytes(
    Uint8Array.of(REGISTRATION_MESSAGE_VERSION),
    u64BE(epoch, 'epoch'),
    vkPop.vk,
    vkPop.pop,
    opCert.kesVk,
    u64BE(opCert.issueNumber, 'opcert issue number'),
    u64BE(opCert.startKesPeriod, 'opcert start KES period'),
    opCert.signature,
    opCert.coldVk,
    u32BE(kesEvolutions, 'KES evolutions'),
    kesSignature,
  );
}

/** Reads fields in order from a buffer whose length was checked. */
class Reader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  take(length: number): Uint8Array {
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  uint(length: number): bigint {
    const value = readUnsignedBE(this.bytes, this.offset, length);
    this.offset += length;
    return value;
  }
}

/**
 * Bytes to a message. Throws `GossipValidationError` reject MALFORMED on a wrong length, an
 * unknown version or an epoch beyond 2^53 − 1 (no chain gets there; numbers stay exact).
 */
export function decodeRegistration(data: Uint8Array): RegistrationMessage {
  if (data.length !== REGISTRATION_MESSAGE_BYTES) {
    throw reject(
      'MALFORMED',
      `registration has ${data.length} bytes, expected ${REGISTRATION_MESSAGE_BYTES}`,
    );
  }
  if (data[0] !== REGISTRATION_MESSAGE_VERSION) {
    throw reject('MALFORMED', `registration version ${data[0]}, expected ${REGISTRATION_MESSAGE_VERSION}`);
  }
  // A private copy: the caller's buffer may be reused by the transport.
  const bytes = Uint8Array.from(data);
  const reader = new Reader(bytes);
  reader.take(VERSION_BYTES);
  const epoch = reader.uint(U64_BYTES);
  if (epoch > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw reject('MALFORMED', `registration epoch ${epoch} is out of range`);
  }
  const vkPop = { vk: reader.take(G2_BYTES), pop: reader.take(POP_BYTES) };
  const opCert: OpCert = {
    kesVk: reader.take(KES_PUBLIC_KEY_BYTES),
    issueNumber: reader.uint(U64_BYTES),
    startKesPeriod: reader.uint(U64_BYTES),
    signature: reader.take(ED25519_SIGNATURE_BYTES),
    coldVk: reader.take(ED25519_PUBLIC_KEY_BYTES),
  };
  const kesEvolutions = reader.uint(U32_BYTES);
  const kesSignature = reader.take(KES_SIGNATURE_BYTES);
  const poolIdHash = poolIdHashFromColdVerificationKey(opCert.coldVk);
  return {
    epoch: Number(epoch),
    vkPop,
    opCert,
    kesEvolutions,
    kesSignature,
    partyId: poolIdFromHash(poolIdHash),
    poolIdHash,
    bytes,
  };
}
