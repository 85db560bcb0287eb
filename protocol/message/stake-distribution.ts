/**
 * Protocol messages of the two pure-protocol signed entity types:
 *
 * - MithrilStakeDistribution(e): only the parts every message is seeded with
 *   (`signable_builder/signable_builder_service.rs`): the next signers' AVK (JSON-hex), the
 *   next protocol parameters hash and the current epoch.
 * - CardanoStakeDistribution(e) (`signable_builder/cardano_stake_distribution.rs`): the seeded
 *   parts plus `cardano_stake_distribution_epoch` = e and `cardano_stake_distribution_merkle_root`,
 *   the root of a Merkle mountain range (ckb-merkle-mountain-range 0.6.1 as wrapped by
 *   `internal/mithril-merkle-tree`, merge = BLAKE2s-256(left ‖ right)) whose leaves are the raw
 *   UTF-8 bytes of `pool_id ‖ decimal(stake)`, in `BTreeMap<String, u64>` order (pool ids by
 *   byte order). Leaves are not hashed: a one-pool tree's root is the leaf text itself.
 */
import { blake2s } from '@noble/hashes/blake2.js';
import { avkToJsonHex } from '../codec/json-hex.ts';
import { bytesToHex, compareBytes, concatBytes, U64_MAX, utf8 } from '../encoding/bytes.ts';
import { ProtocolError } from '../errors.ts';
import type { AggregateVerificationKey } from '../stm/types.ts';
import { ProtocolMessage } from './protocol-message.ts';
import type { ProtocolParameters } from './protocol-parameters.ts';
import { computeProtocolParametersHash } from './protocol-parameters.ts';
import type { SignedEntityType } from './signed-entity-type.ts';

export class StakeDistributionError extends ProtocolError {}

export type MmrMerge = (left: Uint8Array, right: Uint8Array) => Uint8Array;

/** The MKTree node merge: BLAKE2s-256 of the concatenated children. */
export const blake2sMerge: MmrMerge = (left, right) => blake2s(concatBytes(left, right));

/**
 * Root of a Merkle mountain range over `leaves` in order (ckb `MMR::push` then `get_root`).
 * Pushing a leaf merges equal-height peaks, older peak on the left; the root bags the peaks
 * from the right, each step hashing merge(right-hand bag, next peak to its left).
 */
export function mmrRoot(leaves: readonly Uint8Array[], merge: MmrMerge = blake2sMerge): Uint8Array {
  if (leaves.length === 0) {
    throw new StakeDistributionError('EMPTY_MERKLE_TREE', 'cannot compute the root of an empty Merkle tree');
  }
  const peaks: { height: number; node: Uint8Array }[] = [];
  for (const leaf of leaves) {
    let peak = { height: 0, node: leaf };
    while (peaks.length > 0 && peaks[peaks.length - 1]!.height === peak.height) {
      const left = peaks.pop()!;
      peak = { height: peak.height + 1, node: merge(left.node, peak.node) };
    }
    peaks.push(peak);
  }
  let bag = peaks.pop()!.node;
  while (peaks.length > 0) bag = merge(bag, peaks.pop()!.node);
  return bag;
}

/** A Cardano stake distribution: pool id (bech32) → stake in lovelace (u64). */
export type CardanoStakeDistribution = ReadonlyMap<string, bigint>;

/** The leaves `pool_id ‖ decimal(stake)` in pool-id byte order. */
export function cardanoStakeDistributionLeaves(distribution: CardanoStakeDistribution): Uint8Array[] {
  const entries = [...distribution].map(([poolId, stake]) => {
    if (typeof stake !== 'bigint' || stake < 0n || stake > U64_MAX) {
      throw new StakeDistributionError('INVALID_STAKE', `stake of ${poolId} is not a u64`);
    }
    return { key: utf8(poolId), leaf: utf8(`${poolId}${stake}`) };
  });
  entries.sort((a, b) => compareBytes(a.key, b.key));
  return entries.map((e) => e.leaf);
}

/** `cardano_stake_distribution_merkle_root`: lowercase hex of the MMR root. */
export function cardanoStakeDistributionMerkleRoot(distribution: CardanoStakeDistribution): string {
  return bytesToHex(mmrRoot(cardanoStakeDistributionLeaves(distribution)));
}

/** What a node knows when it builds the message of a signed entity. */
export interface SignableContext {
  /** AVK of the signers registered for the next epoch (`next_aggregate_verification_key`). */
  nextAggregateVerificationKey: AggregateVerificationKey;
  /** Protocol parameters of the next epoch (`next_protocol_parameters` is their hash). */
  nextProtocolParameters: ProtocolParameters;
  /** The epoch the message is signed in (`current_epoch`). */
  currentEpoch: number;
  /** For CardanoStakeDistribution(e): the distribution recorded at e + 2 (the "mark" snapshot). */
  cardanoStakeDistribution?: CardanoStakeDistribution;
}

/** Seeds a message with the parts every signed entity carries. */
function seed(message: ProtocolMessage, context: SignableContext): ProtocolMessage {
  return message
    .set('next_aggregate_verification_key', avkToJsonHex(context.nextAggregateVerificationKey))
    .set('next_protocol_parameters', computeProtocolParametersHash(context.nextProtocolParameters))
    .set('current_epoch', String(context.currentEpoch));
}

/** The protocol message signers sign for a MithrilStakeDistribution or CardanoStakeDistribution. */
export function computeProtocolMessage(entity: SignedEntityType, context: SignableContext): ProtocolMessage {
  switch (entity.type) {
    case 'MithrilStakeDistribution':
      return seed(new ProtocolMessage(), context);
    case 'CardanoStakeDistribution': {
      if (context.cardanoStakeDistribution === undefined) {
        throw new StakeDistributionError(
          'MISSING_STAKE_DISTRIBUTION',
          `no Cardano stake distribution given for CardanoStakeDistribution(${entity.epoch})`,
        );
      }
      const message = new ProtocolMessage()
        .set('cardano_stake_distribution_epoch', String(entity.epoch))
        .set(
          'cardano_stake_distribution_merkle_root',
          cardanoStakeDistributionMerkleRoot(context.cardanoStakeDistribution),
        );
      return seed(message, context);
    }
    default:
      throw new StakeDistributionError(
        'UNSUPPORTED_SIGNED_ENTITY_TYPE',
        `${entity.type} messages need chain data this layer does not compute`,
      );
  }
}
