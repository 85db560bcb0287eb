/**
 * The key-registration Merkle tree of the concatenation proof system (spec §1.3; reference
 * mithril-stm `membership_commitment/merkle_tree/{tree,commitment,leaf}.rs`).
 *
 * Heap layout: with n leaves and P = next_power_of_two(n) there are n + P - 1 nodes; leaf j sits at
 * heap index P - 1 + j and node i has children 2i + 1 and 2i + 2. A child index past the array is
 * the padding constant z = BLAKE2b-256(0x00), used as a node value, so the tree is a perfect tree
 * of P leaves padded with z.
 */
import { concatBytes, equalBytes, u64BE } from '../encoding/bytes.ts';
import type { MerkleBatchPath, MerkleCommitment, RegistrationEntry } from './types.ts';
import { StmParameterError, StmVerificationError } from './errors.ts';

/** RustCrypto `Blake2b<U32>`: BLAKE2b with a 32-byte output parameter (not a truncated -512). */
const NODE_HASH_BYTES = 32;
/** Compressed G2 verification key length (blst min_sig). */
const VK_BYTES = 96;
/** BLAKE2b block size (RFC 7693): every Merkle hash input (1, 64 or 104 bytes) fits in one block. */
const BLOCK_BYTES = 128;
/** RFC 7693 §2.6 IV (the SHA-512 IV) as little-endian u32 pairs (low word first). */
// prettier-ignore
const IV = Uint32Array.from([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);
/** RFC 7693 §2.7 message schedule; rounds 10 and 11 reuse rows 0 and 1. */
// prettier-ignore
const SIGMA = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
  11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
  7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
  9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
  2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
  12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
  13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
  6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
  10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
]);
/** RFC 7693: BLAKE2b runs 12 rounds. */
const ROUNDS = 12;
/** 16 message words of 64 bits per block, each selected once per round. */
const WORDS_PER_ROUND = 16;
/** Per round, offsets into `msgWords` (2·σ, as each 64-bit word is two u32). */
const SCHEDULE = Uint8Array.from(
  { length: ROUNDS * WORDS_PER_ROUND },
  (_, i) => 2 * SIGMA[(Math.floor(i / WORDS_PER_ROUND) % 10) * WORDS_PER_ROUND + (i % WORDS_PER_ROUND)]!,
);
/** Parameter block word 0 for a 32-byte digest, no key, fanout 1, depth 1 (RFC 7693 §2.5). */
const PARAM_WORD0 = 0x01010000 | NODE_HASH_BYTES;
/** 2^32: the carry out of a sum of u32 halves is floor(sum / 2^32). */
const TWO_POW_32 = 0x100000000;

/** A 128-byte block, and the 16-word work vector, as u32 halves of 64-bit words: 32 each. */
const U32_PER_BLOCK = BLOCK_BYTES / 4;

/**
 * Scratch state shared by all calls (synchronous code only): the input block, its message words
 * and the work vector v_0..v_15, with v_j in work[2j] (low) and work[2j + 1] (high).
 */
const block = new Uint8Array(BLOCK_BYTES);
const msgWords = new Uint32Array(U32_PER_BLOCK);
const work = new Uint32Array(U32_PER_BLOCK);

