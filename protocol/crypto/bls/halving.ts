/**
 * The halving behind batch verification: check a group with one randomized equation; when it
 * fails (or a point does not decode), split it in halves and check each again, down to single
 * items, so b bad items among n cost about 2·b·log2(n) group checks instead of n single ones.
 */
import { BlsError } from './backend.ts';

/**
 * `together(group)` is the batch equation (a `BlsError` counts as failing); `alone(item)` gives a
 * single item its own verdict. Runs `alone` exactly on the items of failing groups of one.
 */
export function checkByHalving<T>(
  items: readonly T[],
  together: (group: readonly T[]) => boolean,
  alone: (item: T) => void,
): void {
  if (items.length === 0) return;
  if (items.length === 1) {
    alone(items[0]!);
    return;
  }
  let ok = false;
  try {
    ok = together(items);
  } catch (error) {
    if (!(error instanceof BlsError)) throw error;
  }
  if (ok) return;
  const half = Math.ceil(items.length / 2);
  checkByHalving(items.slice(0, half), together, alone);
  checkByHalving(items.slice(half), together, alone);
}
