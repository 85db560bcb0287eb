/**
 * `SignedEntityType` (mithril-common `entities/signed_entity_type.rs`,
 * `messages/message_parts/signed_entity_type.rs`, `entities/signed_entity_config.rs`): what a
 * certificate signs and at which beacon, its JSON form inside `CertificateMessage`, its database
 * id and the bytes it feeds into the certificate hash.
 *
 * Epochs, block numbers and immutable file numbers are Rust `u64`; they are kept as safe JS
 * integers (values beyond 2^53 are rejected on decode).
 */
import type { JsonObject, JsonValue } from '../codec/json.ts';
import {
  expectArray,
  expectField,
  expectObject,
  expectSafeUint,
  expectString,
  stringifyJson,
} from '../codec/json.ts';
import { concatBytes, u16BE, u64BE, utf8 } from '../encoding/bytes.ts';
import { DecodeError } from '../errors.ts';

export class SignedEntityTypeError extends DecodeError {}

export type SignedEntityType =
  | { type: 'MithrilStakeDistribution'; epoch: number }
  | { type: 'CardanoStakeDistribution'; epoch: number }
  /**
   * Discontinued (removed from the reference enum, DB id 2 never reused): decoded so that
   * historical certificates can be read and hashed, never produced. Beacons from before
   * November 2024 also carried the network name.
   */
  | { type: 'CardanoImmutableFilesFull'; network?: string; epoch: number; immutableFileNumber: number }
  | { type: 'CardanoTransactions'; epoch: number; blockNumber: number }
  | { type: 'CardanoDatabase'; epoch: number; immutableFileNumber: number }
  | { type: 'CardanoBlocksTransactions'; epoch: number; blockNumber: number; blockNumberOffset: number };

export type SignedEntityTypeName = SignedEntityType['type'];

/** Database ids (`SignedEntityTypeId`, u16): immutable, 2 belongs to the discontinued type. */
export const SIGNED_ENTITY_TYPE_IDS: Readonly<Record<SignedEntityTypeName, number>> = {
  MithrilStakeDistribution: 0,
  CardanoStakeDistribution: 1,
  CardanoImmutableFilesFull: 2,
  CardanoTransactions: 3,
  CardanoDatabase: 4,
  CardanoBlocksTransactions: 5,
};

/** Types still produced by the reference; `CardanoImmutableFilesFull` is not among them. */
export const ACTIVE_SIGNED_ENTITY_TYPES: readonly SignedEntityTypeName[] = [
  'MithrilStakeDistribution',
  'CardanoStakeDistribution',
  'CardanoTransactions',
  'CardanoDatabase',
  'CardanoBlocksTransactions',
];

export function isDiscontinued(entity: SignedEntityType): boolean {
  return entity.type === 'CardanoImmutableFilesFull';
}

export function signedEntityTypeId(entity: SignedEntityType): number {
  return SIGNED_ENTITY_TYPE_IDS[entity.type];
}

/** The beacon's epoch (`get_epoch`). */
export function signedEntityEpoch(entity: SignedEntityType): number {
  return entity.epoch;
}

/** Epoch during which the entity is signed: CSD(e) is signed in e+1, the others in e. */
export function epochWhenSigned(entity: SignedEntityType): number {
  return entity.type === 'CardanoStakeDistribution' ? entity.epoch + 1 : entity.epoch;
}

/** Open-message timeouts in seconds (`get_open_message_timeout`). */
export function openMessageTimeoutSeconds(entity: SignedEntityType): number {
  switch (entity.type) {
    case 'MithrilStakeDistribution':
      return 3600;
    case 'CardanoStakeDistribution':
      return 1800;
    case 'CardanoImmutableFilesFull':
    case 'CardanoTransactions':
    case 'CardanoDatabase':
    case 'CardanoBlocksTransactions':
      return 600;
  }
}

/**
 * The bytes `feed_hash` appends to the certificate hash of a standard certificate. Only
 * CardanoBlocksTransactions is prefixed with its id (BE16), to tell it from CardanoTransactions.
 */
