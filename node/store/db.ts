/**
 * The LevelDB database and its sublevels (abstract-level prefixes `!name!`), with the key and
 * value layout of each:
 *
 * | sublevel               | key                                 | value                       |
 * |------------------------|-------------------------------------|-----------------------------|
 * | meta                   | "store"                             | meta JSON (`meta.ts`)       |
 * | registrations          | u64BE(epoch) ‖ utf8(partyId)        | registration message bytes  |
 * | closed-registrations   | u64BE(epoch)                        | closed registration JSON    |
 * | own-keys               | u64BE(epoch) ‖ utf8(partyId)        | 32-byte BE BLS secret key   |
 * | signatures             | entityKey ‖ utf8(partyId)           | signature message bytes     |
 * | certificates           | hash (hex text)                     | certificate JSON            |
 * | certificate-beacons    | entityKey                           | hash of the kept certificate|
 * | certificate-genesis    | u64BE(epoch)                        | hash of the genesis         |
 * | stake-distributions    | u64BE(epoch)                        | stake distribution JSON     |
 * | peers                  | peerId (text)                       | peer JSON                   |
 *
 * entityKey is `keys.ts`'s signed entity key; JSON layouts are in `records.ts`.
 */
import { Level } from 'level';

export type RootDb = Level<Uint8Array, Uint8Array>;

/** Binary keys and values throughout, except where a sublevel says otherwise. */
export const createRootDb = (location: string): RootDb =>
  new Level<Uint8Array, Uint8Array>(location, { keyEncoding: 'view', valueEncoding: 'view' });

export function openSublevels(db: RootDb) {
  const bytes = (name: string) =>
    db.sublevel<Uint8Array, Uint8Array>(name, { keyEncoding: 'view', valueEncoding: 'view' });
  const binaryKeyText = (name: string) =>
    db.sublevel<Uint8Array, string>(name, { keyEncoding: 'view', valueEncoding: 'utf8' });
  const text = (name: string) =>
    db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  return {
    meta: text('meta'),
    registrations: bytes('registrations'),
    closedRegistrations: binaryKeyText('closed-registrations'),
    ownKeys: bytes('own-keys'),
    signatures: bytes('signatures'),
    certificates: text('certificates'),
    certificateBeacons: binaryKeyText('certificate-beacons'),
    certificateGenesis: binaryKeyText('certificate-genesis'),
    stakeDistributions: binaryKeyText('stake-distributions'),
    peers: text('peers'),
  };
}

export type Sublevels = ReturnType<typeof openSublevels>;
