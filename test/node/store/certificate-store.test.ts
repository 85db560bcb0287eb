import { expect } from 'chai';
import { join } from 'node:path';
import { createCertificateStore } from '../../../node/store/certificate-store.ts';
import { createRootDb, openSublevels } from '../../../node/store/db.ts';
import type { LevelMeshStore } from '../../../node/store/index.ts';
import { openMeshStore } from '../../../node/store/index.ts';
import { entityKey } from '../../../node/store/keys.ts';
import type { Certificate } from '../../../protocol/certificate/index.ts';
import {
  buildCertificate,
  certificateSignedEntityType,
  stringifyCertificate,
} from '../../../protocol/certificate/index.ts';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { buildSampleChain } from '../../fixtures/sample-chain.ts';
import { expectStoreError, tempRoot, withRawDb } from './helpers.ts';

const network = 'devnet';
const hashes = (certificates: (Certificate | undefined)[]): (string | undefined)[] =>
  certificates.map((c) => c?.hash);

/** Another certificate for the same beacon: same fields, one second later, so another hash. */
function rival(certificate: Certificate, entity?: SignedEntityType): Certificate {
  const { metadata, signature } = certificate;
  return buildCertificate({
    previousHash: certificate.previousHash,
    epoch: certificate.epoch,
    metadata: { ...metadata, sealedAt: metadata.sealedAt + 1_000_000_000n },
    protocolMessage: certificate.protocolMessage,
    aggregateVerificationKey: certificate.aggregateVerificationKey,
    signature:
      entity === undefined || signature.type !== 'multi'
        ? signature
        : { ...signature, signedEntityType: entity },
  });
}

