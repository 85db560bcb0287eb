/**
 * Binary keys of the store. Integers are big-endian u64 so that LevelDB's byte order is numeric
 * order (epoch 2 before epoch 10) and "everything before epoch e" is one key range.
 *
 * Signed entity keys: typeId u8 (the reference's ids are u16, all below 6) ‖ u64BE(epoch) ‖ the beacon's other u64 fields in declaration
 * order; the discontinued CardanoImmutableFilesFull ends with 0x00 (no network) or
 * 0x01 ‖ u16BE(length) ‖ utf8(network). Keys of different beacons are never prefixes of one
 * another, so "entity key ‖ partyId" keys of one beacon form one prefix range.
 */
import { concatBytes, u16BE, u64BE, utf8 } from '../../protocol/encoding/bytes.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { signedEntityTypeId } from '../../protocol/message/signed-entity-type.ts';
import { StoreError } from './errors.ts';

export const epochKey = (epoch: number): Uint8Array => u64BE(epoch, 'epoch');

export const epochPartyKey = (epoch: number, partyId: string): Uint8Array =>
  concatBytes(epochKey(epoch), utf8(partyId));

export function entityKey(entity: SignedEntityType): Uint8Array {
  const head = [Uint8Array.of(signedEntityTypeId(entity)), epochKey(entity.epoch)];
  switch (entity.type) {
    case 'MithrilStakeDistribution':
    case 'CardanoStakeDistribution':
      return concatBytes(...head);
    case 'CardanoTransactions':
      return concatBytes(...head, u64BE(entity.blockNumber, 'block number'));
    case 'CardanoDatabase':
      return concatBytes(...head, u64BE(entity.immutableFileNumber, 'immutable file number'));
    case 'CardanoBlocksTransactions':
      return concatBytes(
        ...head,
        u64BE(entity.blockNumber, 'block number'),
        u64BE(entity.blockNumberOffset, 'block number offset'),
      );
    case 'CardanoImmutableFilesFull': {
      const ifn = u64BE(entity.immutableFileNumber, 'immutable file number');
      if (entity.network === undefined) return concatBytes(...head, ifn, Uint8Array.of(0));
      const network = utf8(entity.network);
      return concatBytes(...head, ifn, Uint8Array.of(1), u16BE(network.length, 'network length'), network);
    }
  }
}

/** Keys of one signed entity type whose beacon epoch is before `epoch`. */
export const typeEpochRange = (typeId: number, beforeEpoch: number): { gte: Uint8Array; lt: Uint8Array } => ({
  gte: Uint8Array.of(typeId),
  lt: concatBytes(Uint8Array.of(typeId), epochKey(beforeEpoch)),
});

/** Every key starting with `prefix`. */
export function prefixRange(prefix: Uint8Array): { gte: Uint8Array; lt?: Uint8Array } {
  // The smallest key above the prefix range: drop trailing 0xff bytes, increment the last one.
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return { gte: prefix };
  const lt = prefix.slice(0, end);
  lt[end - 1]! += 1;
  return { gte: prefix, lt };
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The party id after a key prefix of `prefixLength` bytes. */
export function partyIdAfter(key: Uint8Array, prefixLength: number, where: string): string {
  try {
    return utf8Strict.decode(key.subarray(prefixLength));
  } catch (e) {
    throw new StoreError('CORRUPT_RECORD', `${where}: key ${hexKey(key)} holds no UTF-8 party id`, {
      cause: e,
    });
  }
}

export const hexKey = (key: Uint8Array | string): string =>
  typeof key === 'string' ? JSON.stringify(key) : Buffer.from(key).toString('hex');
