import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringifyJson } from '../../../protocol/codec/json.ts';
import { ProtocolError } from '../../../protocol/errors.ts';
import { createRootDb } from '../../../node/store/db.ts';
import { openMeshStore, SCHEMA_VERSION } from '../../../node/store/index.ts';
import { expectStoreError, tempRoot, withRawDb } from './helpers.ts';

const network = 'devnet';
const clock = { now: () => 1_767_225_600_000 };

describe('store: opening a data dir', () => {
  const temp = tempRoot('store-open');
  after(() => temp.remove());

  it('creates the data dir and the database dir with mode 0700, and writes the meta record', async () => {
    const dataDir = join(temp.dir('fresh'), 'nested');
    const store = await openMeshStore({ dataDir, network, clock });
    expect(store.path).to.equal(join(dataDir, 'db'));
    await store.close();
    expect(statSync(dataDir).mode & 0o777).to.equal(0o700);
    expect(statSync(store.path).mode & 0o777).to.equal(0o700);
    const meta = await withRawDb(store.path, (_db, s) => s.meta.get('store'));
    expect(meta).to.equal(`{"schemaVersion":${SCHEMA_VERSION},"network":"devnet","createdAt":1767225600000}`);
  });

  it('reopens its own data dir and keeps everything', async () => {
    const dataDir = temp.dir('reopen');
    const first = await openMeshStore({ dataDir, network, clock });
    await first.registrations.put(7, 'pool1a', Uint8Array.of(1, 2, 3));
    await first.peers.put({ peerId: '12D3KooWA', multiaddrs: ['/ip4/127.0.0.1/tcp/1'], lastSeenMs: 5 });
    await first.close();
    const later = { now: () => clock.now() + 1000 };
    const second = await openMeshStore({ dataDir, network, clock: later });
    expect(await second.registrations.get(7, 'pool1a')).to.deep.equal(Uint8Array.of(1, 2, 3));
    expect(await second.peers.list()).to.deep.equal([
      { peerId: '12D3KooWA', multiaddrs: ['/ip4/127.0.0.1/tcp/1'], lastSeenMs: 5 },
    ]);
    await second.close();
    // The creation time is the first open's.
    const meta = await withRawDb(second.path, (_db, s) => s.meta.get('store'));
    expect(meta).to.contain('"createdAt":1767225600000');
  });

  it("refuses another network's data dir and leaves it as it was", async () => {
    const dataDir = temp.dir('foreign-network');
    const store = await openMeshStore({ dataDir, network, clock });
    await store.ownKeys.put(3, 'pool1a', 42n);
    await store.close();
    const error = await expectStoreError(openMeshStore({ dataDir, network: 'mainnet' }), 'FOREIGN_DATA_DIR');
    expect(error).to.be.instanceOf(ProtocolError);
    expect(error.message).to.contain('"devnet"');
    const again = await openMeshStore({ dataDir, network, clock });
    expect(await again.ownKeys.get(3, 'pool1a')).to.equal(42n);
    await again.close();
  });

  it('refuses a newer schema without rewriting the meta record', async () => {
    const dataDir = temp.dir('newer-schema');
    const store = await openMeshStore({ dataDir, network, clock });
    await store.close();
    const newer = stringifyJson({ schemaVersion: BigInt(SCHEMA_VERSION + 1), layout: 'unknown' });
    await withRawDb(store.path, (_db, s) => s.meta.put('store', newer));
    await expectStoreError(openMeshStore({ dataDir, network, clock }), 'UNSUPPORTED_SCHEMA');
    expect(await withRawDb(store.path, (_db, s) => s.meta.get('store'))).to.equal(newer);
  });

  it('reports an undecodable meta record as CORRUPT_RECORD', async () => {
    const dataDir = temp.dir('bad-meta');
    const store = await openMeshStore({ dataDir, network, clock });
    await store.close();
    await withRawDb(store.path, (_db, s) => s.meta.put('store', '{"schemaVersion":1,"network":7}'));
    const error = await expectStoreError(openMeshStore({ dataDir, network, clock }), 'CORRUPT_RECORD');
    expect(error.message).to.contain('meta/"store"');
  });

  it('refuses a LevelDB database without a meta record and writes nothing into it', async () => {
    const dataDir = temp.dir('not-ours');
    const location = join(dataDir, 'db');
    const foreign = createRootDb(location);
    await foreign.open();
    await foreign.put(Uint8Array.of(1), Uint8Array.of(2));
    await foreign.close();
    await expectStoreError(openMeshStore({ dataDir, network, clock }), 'FOREIGN_DATA_DIR');
    const keys = await withRawDb(location, (db) => db.keys().all());
    expect(keys).to.deep.equal([Uint8Array.of(1)]);
  });

  it('adopts an empty LevelDB database (a creation cut short before the meta record)', async () => {
    const dataDir = temp.dir('empty-leveldb');
    const empty = createRootDb(join(dataDir, 'db'));
    await empty.open();
    await empty.close();
    const store = await openMeshStore({ dataDir, network, clock });
    await store.close();
  });

  it('reports a CURRENT file that is not LevelDB as CORRUPT, touching nothing', async () => {
    const dataDir = temp.dir('garbage');
    const location = join(dataDir, 'db');
    mkdirSync(location, { recursive: true });
    writeFileSync(join(location, 'CURRENT'), 'this is not a manifest name');
    await expectStoreError(openMeshStore({ dataDir, network, clock }), 'CORRUPT');
    expect(readdirSync(location)).to.deep.equal(['CURRENT']);
    expect(readFileSync(join(location, 'CURRENT'), 'utf8')).to.equal('this is not a manifest name');
  });

  it('reports a database dir holding something else than LevelDB as CORRUPT, touching nothing', async () => {
    const dataDir = temp.dir('other-files');
    const location = join(dataDir, 'db');
    mkdirSync(location, { recursive: true });
    writeFileSync(join(location, 'notes.txt'), 'mine');
    await expectStoreError(openMeshStore({ dataDir, network, clock }), 'CORRUPT');
    expect(readdirSync(location)).to.deep.equal(['notes.txt']);
  });

  it("reports a LevelDB database with a corrupt manifest as CORRUPT, with LevelDB's error as cause", async () => {
    const dataDir = temp.dir('bad-manifest');
    const store = await openMeshStore({ dataDir, network, clock });
    await store.close();
    const manifest = readdirSync(store.path).find((name) => name.startsWith('MANIFEST-'))!;
    const garbage = new Uint8Array(64).fill(0x5a);
    writeFileSync(join(store.path, manifest), garbage);
    const error = await expectStoreError(openMeshStore({ dataDir, network, clock }), 'CORRUPT');
    expect(error.cause).to.have.property('code', 'LEVEL_CORRUPTION');
    expect(readFileSync(join(store.path, manifest))).to.deep.equal(Buffer.from(garbage));
  });

  it('refuses a database path that is a file, and a data dir path that is a file', async () => {
    const dataDir = temp.dir('db-file');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'db'), 'x');
    await expectStoreError(openMeshStore({ dataDir, network, clock }), 'FOREIGN_DATA_DIR');
    await expectStoreError(openMeshStore({ dataDir: join(dataDir, 'db'), network, clock }), 'IO_ERROR');
  });

  it('refuses a second open while the first is open (LOCKED), then opens once it is closed', async () => {
    const dataDir = temp.dir('locked');
    const first = await openMeshStore({ dataDir, network, clock });
    const error = await expectStoreError(openMeshStore({ dataDir, network, clock }), 'LOCKED');
    expect(error.cause).to.have.property('code', 'LEVEL_LOCKED');
    await first.close();
    const second = await openMeshStore({ dataDir, network, clock });
    await second.close();
  });
});
