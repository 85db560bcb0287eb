import { blake2b } from '@noble/hashes/blake2.js';
import { expect } from 'chai';
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '../../../protocol/encoding/bytes.ts';
import { StmParameterError, StmVerificationError } from '../../../protocol/stm/errors.ts';
import {
  MERKLE_PADDING_NODE,
  blake2b256Short,
  MerkleTree,
  merkleLeafHash,
  messageWithCommitment,
  verifyBatchPath,
} from '../../../protocol/stm/merkle.ts';
import { ClosedKeyRegistration } from '../../../protocol/stm/registration.ts';
import type { MerkleBatchPath, RegistrationEntry } from '../../../protocol/stm/types.ts';
import { VK1, VK2 } from './vectors.ts';

function expectPathInvalid(fn: () => void): void {
  expect(fn).to.throw(StmVerificationError).with.property('code', 'BATCH_PATH_INVALID');
}

const entryArb = fc.record({
  vk: fc.uint8Array({ minLength: 96, maxLength: 96 }),
  stake: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});

/** A tree of 1..40 leaves and a sorted, distinct, non-empty subset of its leaf indices. */
const treeAndSubset = fc.array(entryArb, { minLength: 1, maxLength: 40 }).chain((entries) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: entries.length - 1 }), {
      minLength: 1,
      maxLength: entries.length,
    })
    .map((idx) => ({ entries, indices: [...idx].sort((a, b) => a - b) })),
);

