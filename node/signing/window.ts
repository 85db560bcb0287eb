/**
 * The beacon window: which beacons a node signs, collects signatures for and gossips.
 *
 * A beacon is signed in epoch S = `epochWhenSigned` (MithrilStakeDistribution(E) and
 * CardanoStakeDistribution(E-1) are both signed in E). With e the current epoch, its open message
 * is open when S = e, or when S = e-1 and the previous epoch ended less than the reference's
 * open-message timeout ago (`openMessageTimeoutSeconds`: 1 h for MithrilStakeDistribution, 30 min
 * for CardanoStakeDistribution), so that signatures still in flight at the epoch boundary reach
 * the aggregators. S > e is in the future; anything else is too old.
 */
import type { ChainObserver } from '../chain/observer.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned, openMessageTimeoutSeconds } from '../../protocol/message/signed-entity-type.ts';

const MS_PER_SECOND = 1000;

export type BeaconWindowStatus = 'open' | 'expired' | 'future';

export interface BeaconWindow {
  status: BeaconWindowStatus;
  /** The epoch the beacon is signed in. */
  signingEpoch: number;
}

export function beaconWindow(entity: SignedEntityType, chain: ChainObserver, nowMs: number): BeaconWindow {
  const signingEpoch = epochWhenSigned(entity);
  const current = chain.currentEpoch();
  if (signingEpoch > current) return { status: 'future', signingEpoch };
  if (signingEpoch === current) return { status: 'open', signingEpoch };
  const lateUntil = chain.epochWindow(signingEpoch).endMs + openMessageTimeoutSeconds(entity) * MS_PER_SECOND;
  const open = signingEpoch === current - 1 && nowMs < lateUntil;
  return { status: open ? 'open' : 'expired', signingEpoch };
}

/**
 * The oldest beacon epoch the window can still reach in epoch `current`: CardanoStakeDistribution
 * of `current - 2`, signed in `current - 1`. Signatures of older beacons can be dropped.
 */
export function oldestBeaconEpoch(current: number): number {
  // Epochs start at 0: near the start of a chain there is nothing older.
  return Math.max(0, current - 2);
}
