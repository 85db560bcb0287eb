/**
 * What a node knows of the Cardano chain: epochs and their time windows, the stake
 * distribution, the KES period and the time point from which beacons are derived. A real
 * Cardano node would implement this; the devnet uses a deterministic `DevnetChain`.
 */
import type { TimePoint } from '../../protocol/message/signed-entity-type.ts';

export interface EpochWindow {
  epoch: number;
  /** First millisecond of the epoch (Unix ms). */
  startMs: number;
  /** First millisecond of the next epoch. */
  endMs: number;
}

export interface ChainObserver {
  /** Epoch at the observer's clock time. */
  currentEpoch(): number;
  epochWindow(epoch: number): EpochWindow;
  /** Epoch, immutable file number and block number now (beacons are derived from it). */
  currentTimePoint(): TimePoint;
  /**
   * Stake per pool id (bech32 `pool1…`, lovelace) of `epoch`. Registrations recorded at epoch r
   * are weighted with `stakeDistribution(r)`; every node must see the same values.
   */
  stakeDistribution(epoch: number): Promise<ReadonlyMap<string, bigint>>;
  /** Absolute KES period now. */
  currentKesPeriod(): bigint;
}
