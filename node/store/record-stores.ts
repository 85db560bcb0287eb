/** Sub-stores of plain records: stake distributions per epoch and known peers. */
import type { Sublevels } from './db.ts';
import { epochKey } from './keys.ts';
import {
  decodePeer,
  decodeRecord,
  decodeStakeDistribution,
  encodePeer,
  encodeStakeDistribution,
} from './records.ts';
import type { PeerStore, StakeDistributionStore } from './types.ts';

export function createStakeDistributionStore(
  sublevels: Pick<Sublevels, 'stakeDistributions'>,
): StakeDistributionStore {
  const { stakeDistributions } = sublevels;
  return {
    put: async (epoch, distribution) =>
      stakeDistributions.put(epochKey(epoch), encodeStakeDistribution(distribution)),
    async get(epoch) {
      const key = epochKey(epoch);
      const text = await stakeDistributions.get(key);
      return text === undefined
        ? undefined
        : decodeRecord('stake-distributions', key, () => decodeStakeDistribution(text));
    },
  };
}

export function createPeerStore(sublevels: Pick<Sublevels, 'peers'>): PeerStore {
  const { peers } = sublevels;
  return {
    put: async (record) => peers.put(record.peerId, encodePeer(record)),
    /** In peer id order. */
    async list() {
      const entries = await peers.iterator().all();
      return entries.map(([peerId, text]) => decodeRecord('peers', peerId, () => decodePeer(peerId, text)));
    },
    remove: async (peerId) => peers.del(peerId),
  };
}
