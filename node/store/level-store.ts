/**
 * `MeshStore` on LevelDB in `<dataDir>/db`. Opening checks, in order: the directories (created
 * 0700 when missing, `directories.ts`), LevelDB itself (lock, corruption), then the meta record
 * (network, schema, `meta.ts`).
 * A failed open never writes, deletes or rewrites data; LevelDB itself only adds its LOCK file
 * and rotates its info LOG when it opens a directory.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemClock } from '../runtime/clock.ts';
import { createCertificateStore } from './certificate-store.ts';
import { createRootDb, openSublevels } from './db.ts';
import { errorCode, prepareDirectories } from './directories.ts';
import { StoreError } from './errors.ts';
import { createOwnKeyStore, createRegistrationStore, createSignatureStore } from './message-stores.ts';
import { checkOrWriteMeta } from './meta.ts';
import { createPeerStore, createStakeDistributionStore } from './record-stores.ts';
import type { MeshStore } from './types.ts';

export interface OpenMeshStoreOptions {
  dataDir: string;
  /**
   * Network name (e.g. "mainnet"); a data dir only ever serves the network it was created for.
   * Omitted: open an existing store of whatever network it holds (inspection tools), never create one.
   */
  network?: string;
  /** Source of the meta record's creation time; the system clock by default. */
  clock?: { now(): number };
}

export type LevelMeshStore = MeshStore & {
  /** The LevelDB directory, `<dataDir>/db`. */
  readonly path: string;
  /** The network the store was created for. */
  readonly network: string;
};

/** abstract-level wraps LevelDB's error (LEVEL_LOCKED, LEVEL_CORRUPTION, …) as the cause. */
function openError(location: string, e: unknown): StoreError {
  const cause = e instanceof Error && e.cause !== undefined ? e.cause : e;
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (errorCode(cause) === 'LEVEL_LOCKED') {
    return new StoreError('LOCKED', `${location} is open elsewhere: ${reason}`, { cause });
  }
  return new StoreError('CORRUPT', `LevelDB cannot open ${location}: ${reason}`, { cause });
}

export async function openMeshStore(options: OpenMeshStoreOptions): Promise<LevelMeshStore> {
  const dataDir = resolve(options.dataDir);
  const location = join(dataDir, 'db');
  if (options.network === undefined && !existsSync(join(location, 'CURRENT'))) {
    throw new StoreError('NOT_A_STORE', `${dataDir} holds no mithril-mesh store`);
  }
  const fresh = await prepareDirectories(dataDir, location);
  const db = createRootDb(location);
  try {
    await db.open({ createIfMissing: fresh });
  } catch (e) {
    throw openError(location, e);
  }
  const sublevels = openSublevels(db);
  let network: string;
  try {
    network = (await checkOrWriteMeta(db, sublevels, options.network, (options.clock ?? systemClock).now()))
      .network;
  } catch (e) {
    await db.close();
    throw e;
  }
  return {
    path: location,
    network,
    registrations: createRegistrationStore(sublevels),
    ownKeys: createOwnKeyStore(sublevels),
    signatures: createSignatureStore(sublevels),
    certificates: createCertificateStore(db, sublevels),
    stakeDistributions: createStakeDistributionStore(sublevels),
    peers: createPeerStore(sublevels),
    close: () => db.close(),
  };
}