/** RFC 7693 G on 64-bit words held as (low, high) u32 pairs at even offsets of `work`. */
function mix(a: number, b: number, c: number, d: number, x: number, y: number): void {
  const v = work;
  const m = msgWords;
  let lo = v[a]! + v[b]! + m[x]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + m[x + 1]! + ((lo / TWO_POW_32) | 0);
  v[a] = lo;
  let xl = v[d]! ^ v[a]!;
  let xh = v[d + 1]! ^ v[a + 1]!;
  v[d] = xh;
  v[d + 1] = xl;
  lo = v[c]! + v[d]!;
  v[c + 1] = v[c + 1]! + v[d + 1]! + ((lo / TWO_POW_32) | 0);
  v[c] = lo;
  xl = v[b]! ^ v[c]!;
  xh = v[b + 1]! ^ v[c + 1]!;
  v[b] = (xl >>> 24) | (xh << 8);
  v[b + 1] = (xh >>> 24) | (xl << 8);
  lo = v[a]! + v[b]! + m[y]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + m[y + 1]! + ((lo / TWO_POW_32) | 0);
  v[a] = lo;
  xl = v[d]! ^ v[a]!;
  xh = v[d + 1]! ^ v[a + 1]!;
  v[d] = (xl >>> 16) | (xh << 16);
  v[d + 1] = (xh >>> 16) | (xl << 16);
  lo = v[c]! + v[d]!;
  v[c + 1] = v[c + 1]! + v[d + 1]! + ((lo / TWO_POW_32) | 0);
  v[c] = lo;
  xl = v[b]! ^ v[c]!;
  xh = v[b + 1]! ^ v[c + 1]!;
  v[b] = (xl << 1) | (xh >>> 31);
  v[b + 1] = (xh << 1) | (xl >>> 31);
}

/**
 * BLAKE2b-256 of the first `length` bytes of `block` (length ≤ 128: one final block). The tree
 * needs thousands of these per proof; this costs a fraction of a general-purpose hasher's setup.
 */
function hashBlock(length: number): Uint8Array {
  block.fill(0, length);
  for (let i = 0; i < U32_PER_BLOCK; i++) {
    const o = 4 * i;
    msgWords[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24);
  }
  // v_0..v_7 = h (the IV with the parameter block), v_8..v_15 = IV.
  work.set(IV, 0);
  work.set(IV, 16);
  work[0] = work[0]! ^ PARAM_WORD0;
  // Byte counter t = length (its high words stay 0) and the final-block flag f0 = ~0.
  work[24] = work[24]! ^ length;
  work[28] = ~work[28]!;
  work[29] = ~work[29]!;
  const sc = SCHEDULE;
  // Per round: G on the four columns, then on the four diagonals (RFC 7693 §3.2).
  for (let o = 0; o < ROUNDS * WORDS_PER_ROUND; o += WORDS_PER_ROUND) {
    mix(0, 8, 16, 24, sc[o]!, sc[o + 1]!);
    mix(2, 10, 18, 26, sc[o + 2]!, sc[o + 3]!);
    mix(4, 12, 20, 28, sc[o + 4]!, sc[o + 5]!);
    mix(6, 14, 22, 30, sc[o + 6]!, sc[o + 7]!);
    mix(0, 10, 20, 30, sc[o + 8]!, sc[o + 9]!);
    mix(2, 12, 22, 24, sc[o + 10]!, sc[o + 11]!);
    mix(4, 14, 16, 26, sc[o + 12]!, sc[o + 13]!);
    mix(6, 8, 18, 28, sc[o + 14]!, sc[o + 15]!);
  }
  // h'_j = h_j ^ v_j ^ v_(j+8); the digest is the first 32 bytes of h' in little-endian.
  const out = new Uint8Array(NODE_HASH_BYTES);
  for (let i = 0; i < NODE_HASH_BYTES / 4; i++) {
    const h = (IV[i]! ^ (i === 0 ? PARAM_WORD0 : 0) ^ work[i]! ^ work[i + 16]!) >>> 0;
    out[4 * i] = h & 0xff;
    out[4 * i + 1] = (h >>> 8) & 0xff;
    out[4 * i + 2] = (h >>> 16) & 0xff;
    out[4 * i + 3] = h >>> 24;
  }
  return out;
}

/** BLAKE2b-256 of `left ‖ right` (at most 128 bytes in total). */
export function blake2b256Short(left: Uint8Array, right: Uint8Array = new Uint8Array(0)): Uint8Array {
  const length = left.length + right.length;
  if (length > BLOCK_BYTES) {
    throw new StmParameterError('INVALID_PARAMETERS', `${length} bytes exceed one BLAKE2b block`);
  }
  block.set(left, 0);
  block.set(right, left.length);
  return hashBlock(length);
}