describe('store: certificates', function () {
  // Building the sample chain signs 6 certificates with real STM.
  this.timeout(120_000);
  const temp = tempRoot('store-certs');
  /** Latest first: CSD(6), MSD(7), CSD(5), MSD(6), CSD(4), MSD(5), genesis (MSD(4)). */
  let chain: Certificate[];
  let genesis: Certificate;
  let byBeacon: (type: SignedEntityType['type'], epoch: number) => Certificate;
  let dataDir: string;
  let store: LevelMeshStore;

  before(async () => {
    chain = buildSampleChain({ backend: await loadBlsBackend('mcl') }).certificates;
    genesis = chain[chain.length - 1]!;
    byBeacon = (type, epoch) =>
      chain.find((c) => {
        const entity = certificateSignedEntityType(c);
        return entity.type === type && entity.epoch === epoch;
      })!;
  });
  beforeEach(async () => {
    dataDir = temp.dir('certs');
    store = await openMeshStore({ dataDir, network });
  });
  afterEach(() => store.close());
  after(() => temp.remove());

  const reopen = async (): Promise<void> => {
    await store.close();
    store = await openMeshStore({ dataDir, network });
  };

  it('stores the sample chain; each certificate re-serializes byte-identically after a reopen', async () => {
    // Newest first: "latest" must not move back as older certificates arrive.
    for (const certificate of chain) await store.certificates.put(certificate);
    await reopen();
    for (const certificate of chain) {
      const stored = await store.certificates.get(certificate.hash);
      expect(stringifyCertificate(stored!)).to.equal(stringifyCertificate(certificate));
      const kept = await store.certificates.getByBeacon(certificateSignedEntityType(certificate));
      expect(kept?.hash).to.equal(certificate.hash);
    }
    expect(await store.certificates.get('00'.repeat(32))).to.equal(undefined);
    expect(await store.certificates.getByBeacon({ type: 'MithrilStakeDistribution', epoch: 8 })).to.equal(
      undefined,
    );
  });

  it('answers latest per type, genesis, and lists by type then beacon', async () => {
    for (const certificate of chain) await store.certificates.put(certificate);
    expect((await store.certificates.latest('MithrilStakeDistribution'))?.hash).to.equal(
      byBeacon('MithrilStakeDistribution', 7).hash,
    );
    expect((await store.certificates.latest('CardanoStakeDistribution'))?.hash).to.equal(
      byBeacon('CardanoStakeDistribution', 6).hash,
    );
    expect(await store.certificates.latest('CardanoTransactions')).to.equal(undefined);
    expect((await store.certificates.genesis())?.hash).to.equal(genesis.hash);
    expect(hashes(await store.certificates.list())).to.deep.equal(
      hashes([
        genesis,
        byBeacon('MithrilStakeDistribution', 5),
        byBeacon('MithrilStakeDistribution', 6),
        byBeacon('MithrilStakeDistribution', 7),
        byBeacon('CardanoStakeDistribution', 4),
        byBeacon('CardanoStakeDistribution', 5),
        byBeacon('CardanoStakeDistribution', 6),
      ]),
    );
  });

  it('has nothing before the first put', async () => {
    expect(await store.certificates.genesis()).to.equal(undefined);
    expect(await store.certificates.latest('MithrilStakeDistribution')).to.equal(undefined);
    expect(await store.certificates.list()).to.deep.equal([]);
  });

  it('refuses a second certificate for a kept beacon, but accepts the same one again', async () => {
    const msd5 = byBeacon('MithrilStakeDistribution', 5);
    await store.certificates.put(msd5);
    await store.certificates.put(msd5);
    const other = rival(msd5);
    await expectStoreError(store.certificates.put(other), 'BEACON_CONFLICT');
    expect(await store.certificates.get(other.hash)).to.equal(undefined);
    expect(hashes(await store.certificates.list())).to.deep.equal([msd5.hash]);
  });

  it('replaces the certificate kept for a beacon only when told which one it replaces', async () => {
    for (const certificate of chain) await store.certificates.put(certificate);
    const csd6 = byBeacon('CardanoStakeDistribution', 6);
    const other = rival(csd6);
    await expectStoreError(store.certificates.replaceForBeacon(undefined, other), 'BEACON_CONFLICT');
    await expectStoreError(store.certificates.replaceForBeacon(genesis.hash, other), 'BEACON_CONFLICT');
    await store.certificates.replaceForBeacon(csd6.hash, other);
    await reopen();
    expect(await store.certificates.get(csd6.hash)).to.equal(undefined);
    expect((await store.certificates.getByBeacon(certificateSignedEntityType(csd6)))?.hash).to.equal(
      other.hash,
    );
    expect((await store.certificates.latest('CardanoStakeDistribution'))?.hash).to.equal(other.hash);
    expect(await store.certificates.list()).to.have.length(chain.length);
    // Replacing again with the certificate already kept is a no-op.
    await store.certificates.replaceForBeacon(csd6.hash, other);
    // A free beacon is "replaced" from nothing.
    const msd8 = rival(byBeacon('MithrilStakeDistribution', 7), {
      type: 'MithrilStakeDistribution',
      epoch: 8,
    });
    await store.certificates.replaceForBeacon(undefined, msd8);
    expect((await store.certificates.latest('MithrilStakeDistribution'))?.hash).to.equal(msd8.hash);
  });

  it('moves the genesis index with a replaced genesis certificate', async () => {
    await store.certificates.put(genesis);
    const otherGenesis = rival(genesis);
    await store.certificates.replaceForBeacon(genesis.hash, otherGenesis);
    expect((await store.certificates.genesis())?.hash).to.equal(otherGenesis.hash);
    // A standard certificate for the genesis beacon leaves no genesis behind.
    const standard = rival(byBeacon('MithrilStakeDistribution', 5), {
      type: 'MithrilStakeDistribution',
      epoch: genesis.epoch,
    });
    await store.certificates.replaceForBeacon(otherGenesis.hash, standard);
    expect(await store.certificates.genesis()).to.equal(undefined);
    expect(hashes(await store.certificates.list())).to.deep.equal([standard.hash]);
  });

  it('writes a certificate and its indexes in one batch: a failing write leaves no part', async () => {
    const location = temp.dir('atomic');
    const db = createRootDb(location);
    await db.open();
    const sublevels = openSublevels(db);
    const certificates = createCertificateStore(db, sublevels);
    const failIndexWrite = (op: { sublevel?: unknown }): void => {
      if (op.sublevel === sublevels.certificateBeacons) throw new Error('disk full');
    };
    db.hooks.prewrite.add(failIndexWrite);
    let error: unknown;
    await certificates.put(genesis).catch((e: unknown) => (error = e));
    expect(error).to.have.property('code', 'LEVEL_HOOK_ERROR');
    db.hooks.prewrite.delete(failIndexWrite);
    expect(await db.keys().all()).to.deep.equal([]);
    expect(await certificates.get(genesis.hash)).to.equal(undefined);
    expect(await certificates.genesis()).to.equal(undefined);
    // The store is still usable, and writes go on.
    await certificates.put(genesis);
    expect((await certificates.genesis())?.hash).to.equal(genesis.hash);
    await db.close();
  });

  it('serializes concurrent writes to one beacon: one wins, the other conflicts', async () => {
    const msd5 = byBeacon('MithrilStakeDistribution', 5);
    const results = await Promise.allSettled([
      store.certificates.put(msd5),
      store.certificates.put(rival(msd5)),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected']);
    expect(hashes(await store.certificates.list())).to.deep.equal([msd5.hash]);
  });

  it('reports undecodable certificates and dangling index entries as CORRUPT_RECORD', async () => {
    const msd5 = byBeacon('MithrilStakeDistribution', 5);
    const msd6 = byBeacon('MithrilStakeDistribution', 6);
    await store.certificates.put(msd5);
    await store.close();
    await withRawDb(join(dataDir, 'db'), async (_db, s) => {
      await s.certificates.put(msd5.hash, stringifyCertificate(msd5).slice(0, -1));
      // An index entry naming a certificate that is not there.
      await s.certificateBeacons.put(entityKey(certificateSignedEntityType(msd6)), msd6.hash);
      // A certificate stored under another certificate's hash.
      await s.certificates.put('ab'.repeat(32), stringifyCertificate(msd6));
    });
    store = await openMeshStore({ dataDir, network });
    const error = await expectStoreError(store.certificates.get(msd5.hash), 'CORRUPT_RECORD');
    expect(error.message).to.contain(msd5.hash);
    await expectStoreError(
      store.certificates.getByBeacon(certificateSignedEntityType(msd6)),
      'CORRUPT_RECORD',
    );
    await expectStoreError(store.certificates.latest('MithrilStakeDistribution'), 'CORRUPT_RECORD');
    await expectStoreError(store.certificates.list(), 'CORRUPT_RECORD');
    await expectStoreError(store.certificates.get('ab'.repeat(32)), 'CORRUPT_RECORD');
  });
});
