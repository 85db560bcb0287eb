/**
 * The store's identity record: which schema wrote it and for which network. A data dir is only
 * ever opened by the schema and network it was created for; anything else is refused, untouched.
 * Layout: JSON {"schemaVersion":1,"network":"…","createdAt":ms} under key "store" of sublevel
 * "meta".
 */
import {
  expectField,
  expectObject,
  expectSafeUint,
  expectString,
  parseJson,
  stringifyJson,
} from '../../protocol/codec/json.ts';
import type { RootDb, Sublevels } from './db.ts';
import { StoreError } from './errors.ts';
import { decodeRecord } from './records.ts';

/** Version of the layout in `db.ts`, `keys.ts` and `records.ts`; bump on any incompatible change. */
export const SCHEMA_VERSION = 1;

export interface StoreMeta {
  schemaVersion: number;
  network: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

const META_KEY = 'store';
const what = 'meta';

/** Reads the schema version first: a newer schema may have changed every other field. */
function decodeMeta(text: string): StoreMeta {
  const record = <T>(decode: () => T): T => decodeRecord(what, META_KEY, decode);
  const obj = record(() => expectObject(parseJson(text), what));
  const schemaVersion = record(() =>
    expectSafeUint(expectField(obj, 'schemaVersion', what), `${what}.schemaVersion`),
  );
  if (schemaVersion > SCHEMA_VERSION) {
    throw new StoreError(
      'UNSUPPORTED_SCHEMA',
      `the store has schema version ${schemaVersion}; this node reads up to ${SCHEMA_VERSION}`,
    );
  }
  return record(() => {
    if (schemaVersion < 1) {
      throw new StoreError('INVALID_VALUE', `schema version ${schemaVersion} never existed`);
    }
    return {
      schemaVersion,
      network: expectString(expectField(obj, 'network', what), `${what}.network`),
      createdAt: expectSafeUint(expectField(obj, 'createdAt', what), `${what}.createdAt`),
    };
  });
}

/**
 * Checks the meta record of an open database against `network`, or writes it into a database
 * that holds no key at all (a new store, or one whose creation stopped before this write).
 * Without `network`, accepts the store's own network and never writes.
 */
export async function checkOrWriteMeta(
  db: RootDb,
  sublevels: Pick<Sublevels, 'meta'>,
  network: string | undefined,
  now: number,
): Promise<StoreMeta> {
  const text = await sublevels.meta.get(META_KEY);
  if (text === undefined && network === undefined) {
    throw new StoreError('NOT_A_STORE', `${db.location} holds no mithril-mesh store`);
  }
  if (text === undefined && network !== undefined) {
    const anyKey = await db.keys({ limit: 1 }).all();
    if (anyKey.length > 0) {
      throw new StoreError(
        'FOREIGN_DATA_DIR',
        `${db.location} holds a LevelDB database that is not a mithril-mesh store`,
      );
    }
    const meta: StoreMeta = { schemaVersion: SCHEMA_VERSION, network, createdAt: Math.floor(now) };
    const json = stringifyJson({
      schemaVersion: BigInt(meta.schemaVersion),
      network,
      createdAt: BigInt(meta.createdAt),
    });
    await sublevels.meta.put(META_KEY, json);
    return meta;
  }
  const meta = decodeMeta(text!);
  if (network !== undefined && meta.network !== network) {
    throw new StoreError(
      'FOREIGN_DATA_DIR',
      `${db.location} holds the store of network "${meta.network}", not "${network}"`,
    );
  }
  return meta;
}
