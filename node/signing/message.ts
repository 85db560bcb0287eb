/**
 * The single-signature gossip message (docs/node-design.md, "Wire messages"), big-endian:
 * `version u8 ‖ entity type id u8 ‖ beacon ‖ signed message 32 ‖ pool id hash 28 ‖ length u32 ‖
 * single signature` in the compact wire form (docs/wire-format.md). The beacon is the epoch u64,
 * followed by the u64 fields of the types that have them. The pool id is sent as its 28-byte key
 * hash and rebuilt as the bech32 party id. Every field has one encoding, so two messages are the
 * same signature exactly when their bytes are equal.
 */
import { POOL_ID_HASH_BYTES, parsePoolId, poolIdFromHash } from '../../protocol/cardano/pool-id.ts';
import { SIGMA_BYTES } from '../../protocol/codec/shape.ts';
import { singleSignatureFromWire, singleSignatureToWire } from '../../protocol/codec/wire.ts';
import { concatBytes, readUnsignedBE, u32BE, u64BE } from '../../protocol/encoding/bytes.ts';
import { DecodeError, ProtocolError } from '../../protocol/errors.ts';
import type { SignedEntityType, SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import { SIGNED_ENTITY_TYPE_IDS } from '../../protocol/message/signed-entity-type.ts';
import type { SingleSignature } from '../../protocol/stm/types.ts';

/**
 * Malformed bytes. Codes: TRUNCATED, TRAILING_BYTES, UNSUPPORTED_VERSION, UNKNOWN_ENTITY_TYPE,
 * OUT_OF_RANGE, SIGNATURE_TOO_LARGE, INVALID_SIGNATURE_ENCODING, NO_INDEXES, TOO_MANY_INDEXES.
 */
export class SignatureMessageError extends DecodeError {}

/** A value that cannot be encoded. Codes: INVALID_VALUE, DISCONTINUED_ENTITY_TYPE. */
export class SignatureMessageEncodeError extends ProtocolError {}

/** First byte; bump on an incompatible layout change (the topic name carries it too). */
export const SIGNATURE_MESSAGE_VERSION = 1;
/** A SHA-256 digest: the raw protocol message hash whose hex the signers sign. */
export const SIGNED_MESSAGE_BYTES = 32;

/** Version and entity type id bytes. */
const HEADER_BYTES = 2;
const U64_BYTES = 8;
const U32_BYTES = 4;
/** Longest beacon: CardanoBlocksTransactions carries epoch, block number and offset. */
const MAX_BEACON_FIELDS = 3;
/** The wire form's version and kind bytes (docs/wire-format.md, "Header"). */
const WIRE_HEADER_BYTES = 2;
/** The wire form's varints carry 7 bits per byte and at most 8 bytes (docs/wire-format.md). */
const VARINT_BITS = 7;
const VARINT_MAX_BYTES = 8;

export interface SignatureMessage {
  entity: SignedEntityType;
  /** Raw SHA-256 of the protocol message (32 bytes). */
  signedMessage: Uint8Array;
  /** bech32 pool id, rebuilt from the pool key hash on the wire. */
  partyId: string;
  signature: SingleSignature;
  /** The exact encoded message: stored and re-announced as is. */
  bytes: Uint8Array;
}

function varintBytes(n: number): number {
  let bytes = 1;
  for (let v = n; v >= 2 ** VARINT_BITS; v = Math.floor(v / 2 ** VARINT_BITS)) bytes++;
  return bytes;
}

/**
 * Most lottery indexes a signature can hold: the STM accepts indexes 0..m (its bound check is
 * `index > m`, protocol/stm/single-signature.ts), so m + 1 distinct values.
 */
export function maxLotteryIndexes(m: number): number {
  return m + 1;
}

/** Largest compact wire single signature with parameter m: header, σ, signer index, index list. */
export function maxWireSignatureBytes(m: number): number {
  const indexes = maxLotteryIndexes(m);
  return WIRE_HEADER_BYTES + SIGMA_BYTES + VARINT_MAX_BYTES + varintBytes(indexes) + indexes * varintBytes(m);
}

/** Largest gossip message with parameter m (mainnet m = 16948: about 51 KB). */
export function maxSignatureMessageBytes(m: number): number {
  return (
    HEADER_BYTES +
    MAX_BEACON_FIELDS * U64_BYTES +
    SIGNED_MESSAGE_BYTES +
    POOL_ID_HASH_BYTES +
    U32_BYTES +
    maxWireSignatureBytes(m)
  );
}

/** The u64 fields after the type id, in wire order. */
function beaconFields(entity: SignedEntityType): number[] {
  switch (entity.type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return [entity.epoch];
    case 'CardanoTransactions':
      return [entity.epoch, entity.blockNumber];
    case 'CardanoDatabase':
      return [entity.epoch, entity.immutableFileNumber];
    case 'CardanoBlocksTransactions':
      return [entity.epoch, entity.blockNumber, entity.blockNumberOffset];
    case 'CardanoImmutableFilesFull':
      throw new SignatureMessageEncodeError(
        'DISCONTINUED_ENTITY_TYPE',
        'CardanoImmutableFilesFull is never signed any more',
      );
  }
}

function beaconFromFields(type: SignedEntityTypeName, read: () => number): SignedEntityType {
  switch (type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return { type, epoch: read() };
    case 'CardanoTransactions':
      return { type, epoch: read(), blockNumber: read() };
    case 'CardanoDatabase':
      return { type, epoch: read(), immutableFileNumber: read() };
    case 'CardanoBlocksTransactions':
      return { type, epoch: read(), blockNumber: read(), blockNumberOffset: read() };
    case 'CardanoImmutableFilesFull':
      throw new SignatureMessageError('UNKNOWN_ENTITY_TYPE', 'CardanoImmutableFilesFull is discontinued');
  }
}

const TYPE_BY_ID: ReadonlyMap<number, SignedEntityTypeName> = new Map(
  Object.entries(SIGNED_ENTITY_TYPE_IDS).map(([name, id]) => [id, name as SignedEntityTypeName]),
);

export function encodeSignatureMessage(fields: Omit<SignatureMessage, 'bytes'>): Uint8Array {
  if (!(fields.signedMessage instanceof Uint8Array) || fields.signedMessage.length !== SIGNED_MESSAGE_BYTES) {
    throw new SignatureMessageEncodeError(
      'INVALID_VALUE',
      `signed message must be ${SIGNED_MESSAGE_BYTES} bytes`,
    );
  }
  let poolIdHash: Uint8Array;
  try {
    poolIdHash = parsePoolId(fields.partyId);
  } catch (cause) {
    throw new SignatureMessageEncodeError('INVALID_VALUE', `party id ${fields.partyId} is not a pool id`, {
      cause,
    });
  }
  const signature = singleSignatureToWire(fields.signature);
  return concatBytes(
    Uint8Array.of(SIGNATURE_MESSAGE_VERSION, SIGNED_ENTITY_TYPE_IDS[fields.entity.type]),
    ...beaconFields(fields.entity).map((v) => u64BE(v, 'beacon')),
    fields.signedMessage,
    poolIdHash,
    u32BE(signature.length, 'signature length'),
    signature,
  );
}

/** Decodes a message whose signature may hold at most m + 1 indexes; throws `SignatureMessageError`. */
export function decodeSignatureMessage(bytes: Uint8Array, m: number): SignatureMessage {
  let pos = 0;
  const take = (n: number, what: string): Uint8Array => {
    if (pos + n > bytes.length) {
      throw new SignatureMessageError('TRUNCATED', `${what} needs ${n} bytes at offset ${pos}`);
    }
    const out = bytes.slice(pos, pos + n);
    pos += n;
    return out;
  };
  const readUint = (n: number, what: string): number => {
    const value = readUnsignedBE(take(n, what), 0, n);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SignatureMessageError('OUT_OF_RANGE', `${what} ${value} exceeds 2^53-1`);
    }
    return Number(value);
  };

  const [version, typeId] = take(HEADER_BYTES, 'header');
  if (version !== SIGNATURE_MESSAGE_VERSION) {
    throw new SignatureMessageError('UNSUPPORTED_VERSION', `signature message version ${version}`);
  }
  const type = TYPE_BY_ID.get(typeId!);
  if (type === undefined) {
    throw new SignatureMessageError('UNKNOWN_ENTITY_TYPE', `signed entity type id ${typeId}`);
  }
  const entity = beaconFromFields(type, () => readUint(U64_BYTES, 'beacon'));
  const signedMessage = take(SIGNED_MESSAGE_BYTES, 'signed message');
  const partyId = poolIdFromHash(take(POOL_ID_HASH_BYTES, 'pool id hash'));
  const length = readUint(U32_BYTES, 'signature length');
  if (length > maxWireSignatureBytes(m)) {
    throw new SignatureMessageError('SIGNATURE_TOO_LARGE', `signature of ${length} bytes with m = ${m}`);
  }
  if (pos + length !== bytes.length) {
    throw new SignatureMessageError(
      pos + length > bytes.length ? 'TRUNCATED' : 'TRAILING_BYTES',
      `signature length ${length} does not match the ${bytes.length - pos} bytes left`,
    );
  }
  let signature: SingleSignature;
  try {
    signature = singleSignatureFromWire(take(length, 'signature'));
  } catch (cause) {
    if (!(cause instanceof DecodeError)) throw cause;
    throw new SignatureMessageError('INVALID_SIGNATURE_ENCODING', cause.message, { cause });
  }
  // A signature without index proves nothing; honest signers publish only winning ones.
  if (signature.indexes.length === 0) throw new SignatureMessageError('NO_INDEXES', 'signature has no index');
  if (signature.indexes.length > maxLotteryIndexes(m)) {
    throw new SignatureMessageError('TOO_MANY_INDEXES', `${signature.indexes.length} indexes with m = ${m}`);
  }
  return { entity, signedMessage, partyId, signature, bytes: Uint8Array.from(bytes) };
}
