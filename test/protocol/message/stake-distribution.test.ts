import { blake2b, blake2s } from '@noble/hashes/blake2.js';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { avkFromJsonHex } from '../../../protocol/codec/json-hex.ts';
import type { JsonObject } from '../../../protocol/codec/json.ts';
import { expectArray, expectObject, expectString, parseJson } from '../../../protocol/codec/json.ts';
import {
  blake2sMerge,
  cardanoStakeDistributionLeaves,
  cardanoStakeDistributionMerkleRoot,
  computeProtocolMessage,
  mmrRoot,
  StakeDistributionError,
} from '../../../protocol/message/stake-distribution.ts';
import type { SignableContext } from '../../../protocol/message/stake-distribution.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const cat = (a: Uint8Array, b: Uint8Array): Uint8Array => Uint8Array.from([...a, ...b]);

/** The devnet certificates (see fixtures/devnet-chain.json "source"). */
const fixture = expectObject(
  parseJson(readFileSync(new URL('../certificate/fixtures/devnet-chain.json', import.meta.url), 'utf8')),
  'fixture',
);
const certificates = expectArray(fixture['certificates'], 'certificates').map((c) =>
  expectObject(c, 'certificate'),
);
const byHashPrefix = (prefix: string): JsonObject =>
  certificates.find((c) => expectString(c['hash'], 'hash').startsWith(prefix))!;
const parts = (c: JsonObject): JsonObject =>
  expectObject(expectObject(c['protocol_message'], 'protocol_message')['message_parts'], 'message_parts');

const devnetDistribution = new Map(
  Object.entries(
    expectObject(
      expectObject(fixture['cardano_stake_distribution'], 'csd')['stake_distribution'],
      'stake_distribution',
    ),
  ).map(([pool, stake]) => [pool, stake as bigint]),
);