describe('stm/merkle', () => {
  it('V2: leaf hashes, padding z and the root of vk1, vk2 with stake 1', () => {
    const reg = ClosedKeyRegistration.fromEntries([
      { vk: VK2, stake: 1n },
      { vk: VK1, stake: 1n },
    ]);
    expect(bytesToHex(MERKLE_PADDING_NODE)).to.equal(
      '03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314',
    );
    expect(bytesToHex(merkleLeafHash({ vk: VK1, stake: 1n }))).to.match(/^0f6dd924.*8af9b6$/);
    expect(bytesToHex(merkleLeafHash({ vk: VK2, stake: 1n }))).to.match(/^173ce894.*946062$/);
    expect(bytesToHex(reg.avk.mtCommitment.root)).to.equal(
      '38255f6b9d62fcc2beccaa1ae00ad407d65974c4d97a6f3871fd602daa79eb9f',
    );
    expect(reg.avk.mtCommitment.nrLeaves).to.equal(2);
    expect(reg.avk.totalStake).to.equal(2n);
    expect(reg.entries.map((e) => e.vk)).to.deep.equal([VK1, VK2]);
    const msgPrime = messageWithCommitment(new Uint8Array(16), reg.avk.mtCommitment);
    expect(bytesToHex(msgPrime)).to.equal('00'.repeat(16) + bytesToHex(reg.avk.mtCommitment.root));
  });

  it('its one-block BLAKE2b-256 equals noble blake2b with dkLen 32 for inputs of 0..128 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), fc.nat(), (x, cut) => {
        const at = cut % (x.length + 1);
        expect(blake2b256Short(x.subarray(0, at), x.subarray(at))).to.deep.equal(blake2b256(x));
      }),
      { numRuns: 300 },
    );
    for (let len = 0; len <= 128; len++) {
      const x = Uint8Array.from({ length: len }, (_, i) => (i * 151 + len) & 0xff);
      expect(blake2b256Short(x)).to.deep.equal(blake2b256(x));
    }
    expect(() => blake2b256Short(new Uint8Array(100), new Uint8Array(29))).to.throw(StmParameterError);
  });

  it('a single leaf is the root and opens with an empty path', () => {
    const e: RegistrationEntry = { vk: VK1, stake: 5n };
    const t = MerkleTree.fromEntries([e]);
    expect(t.root).to.deep.equal(merkleLeafHash(e));
    const path = t.batchPath([0]);
    expect(path).to.deep.equal({ values: [], indices: [0] });
    verifyBatchPath(t.commitment(), [e], path);
  });

  it('pads with z and omits missing padding siblings from the path (3 leaves)', () => {
    const entries = [1n, 2n, 3n].map((stake) => ({ vk: VK1, stake }));
    const t = MerkleTree.fromEntries(entries);
    const [l0, l1, l2] = entries.map(merkleLeafHash) as [Uint8Array, Uint8Array, Uint8Array];
    // Heap: leaves at 3, 4, 5; node 2 = H(l2 ‖ z) since heap index 6 does not exist.
    const n1 = blake2b256(concat(l0, l1));
    const n2 = blake2b256(concat(l2, MERKLE_PADDING_NODE));
    expect(t.root).to.deep.equal(blake2b256(concat(n1, n2)));
    expect(t.batchPath([0, 2])).to.deep.equal({ values: [l1], indices: [0, 2] });
    expect(t.batchPath([2])).to.deep.equal({ values: [n1], indices: [2] });
    expect(t.batchPath([0, 1, 2])).to.deep.equal({ values: [], indices: [0, 1, 2] });
  });

  it('rejects bad batch path requests like the reference asserts', () => {
    const t = MerkleTree.fromEntries([1n, 2n, 3n].map((stake) => ({ vk: VK1, stake })));
    for (const bad of [[], [3], [2, 1], [-1]]) {
      expect(() => t.batchPath(bad))
        .to.throw(StmParameterError)
        .with.property('code', 'INVALID_BATCH_INDICES');
    }
  });

  it('property: every sorted subset opens, and tampering is detected', () => {
    fc.assert(
      fc.property(treeAndSubset, fc.nat(), ({ entries, indices }, pick) => {
        const t = MerkleTree.fromEntries(entries);
        const c = t.commitment();
        const leaves = indices.map((i) => entries[i]!);
        const path = t.batchPath(indices);
        verifyBatchPath(c, leaves, path);
        // The reference ignores unused trailing values.
        verifyBatchPath(c, leaves, { ...path, values: [...path.values, new Uint8Array(32)] });

        const j = pick % leaves.length;
        const tamperedStake = leaves.map((l, i) => (i === j ? { ...l, stake: l.stake ^ 1n } : l));
        expectPathInvalid(() => verifyBatchPath(c, tamperedStake, path));
        expectPathInvalid(() => verifyBatchPath(c, leaves.slice(1), path));
        expectPathInvalid(() => verifyBatchPath({ ...c, nrLeaves: c.nrLeaves * 2 + 1 }, leaves, path));
        if (path.values.length > 0) {
          const k = pick % path.values.length;
          const values = path.values.map((v, i) => (i === k ? v.map((b) => b ^ 1) : v));
          expectPathInvalid(() => verifyBatchPath(c, leaves, { ...path, values }));
          expectPathInvalid(() => verifyBatchPath(c, leaves, { ...path, values: path.values.slice(1) }));
        }
        if (indices.length > 1) {
          const reversed: MerkleBatchPath = { values: path.values, indices: [...indices].reverse() };
          expectPathInvalid(() => verifyBatchPath(c, [...leaves].reverse(), reversed));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('rejects an empty path, an empty tree and indices beyond the tree', () => {
    const entries = [1n, 2n, 3n].map((stake) => ({ vk: VK2, stake }));
    const t = MerkleTree.fromEntries(entries);
    expectPathInvalid(() => verifyBatchPath(t.commitment(), [], { values: [], indices: [] }));
    expectPathInvalid(() =>
      verifyBatchPath({ root: t.root, nrLeaves: 0 }, [entries[0]!], { values: [], indices: [0] }),
    );
    expectPathInvalid(() => verifyBatchPath(t.commitment(), [entries[0]!], { values: [], indices: [7] }));
    expectPathInvalid(() =>
      verifyBatchPath(t.commitment(), [entries[0]!], { values: [t.root, t.root], indices: [2 ** 60] }),
    );
  });

  it('builds the tree of 3000 leaves and opens 1500 of them quickly', function () {
    this.timeout(20000);
    const entries = Array.from({ length: 3000 }, (_, i) => ({
      vk: hexToBytes('ab'.repeat(96)),
      stake: BigInt(i),
    }));
    const t = MerkleTree.fromEntries(entries);
    const indices = Array.from({ length: 1500 }, (_, i) => 2 * i);
    const path = t.batchPath(indices);
    verifyBatchPath(
      t.commitment(),
      indices.map((i) => entries[i]!),
      path,
    );
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const blake2b256 = (x: Uint8Array): Uint8Array => blake2b(x, { dkLen: 32 });
