/**
 * A closed signer set and its stored record: the STM order of the closed entries, the pool of
 * each signer index, and the record `RegistrationStore.putClosed` keeps (entries in signer-index
 * order). Shared by the registration service and by tools that write a store's closed sets
 * themselves (the simulator's preloaded signer sets).
 */
import { bytesToHex } from '../../protocol/encoding/bytes.ts';
import { ClosedKeyRegistration } from '../../protocol/stm/index.ts';
import type { ClosedRegistrationRecord } from '../store/types.ts';
import type { SignerSet } from './view.ts';

/**
 * The signer set of `entries`; undefined when their total stake is 0 (STM cannot close it).
 * Throws `RegistrationError` on a duplicate key or a total stake above u64.
 */
export function buildSignerSet(
  epoch: number,
  entries: readonly { partyId: string; vk: Uint8Array; stake: bigint }[],
): SignerSet | undefined {
  if (entries.reduce((sum, e) => sum + e.stake, 0n) === 0n) return undefined;
  const registration = ClosedKeyRegistration.fromEntries(entries.map(({ vk, stake }) => ({ vk, stake })));
  const partyByKey = new Map(entries.map((e) => [bytesToHex(e.vk), e.partyId]));
  const partyIds = registration.entries.map((e) => partyByKey.get(bytesToHex(e.vk))!);
  return { epoch, registration, partyIds };
}

/** The record of a closed set (entries in signer-index order; none when nothing closed). */
export function closedRecord(
  epoch: number,
  signerSet: SignerSet | undefined,
  closedAtMs: number,
): ClosedRegistrationRecord {
  const entries =
    signerSet?.registration.entries.map((e, i) => ({
      partyId: signerSet.partyIds[i]!,
      vk: e.vk,
      stake: e.stake,
    })) ?? [];
  return { epoch, entries, closedAtMs };
}