describe('protocol/message/stake-distribution', () => {
  describe('Merkle mountain range root (ckb-merkle-mountain-range 0.6.1)', () => {
    it("reproduces the crate's own test_mmr_root vector (11 leaves, BLAKE2b-256 merge)", () => {
      const numberHash = (i: number): Uint8Array => {
        const le = new Uint8Array(4);
        new DataView(le.buffer).setUint32(0, i, true);
        return blake2b(le, { dkLen: 32 });
      };
      const leaves = Array.from({ length: 11 }, (_, i) => numberHash(i));
      const root = mmrRoot(leaves, (l, r) => blake2b(cat(l, r), { dkLen: 32 }));
      expect(hex(root)).to.equal('f6794677f37a57df6a5ec36ce61036e43a36c1a009d05c81c9aa685dde1fd6e3');
    });

    it("reproduces mithril-merkle-tree's golden_merkle_root (5 leaves, BLAKE2s-256 merge)", () => {
      const leaves = ['golden-1', 'golden-2', 'golden-3', 'golden-4', 'golden-5'].map(text);
      expect(hex(mmrRoot(leaves))).to.equal(
        '3bbced153528697ecde7345a22e50115306478353619411523e804f2323fd921',
      );
    });

    it('builds peaks left to right and bags them from the right (hand-worked 1, 2, 3 and 7 leaves)', () => {
      const m = blake2sMerge;
      const [a, b, c, d, e, f, g] = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(text) as [
        Uint8Array,
        Uint8Array,
        Uint8Array,
        Uint8Array,
        Uint8Array,
        Uint8Array,
        Uint8Array,
      ];
      expect(hex(mmrRoot([a]))).to.equal(hex(a)); // a single leaf is its own root, unhashed
      expect(hex(mmrRoot([a, b]))).to.equal(hex(m(a, b)));
      // peaks [ab, c] → merge(right bag, left peak) = merge(c, ab)
      expect(hex(mmrRoot([a, b, c]))).to.equal(hex(m(c, m(a, b))));
      // peaks [abcd, ef, g] → merge(merge(g, ef), abcd)
      const abcd = m(m(a, b), m(c, d));
      expect(hex(mmrRoot([a, b, c, d, e, f, g]))).to.equal(hex(m(m(g, m(e, f)), abcd)));
      expect(hex(m(a, b))).to.equal(hex(blake2s(cat(a, b))));
    });

    it('refuses an empty tree', () => {
      expect(() => mmrRoot([]))
        .to.throw(StakeDistributionError)
        .with.property('code', 'EMPTY_MERKLE_TREE');
    });
  });

  describe('Cardano stake distribution Merkle root', () => {
    it('matches the root signed in the devnet CardanoStakeDistribution certificate', () => {
      const certificate = byHashPrefix('5c9d92b16168b0bf');
      expect(cardanoStakeDistributionMerkleRoot(devnetDistribution)).to.equal(
        parts(certificate)['cardano_stake_distribution_merkle_root'],
      );
      expect(parts(certificate)['cardano_stake_distribution_merkle_root']).to.equal(
        'b5d1d19c846d719e1365135959324247429c5b044c5201c6318c206174b33509',
      );
    });

    it('orders leaves by pool id bytes, whatever the map order, and writes stakes in decimal', () => {
      const forward = new Map([
        ['pool-123', 100n],
        ['pool-456', 150n],
      ]);
      const backward = new Map([...forward].reverse());
      expect(cardanoStakeDistributionMerkleRoot(forward)).to.equal(
        cardanoStakeDistributionMerkleRoot(backward),
      );
      expect(cardanoStakeDistributionLeaves(backward).map((l) => new TextDecoder().decode(l))).to.deep.equal([
        'pool-123100',
        'pool-456150',
      ]);
      // UTF-8 byte order, not UTF-16: U+FFFD (EF BF BD) sorts before U+1F600 (F0 9F 98 80).
      const unicode = new Map([
        ['\u{1F600}', 1n],
        ['\uFFFD', 2n],
      ]);
      expect(cardanoStakeDistributionLeaves(unicode).map((l) => new TextDecoder().decode(l))).to.deep.equal([
        '\uFFFD2',
        '\u{1F600}1',
      ]);
      expect(cardanoStakeDistributionMerkleRoot(new Map([['pool-123', 999n]]))).to.not.equal(
        cardanoStakeDistributionMerkleRoot(new Map([['pool-123', 100n]])),
      );
    });

    it('rejects stakes that are not u64', () => {
      expect(() => cardanoStakeDistributionMerkleRoot(new Map([['p', -1n]])))
        .to.throw(StakeDistributionError)
        .with.property('code', 'INVALID_STAKE');
      expect(() => cardanoStakeDistributionMerkleRoot(new Map([['p', 1n << 64n]]))).to.throw(
        StakeDistributionError,
      );
    });
  });

  describe('computeProtocolMessage', () => {
    const contextOf = (certificate: JsonObject): SignableContext => ({
      nextAggregateVerificationKey: avkFromJsonHex(
        expectString(parts(certificate)['next_aggregate_verification_key'], 'next avk'),
      ),
      nextProtocolParameters: { k: 70, m: 105, phiF: 0.95 },
      currentEpoch: Number(certificate['epoch']),
    });

    it('rebuilds the signed message of a devnet MithrilStakeDistribution certificate', () => {
      const certificate = byHashPrefix('1e2e740710df0ee9');
      const message = computeProtocolMessage(
        { type: 'MithrilStakeDistribution', epoch: 25 },
        contextOf(certificate),
      );
      expect(message.entries().map(([k]) => k)).to.deep.equal([
        'next_aggregate_verification_key',
        'next_protocol_parameters',
        'current_epoch',
      ]);
      expect(message.computeHash()).to.equal(certificate['signed_message']);
    });

    it('rebuilds the signed message of the devnet CardanoStakeDistribution(16) certificate', () => {
      const certificate = byHashPrefix('5c9d92b16168b0bf');
      const message = computeProtocolMessage(
        { type: 'CardanoStakeDistribution', epoch: 16 },
        { ...contextOf(certificate), cardanoStakeDistribution: devnetDistribution },
      );
      expect(message.get('cardano_stake_distribution_epoch')).to.equal('16');
      expect(message.get('current_epoch')).to.equal('17');
      expect(message.computeHash()).to.equal(certificate['signed_message']);
    });

    it('needs the distribution for CSD and refuses the chain-data types', () => {
      const context = contextOf(byHashPrefix('5c9d92b16168b0bf'));
      expect(() => computeProtocolMessage({ type: 'CardanoStakeDistribution', epoch: 16 }, context))
        .to.throw(StakeDistributionError)
        .with.property('code', 'MISSING_STAKE_DISTRIBUTION');
      expect(() =>
        computeProtocolMessage({ type: 'CardanoDatabase', epoch: 16, immutableFileNumber: 3 }, context),
      )
        .to.throw(StakeDistributionError)
        .with.property('code', 'UNSUPPORTED_SIGNED_ENTITY_TYPE');
    });
  });
});
