/** Temporary data dirs and raw access to a closed store's LevelDB, for the store tests. */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RootDb, Sublevels } from '../../../node/store/db.ts';
import { createRootDb, openSublevels } from '../../../node/store/db.ts';
import { StoreError } from '../../../node/store/errors.ts';

/** A fresh parent dir per test file; `remove()` deletes it (call it in after()). */
export function tempRoot(prefix: string): { dir(name: string): string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let n = 0;
  return {
    dir: (name) => join(root, `${name}-${n++}`),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Opens the LevelDB of a closed store directly (to plant or inspect raw records). */
export async function withRawDb<T>(
  location: string,
  use: (db: RootDb, sublevels: Sublevels) => Promise<T>,
): Promise<T> {
  const db = createRootDb(location);
  await db.open({ createIfMissing: false });
  try {
    return await use(db, openSublevels(db));
  } finally {
    await db.close();
  }
}

/** Awaits `promise`, expecting a StoreError with `code`; returns it for further checks. */
export async function expectStoreError(promise: Promise<unknown>, code: string): Promise<StoreError> {
  try {
    await promise;
  } catch (e) {
    expect(e).to.be.instanceOf(StoreError);
    expect((e as StoreError).code, (e as Error).message).to.equal(code);
    return e as StoreError;
  }
  expect.fail(`expected StoreError ${code}`);
}