export function signedEntityTypeFeedHash(entity: SignedEntityType): Uint8Array {
  switch (entity.type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return u64BE(entity.epoch, 'epoch');
    case 'CardanoImmutableFilesFull':
      return concatBytes(
        entity.network === undefined ? new Uint8Array(0) : utf8(entity.network),
        u64BE(entity.epoch, 'epoch'),
        u64BE(entity.immutableFileNumber, 'immutable_file_number'),
      );
    case 'CardanoDatabase':
      return concatBytes(
        u64BE(entity.epoch, 'epoch'),
        u64BE(entity.immutableFileNumber, 'immutable_file_number'),
      );
    case 'CardanoTransactions':
      return concatBytes(u64BE(entity.epoch, 'epoch'), u64BE(entity.blockNumber, 'block_number'));
    case 'CardanoBlocksTransactions':
      return concatBytes(
        u16BE(SIGNED_ENTITY_TYPE_IDS.CardanoBlocksTransactions),
        u64BE(entity.epoch, 'epoch'),
        u64BE(entity.blockNumber, 'block_number'),
        u64BE(entity.blockNumberOffset, 'block_number_offset'),
      );
  }
}

/** serde's externally tagged form, e.g. `{"CardanoTransactions":[e,b]}`. */
export function signedEntityTypeToJson(entity: SignedEntityType): JsonObject {
  const u = (n: number): bigint => BigInt(n);
  switch (entity.type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return { [entity.type]: u(entity.epoch) };
    case 'CardanoImmutableFilesFull': {
      const beacon: JsonObject = {};
      if (entity.network !== undefined) beacon['network'] = entity.network;
      beacon['epoch'] = u(entity.epoch);
      beacon['immutable_file_number'] = u(entity.immutableFileNumber);
      return { CardanoImmutableFilesFull: beacon };
    }
    case 'CardanoDatabase':
      return {
        CardanoDatabase: { epoch: u(entity.epoch), immutable_file_number: u(entity.immutableFileNumber) },
      };
    case 'CardanoTransactions':
      return { CardanoTransactions: [u(entity.epoch), u(entity.blockNumber)] };
    case 'CardanoBlocksTransactions':
      return {
        CardanoBlocksTransactions: [u(entity.epoch), u(entity.blockNumber), u(entity.blockNumberOffset)],
      };
  }
}

function tuple(value: JsonValue, length: number, what: string): number[] {
  const arr = expectArray(value, what);
  if (arr.length !== length) {
    throw new SignedEntityTypeError('INVALID_BEACON', `${what} must hold ${length} integers`);
  }
  return arr.map((v, i) => expectSafeUint(v, `${what}[${i}]`));
}

export function signedEntityTypeFromJson(
  value: JsonValue | undefined,
  what = 'signed_entity_type',
): SignedEntityType {
  const obj = expectObject(value, what);
  const keys = Object.keys(obj);
  if (keys.length !== 1) {
    throw new SignedEntityTypeError(
      'UNKNOWN_SIGNED_ENTITY_TYPE',
      `${what} must have exactly one variant key`,
    );
  }
  const type = keys[0]!;
  const payload = obj[type]!;
  const at = `${what}.${type}`;
  switch (type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return { type, epoch: expectSafeUint(payload, at) };
    case 'CardanoImmutableFilesFull': {
      const beacon = expectObject(payload, at);
      return {
        type,
        ...(Object.prototype.hasOwnProperty.call(beacon, 'network')
          ? { network: expectString(beacon['network'], `${at}.network`) }
          : {}),
        epoch: expectSafeUint(expectField(beacon, 'epoch', at), `${at}.epoch`),
        immutableFileNumber: expectSafeUint(
          expectField(beacon, 'immutable_file_number', at),
          `${at}.immutable_file_number`,
        ),
      };
    }
    case 'CardanoDatabase': {
      const beacon = expectObject(payload, at);
      return {
        type,
        epoch: expectSafeUint(expectField(beacon, 'epoch', at), `${at}.epoch`),
        immutableFileNumber: expectSafeUint(
          expectField(beacon, 'immutable_file_number', at),
          `${at}.immutable_file_number`,
        ),
      };
    }
    case 'CardanoTransactions': {
      const [epoch, blockNumber] = tuple(payload, 2, at) as [number, number];
      return { type, epoch, blockNumber };
    }
    case 'CardanoBlocksTransactions': {
      const [epoch, blockNumber, blockNumberOffset] = tuple(payload, 3, at) as [number, number, number];
      return { type, epoch, blockNumber, blockNumberOffset };
    }
    default:
      throw new SignedEntityTypeError(
        'UNKNOWN_SIGNED_ENTITY_TYPE',
        `${what} has unknown type ${JSON.stringify(type)}`,
      );
  }
}