/** z = BLAKE2b-256(0x00) = 03170a2e…4c111314: the value of every missing padding node. */
export const MERKLE_PADDING_NODE: Uint8Array = blake2b256Short(new Uint8Array([0]));

/** Leaf bytes vk (96) ‖ BE64(stake) (reference `MerkleTreeConcatenationLeaf::to_bytes`). */
export function merkleLeafBytes(entry: RegistrationEntry): Uint8Array {
  if (entry.vk.length !== VK_BYTES) {
    throw new StmParameterError('INVALID_PARAMETERS', `verification key has ${entry.vk.length} bytes`);
  }
  return concatBytes(entry.vk, u64BE(entry.stake, 'stake'));
}

export function merkleLeafHash(entry: RegistrationEntry): Uint8Array {
  return blake2b256Short(merkleLeafBytes(entry));
}

/** Rust `usize::next_power_of_two` for n >= 1. */
function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const parent = (i: number): number => Math.floor((i - 1) / 2);
const sibling = (i: number): number => (i % 2 === 1 ? i + 1 : i - 1);

/** `msg' = msg ‖ root`: what signers sign and feed to the lottery (`concatenate_with_message`). */
export function messageWithCommitment(msg: Uint8Array, commitment: MerkleCommitment): Uint8Array {
  return concatBytes(msg, commitment.root);
}

export class MerkleTree {
  readonly nrLeaves: number;
  /** Heap array of node hashes; index 0 is the root. */
  private readonly nodes: Uint8Array[];
  private readonly leafOffset: number;

  private constructor(leafHashes: Uint8Array[]) {
    const n = leafHashes.length;
    const numNodes = n + nextPowerOfTwo(n) - 1;
    const nodes = new Array<Uint8Array>(numNodes);
    const leafOffset = numNodes - n;
    for (let j = 0; j < n; j++) nodes[leafOffset + j] = leafHashes[j]!;
    for (let i = leafOffset - 1; i >= 0; i--) {
      const left = 2 * i + 1;
      const right = 2 * i + 2;
      nodes[i] = blake2b256Short(
        left < numNodes ? nodes[left]! : MERKLE_PADDING_NODE,
        right < numNodes ? nodes[right]! : MERKLE_PADDING_NODE,
      );
    }
    this.nrLeaves = n;
    this.nodes = nodes;
    this.leafOffset = leafOffset;
  }

  /** Builds the tree over entries already in signer-index order. */
  static fromEntries(entries: readonly RegistrationEntry[]): MerkleTree {
    if (entries.length === 0) {
      throw new StmParameterError('INVALID_PARAMETERS', 'a Merkle tree needs at least one leaf');
    }
    return new MerkleTree(entries.map(merkleLeafHash));
  }

  get root(): Uint8Array {
    return this.nodes[0]!;
  }

  commitment(): MerkleCommitment {
    return { root: this.root, nrLeaves: this.nrLeaves };
  }

  /**
   * Batch opening ("Octopus", reference `compute_merkle_tree_batch_path`) of the leaves at
   * `indices`, which must be non-empty, in range and sorted (the reference asserts the same).
   * Level by level: a position whose sibling is the next position needs no proof element;
   * otherwise its sibling node is appended when it exists (a missing padding leaf adds nothing).
   */
  batchPath(indices: readonly number[]): MerkleBatchPath {
    if (indices.length === 0) {
      throw new StmParameterError('INVALID_BATCH_INDICES', 'a batch path needs at least one index');
    }
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i]!;
      if (!Number.isSafeInteger(v) || v < 0 || v >= this.nrLeaves) {
        throw new StmParameterError('INVALID_BATCH_INDICES', `leaf ${v} out of ${this.nrLeaves}`);
      }
      if (i > 0 && v < indices[i - 1]!) {
        throw new StmParameterError('INVALID_BATCH_INDICES', 'batch path indices must be sorted');
      }
    }
    const values: Uint8Array[] = [];
    let positions = indices.map((i) => i + this.leafOffset);
    let idx = positions[0]!;
    while (idx > 0) {
      idx = parent(idx);
      const next: number[] = [];
      for (let i = 0; i < positions.length; i++) {
        const pos = positions[i]!;
        next.push(parent(pos));
        const sib = sibling(pos);
        if (i < positions.length - 1 && positions[i + 1] === sib) i++;
        else if (sib < this.nodes.length) values.push(this.nodes[sib]!);
      }
      positions = next;
    }
    return { values, indices: [...indices] };
  }
}

