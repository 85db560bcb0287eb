import { expect } from 'chai';
import { join } from 'node:path';
import type { Sublevels } from '../../../node/store/db.ts';
import type { LevelMeshStore } from '../../../node/store/index.ts';
import { openMeshStore } from '../../../node/store/index.ts';
import { entityKey } from '../../../node/store/keys.ts';
import { CURVE_ORDER } from '../../../protocol/crypto/bls/index.ts';
import { concatBytes, u64BE, utf8 } from '../../../protocol/encoding/bytes.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import { expectStoreError, tempRoot, withRawDb } from './helpers.ts';

const network = 'devnet';
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
/** Above 2^53: must survive exactly (mainnet stakes are ~2.2e16). */
const BIG_STAKE = (1n << 60n) + 12_345n;

describe('store: sub-stores', () => {
  const temp = tempRoot('store-subs');
  let dataDir: string;
  let store: LevelMeshStore;

  /** Close and reopen: every check below also holds across a restart. */
  const reopen = async (): Promise<void> => {
    await store.close();
    store = await openMeshStore({ dataDir, network });
  };

  beforeEach(async () => {
    dataDir = temp.dir('subs');
    store = await openMeshStore({ dataDir, network });
  });
  afterEach(() => store.close());
  after(() => temp.remove());

  describe('registrations', () => {
    it('round-trips messages and lists one epoch in party id order', async () => {
      await store.registrations.put(10, 'pool1b', bytes(2));
      await store.registrations.put(10, 'pool1a', bytes(1));
      await store.registrations.put(2, 'pool1z', bytes(9));
      await store.registrations.put(11, 'pool1a', bytes(3));
      await reopen();
      expect(await store.registrations.get(10, 'pool1a')).to.deep.equal(bytes(1));
      expect(await store.registrations.get(10, 'pool1c')).to.equal(undefined);
      expect(await store.registrations.list(10)).to.deep.equal([
        { partyId: 'pool1a', message: bytes(1) },
        { partyId: 'pool1b', message: bytes(2) },
      ]);
      expect(await store.registrations.list(3)).to.deep.equal([]);
    });

    it('round-trips closed registrations with stakes above 2^53', async () => {
      const record = {
        epoch: 12,
        entries: [
          { partyId: 'pool1b', vk: bytes(0xaa, 0xbb), stake: BIG_STAKE },
          { partyId: 'pool1a', vk: bytes(0xcc), stake: 1n },
        ],
        closedAtMs: 1_767_225_600_123,
      };
      await store.registrations.putClosed(record);
      await reopen();
      expect(await store.registrations.getClosed(12)).to.deep.equal(record);
      expect(await store.registrations.getClosed(11)).to.equal(undefined);
    });

    it('prunes registrations and closed sets before an epoch, in epoch order (2 < 10)', async () => {
      for (const epoch of [1, 2, 9, 10, 256]) {
        await store.registrations.put(epoch, 'pool1a', bytes(epoch & 0xff));
        await store.registrations.putClosed({ epoch, entries: [], closedAtMs: 0 });
      }
      await store.registrations.prune(10);
      await reopen();
      for (const epoch of [1, 2, 9]) {
        expect(await store.registrations.get(epoch, 'pool1a')).to.equal(undefined);
        expect(await store.registrations.getClosed(epoch)).to.equal(undefined);
      }
      for (const epoch of [10, 256]) {
        expect(await store.registrations.list(epoch)).to.have.length(1);
        expect(await store.registrations.getClosed(epoch)).to.have.property('epoch', epoch);
      }
    });
  });

  describe('own keys', () => {
    it('round-trips secret keys (full-width scalars) and prunes by epoch', async () => {
      const big = CURVE_ORDER - 1n;
      await store.ownKeys.put(2, 'pool1a', big);
      await store.ownKeys.put(10, 'pool1a', 7n);
      await store.ownKeys.put(10, 'pool1b', 8n);
      await reopen();
      expect(await store.ownKeys.get(2, 'pool1a')).to.equal(big);
      expect(await store.ownKeys.get(10, 'pool1b')).to.equal(8n);
      await store.ownKeys.prune(10);
      expect(await store.ownKeys.get(2, 'pool1a')).to.equal(undefined);
      expect(await store.ownKeys.get(10, 'pool1a')).to.equal(7n);
    });

    it('refuses a value that is not a secret key', async () => {
      let error: unknown;
      await store.ownKeys.put(1, 'pool1a', 0n).catch((e: unknown) => (error = e));
      expect(error).to.have.property('code', 'INVALID_SECRET_KEY');
    });
  });

  describe('signatures', () => {
    const msd = (epoch: number): SignedEntityType => ({ type: 'MithrilStakeDistribution', epoch });
    const ctx = (epoch: number, blockNumber: number): SignedEntityType => ({
      type: 'CardanoTransactions',
      epoch,
      blockNumber,
    });

    it('round-trips and lists one beacon only', async () => {
      await store.signatures.put(ctx(10, 1_500), 'pool1b', bytes(2));
      await store.signatures.put(ctx(10, 1_500), 'pool1a', bytes(1));
      await store.signatures.put(ctx(10, 1_515), 'pool1a', bytes(3));
      await store.signatures.put(msd(10), 'pool1a', bytes(4));
      await store.signatures.put({ type: 'CardanoStakeDistribution', epoch: 10 }, 'pool1a', bytes(5));
      await reopen();
      expect(await store.signatures.get(ctx(10, 1_500), 'pool1b')).to.deep.equal(bytes(2));
      expect(await store.signatures.get(ctx(10, 1_530), 'pool1b')).to.equal(undefined);
      expect(await store.signatures.list(ctx(10, 1_500))).to.deep.equal([
        { partyId: 'pool1a', message: bytes(1) },
        { partyId: 'pool1b', message: bytes(2) },
      ]);
      expect(await store.signatures.list(msd(10))).to.deep.equal([{ partyId: 'pool1a', message: bytes(4) }]);
    });

    it('keeps discontinued beacons with and without a network apart', async () => {
      const bare: SignedEntityType = { type: 'CardanoImmutableFilesFull', epoch: 3, immutableFileNumber: 9 };
      const named: SignedEntityType = { ...bare, network: 'preview' };
      await store.signatures.put(bare, 'p', bytes(1));
      await store.signatures.put(named, 'p', bytes(2));
      expect(await store.signatures.list(bare)).to.deep.equal([{ partyId: 'p', message: bytes(1) }]);
      expect(await store.signatures.list(named)).to.deep.equal([{ partyId: 'p', message: bytes(2) }]);
    });

    it('prunes the beacons of every type whose epoch is before the given one', async () => {
      const beacons: SignedEntityType[] = [
        msd(2),
        msd(10),
        ctx(9, 99),
        ctx(10, 0),
        { type: 'CardanoDatabase', epoch: 9, immutableFileNumber: 1 },
        { type: 'CardanoBlocksTransactions', epoch: 300, blockNumber: 5, blockNumberOffset: 15 },
      ];
      for (const beacon of beacons) await store.signatures.put(beacon, 'pool1a', bytes(1));
      await store.signatures.prune(10);
      await reopen();
      const kept = [];
      for (const beacon of beacons) {
        if ((await store.signatures.get(beacon, 'pool1a')) !== undefined) kept.push(beacon);
      }
      expect(kept).to.deep.equal([beacons[1], beacons[3], beacons[5]]);
    });
  });

  describe('stake distributions', () => {
    it('round-trips a distribution in its order, stakes above 2^53 exactly', async () => {
      const distribution = new Map([
        ['pool1z', BIG_STAKE],
        ['2', 5n],
        ['1', 0n],
      ]);
      await store.stakeDistributions.put(10, distribution);
      await reopen();
      const got = await store.stakeDistributions.get(10);
      expect([...got!]).to.deep.equal([...distribution]);
      expect(await store.stakeDistributions.get(2)).to.equal(undefined);
    });
  });

  describe('values the store cannot keep faithfully', () => {
    it('refuses them with INVALID_VALUE and stores nothing', async () => {
      await expectStoreError(store.stakeDistributions.put(3, new Map([['pool1a', -1n]])), 'INVALID_VALUE');
      await expectStoreError(
        store.stakeDistributions.put(3, new Map([['pool1a', 1n << 64n]])),
        'INVALID_VALUE',
      );
      await expectStoreError(
        store.registrations.putClosed({ epoch: 3, entries: [], closedAtMs: 1.5 }),
        'INVALID_VALUE',
      );
      await expectStoreError(
        store.peers.put({ peerId: 'p', multiaddrs: [], lastSeenMs: -1 }),
        'INVALID_VALUE',
      );
      expect(await store.stakeDistributions.get(3)).to.equal(undefined);
      expect(await store.registrations.getClosed(3)).to.equal(undefined);
      expect(await store.peers.list()).to.deep.equal([]);
    });
  });

  describe('peers', () => {
    it('round-trips, lists in peer id order, removes', async () => {
      const b = { peerId: '12D3KooWB', multiaddrs: ['/ip4/10.0.0.2/tcp/4001'], lastSeenMs: 2 };
      const a = { peerId: '12D3KooWA', multiaddrs: [], lastSeenMs: 1 };
      await store.peers.put(b);
      await store.peers.put(a);
      await store.peers.put({ ...b, lastSeenMs: 3 });
      await reopen();
      expect(await store.peers.list()).to.deep.equal([a, { ...b, lastSeenMs: 3 }]);
      await store.peers.remove(a.peerId);
      expect(await store.peers.list()).to.deep.equal([{ ...b, lastSeenMs: 3 }]);
    });
  });

  describe('key layout', () => {
    it('orders entity keys by type, then epoch numerically, then beacon', () => {
      const keys = [
        entityKey({ type: 'CardanoTransactions', epoch: 10, blockNumber: 1 }),
        entityKey({ type: 'CardanoTransactions', epoch: 2, blockNumber: 300 }),
        entityKey({ type: 'CardanoTransactions', epoch: 2, blockNumber: 256 }),
        entityKey({ type: 'MithrilStakeDistribution', epoch: 2 ** 40 }),
      ];
      const sorted = [...keys].sort(Buffer.compare);
      expect(sorted).to.deep.equal([keys[3], keys[2], keys[1], keys[0]]);
      expect(keys[0]).to.deep.equal(concatBytes(bytes(3), u64BE(10), u64BE(1)));
    });
  });

  describe('corrupt records', () => {
    /** Writes a raw record behind the store's back, then reopens the store. */
    const plant = async (write: (sublevels: Sublevels) => Promise<void>): Promise<void> => {
      await store.close();
      await withRawDb(join(dataDir, 'db'), (_db, sublevels) => write(sublevels));
      store = await openMeshStore({ dataDir, network });
    };

    it('throws CORRUPT_RECORD naming the key, never garbage', async () => {
      await plant((s) => s.closedRegistrations.put(u64BE(5), '{"epoch":5,"entries":[{"party_id":1}]'));
      const error = await expectStoreError(store.registrations.getClosed(5), 'CORRUPT_RECORD');
      expect(error.message).to.contain('closed-registrations/0000000000000005');
      // Decodes, but is not the record of its key's epoch.
      await plant((s) => s.closedRegistrations.put(u64BE(6), '{"epoch":7,"entries":[],"closed_at_ms":0}'));
      await expectStoreError(store.registrations.getClosed(6), 'CORRUPT_RECORD');
      await plant((s) => s.stakeDistributions.put(u64BE(5), '[["pool1a",-1]]'));
      await expectStoreError(store.stakeDistributions.get(5), 'CORRUPT_RECORD');
      await plant((s) => s.peers.put('peer', '{"multiaddrs":"x","last_seen_ms":1}'));
      await expectStoreError(store.peers.list(), 'CORRUPT_RECORD');
      await plant((s) => s.ownKeys.put(concatBytes(u64BE(5), utf8('pool1a')), bytes(1, 2, 3)));
      await expectStoreError(store.ownKeys.get(5, 'pool1a'), 'CORRUPT_RECORD');
    });
  });
});