export function signedEntityTypeEqual(a: SignedEntityType, b: SignedEntityType): boolean {
  return stringifyJson(signedEntityTypeToJson(a)) === stringifyJson(signedEntityTypeToJson(b));
}

// ---- beacon derivation from a time point (`SignedEntityConfig::time_point_to_signed_entity`) ----

/** What a node observes of the chain: epoch, last immutable file number and tip block number. */
export interface TimePoint {
  epoch: number;
  immutableFileNumber: number;
  blockNumber: number;
}

/** `CardanoTransactionsSigningConfig` / `CardanoBlocksTransactionsSigningConfig`. */
export interface BlockSigningConfig {
  /** Blocks discarded from the tip (also the CardanoBlocksTransactions offset). */
  securityParameter: number;
  /** Distance between two signed block numbers. */
  step: number;
}

export interface SignedEntityConfig {
  cardanoTransactions?: BlockSigningConfig;
  cardanoBlocksTransactions?: BlockSigningConfig;
}

/** `BlockRange::LENGTH`: transactions are committed in ranges of 15 blocks. */
const BLOCK_RANGE_LENGTH = 15;

/** ⌊(block − security)⁺ / step⌋ · step, with the reference's saturating subtraction. */
function blockToSign(blockNumber: number, securityParameter: number, step: number): number {
  const adjusted = Math.max(step, 1);
  const base = Math.max(blockNumber - securityParameter, 0);
  return Math.floor(base / adjusted) * adjusted;
}

export function timePointToSignedEntityType(
  type: SignedEntityTypeName,
  timePoint: TimePoint,
  config: SignedEntityConfig = {},
): SignedEntityType {
  switch (type) {
    case 'MithrilStakeDistribution':
      return { type, epoch: timePoint.epoch };
    case 'CardanoStakeDistribution':
      // Signs the distribution of the previous epoch (`Epoch::previous`, fails below 0).
      if (timePoint.epoch < 1) {
        throw new SignedEntityTypeError('EPOCH_UNDERFLOW', 'CardanoStakeDistribution needs an epoch ≥ 1');
      }
      return { type, epoch: timePoint.epoch - 1 };
    case 'CardanoDatabase':
      return { type, epoch: timePoint.epoch, immutableFileNumber: timePoint.immutableFileNumber };
    case 'CardanoTransactions': {
      const c = config.cardanoTransactions;
      if (c === undefined) {
        throw new SignedEntityTypeError(
          'MISSING_SIGNING_CONFIG',
          'CardanoTransactions needs a signing config',
        );
      }
      // The step is rounded down to whole block ranges (at least one), and the block range end
      // is exclusive, hence the final −1 (saturating).
      const step = Math.max(c.step - (c.step % BLOCK_RANGE_LENGTH), BLOCK_RANGE_LENGTH);
      const block = blockToSign(timePoint.blockNumber, c.securityParameter, step);
      return { type, epoch: timePoint.epoch, blockNumber: Math.max(block - 1, 0) };
    }
    case 'CardanoBlocksTransactions': {
      const c = config.cardanoBlocksTransactions;
      if (c === undefined) {
        throw new SignedEntityTypeError(
          'MISSING_SIGNING_CONFIG',
          'CardanoBlocksTransactions needs a signing config',
        );
      }
      return {
        type,
        epoch: timePoint.epoch,
        blockNumber: blockToSign(timePoint.blockNumber, c.securityParameter, c.step),
        blockNumberOffset: c.securityParameter,
      };
    }
    case 'CardanoImmutableFilesFull':
      throw new SignedEntityTypeError(
        'DISCONTINUED_SIGNED_ENTITY_TYPE',
        'CardanoImmutableFilesFull is discontinued',
      );
  }
}