function invalidPath(reason: string): StmVerificationError {
  return new StmVerificationError('BATCH_PATH_INVALID', `batch path invalid: ${reason}`);
}

/**
 * Checks that `leaves` (in proof order) sit at `path.indices` of the tree committed to by
 * `commitment`; throws `StmVerificationError('BATCH_PATH_INVALID')` otherwise.
 *
 * Mirrors `verify_leaves_membership_from_batch_path` step by step, including what it does not
 * check: indices need only be sorted (not distinct, not below nr_leaves: such leaves cannot
 * reproduce the root short of a hash collision) and unused trailing `values` are ignored.
 * Values are consumed with a cursor where the reference shifts its vector.
 */
export function verifyBatchPath(
  commitment: MerkleCommitment,
  leaves: readonly RegistrationEntry[],
  path: MerkleBatchPath,
): void {
  const { indices, values } = path;
  if (leaves.length !== indices.length) throw invalidPath('leaf and index counts differ');
  // The reference indexes ordered_indices[0] and would panic on an empty path.
  if (indices.length === 0) throw invalidPath('no leaves');
  const nrLeaves = commitment.nrLeaves;
  if (!Number.isSafeInteger(nrLeaves) || nrLeaves < 1) throw invalidPath('empty tree');
  const p = nextPowerOfTwo(nrLeaves);
  const nrNodes = nrLeaves + p - 1;
  let positions: number[] = new Array<number>(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const v = indices[i]!;
    if (!Number.isSafeInteger(v) || v < 0 || !Number.isSafeInteger(v + p - 1)) {
      throw invalidPath(`index ${v} is not a valid leaf index`);
    }
    if (i > 0 && v < indices[i - 1]!) throw invalidPath('indices are not sorted');
    positions[i] = v + p - 1;
  }

  let hashes = leaves.map(merkleLeafHash);
  let cursor = 0;
  const takeValue = (): Uint8Array => {
    const v = values[cursor++];
    if (v === undefined) throw invalidPath('ran out of path values');
    // The reference would hash a value of another length and then miss the root.
    if (v.length !== NODE_HASH_BYTES) throw invalidPath(`path value of ${v.length} bytes`);
    return v;
  };
  let idx = positions[0]!;
  while (idx > 0) {
    idx = parent(idx);
    const nextHashes: Uint8Array[] = [];
    const nextPositions: number[] = [];
    for (let i = 0; i < positions.length; i++) {
      const pos = positions[i]!;
      nextPositions.push(parent(pos));
      if (pos % 2 === 0) {
        // A right child: its left sibling comes from the path.
        nextHashes.push(blake2b256Short(takeValue(), hashes[i]!));
      } else {
        const sib = sibling(pos);
        if (i < positions.length - 1 && positions[i + 1] === sib) {
          nextHashes.push(blake2b256Short(hashes[i]!, hashes[i + 1]!));
          i++;
        } else if (sib < nrNodes) {
          nextHashes.push(blake2b256Short(hashes[i]!, takeValue()));
        } else {
          nextHashes.push(blake2b256Short(hashes[i]!, MERKLE_PADDING_NODE));
        }
      }
    }
    hashes = nextHashes;
    positions = nextPositions;
  }
  if (hashes.length !== 1 || !equalBytes(hashes[0]!, commitment.root)) {
    throw invalidPath('root mismatch');
  }
}
