/**
 * The data dir and the database dir, checked before LevelDB opens anything: LevelDB drops its
 * LOCK and LOG files into any directory it is pointed at before it looks for a database, so a
 * directory that does not look like LevelDB is refused here, untouched.
 */
import { chmod, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './errors.ts';

/** Owner-only: the store holds BLS secret keys. */
const PRIVATE_DIR_MODE = 0o700;

/** LevelDB's CURRENT file holds the name of the live manifest and a newline (db/filename.cc). */
const CURRENT_FILE = /^(MANIFEST-[0-9]+)\n$/;

export const errorCode = (e: unknown): unknown =>
  e instanceof Error ? (e as { code?: unknown }).code : undefined;

function ioError(what: string, e: unknown): StoreError {
  const reason = e instanceof Error ? e.message : String(e);
  return new StoreError('IO_ERROR', `cannot prepare ${what}: ${reason}`, { cause: e });
}

async function checkLevelDbShape(location: string, entries: string[]): Promise<void> {
  if (!entries.includes('CURRENT')) {
    throw new StoreError('CORRUPT', `${location} holds files but no LevelDB database (no CURRENT file)`);
  }
  let current: string;
  try {
    current = await readFile(join(location, 'CURRENT'), 'latin1');
  } catch (e) {
    throw ioError(`database dir ${location}`, e);
  }
  const manifest = CURRENT_FILE.exec(current)?.[1];
  if (manifest === undefined || !entries.includes(manifest)) {
    throw new StoreError('CORRUPT', `${location}/CURRENT does not name a LevelDB manifest present there`);
  }
}

/**
 * Creates the data dir (0700) and checks the database dir. Returns whether the database is
 * new: only then may LevelDB create it.
 */
export async function prepareDirectories(dataDir: string, location: string): Promise<boolean> {
  try {
    // `mkdir` applies the umask: set the mode explicitly on a data dir made here.
    if ((await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE })) !== undefined) {
      await chmod(dataDir, PRIVATE_DIR_MODE);
    }
  } catch (e) {
    throw ioError(`data dir ${dataDir}`, e);
  }
  let entries: string[];
  try {
    entries = await readdir(location);
  } catch (e) {
    if (errorCode(e) === 'ENOTDIR') {
      throw new StoreError('FOREIGN_DATA_DIR', `${location} is a file, not a mithril-mesh database`, {
        cause: e,
      });
    }
    if (errorCode(e) !== 'ENOENT') throw ioError(`database dir ${location}`, e);
    try {
      await mkdir(location, { mode: PRIVATE_DIR_MODE });
    } catch (e2) {
      throw ioError(`database dir ${location}`, e2);
    }
    return true;
  }
  if (entries.length === 0) return true;
  await checkLevelDbShape(location, entries);
  return false;
}
