/** Fixtures and fast-check arbitraries shared by the codec tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import fc from 'fast-check';
import { DecodeError } from '../../../protocol/errors.ts';
import { U64_MAX } from '../../../protocol/encoding/bytes.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  MerkleBatchPath,
  RegistrationEntry,
  SingleSignature,
  StmParameters,
  VerificationKeyPoP,
} from '../../../protocol/stm/types.ts';

const FIXTURES = new URL('../../fixtures/reference/', import.meta.url);

export interface Golden {
  hex?: string;
  text?: string;
  values?: string[];
}

/** The `goldens` of a fixture copied from the reference (see each file's `source`). */
export function goldens(file: string): Record<string, Golden> {
  return JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')).goldens;
}

export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** Golden values of the reference tests (spec §11 V1–V3), used to check what the goldens decode to. */
export const REF = {
  vk1: '8fa1ff304e39ccdc19dda4fcf80e387eba87e4bc91b534c86163d52e00c7c159bb581d87adf45624533643a406895e48066980805d30b00b04f68a30b4855a8ec018c16f8e1f4c6f6eea995ad0c01f7c5f66319e6334dca55efb44457910e0c2',
  vk2: '9138af207abbd6e2fb94580901679f9250a66bf3fbec291c6f80cfa48493e453f6e4aa44594e3c1c7b8258ea26612a41016435124e83083d7a83ee54e9df9a7676491c1b654e50e97bcedcae86cd476e70b4616200714591e7a82badac3868d0',
  pop1: 'a832e9c10f8841487b9481b026c6d12f1cccb09039fb2a1c424c59619e3f36c6c2b087dd0eb9c5e1ca62f34ae9e18f9793b1aa7542a5423e21d8e84b4472c31664412cc604a666e9fdf03baf3c758e728c7a11576ebb01110ac39a0df95636e2',
  sigma1: '959dc9bb8c360080d15810cb3d4e4d62a1853a981d4ad97140640aa1baa78572d399da38df5469f22936e0aad0b97e53',
  sigma2: '95a916c9d861a3bc73d2d9ece9a1c90d2a840c3f051f78164eb17d86d0cd493af78d3b3ebb51d51e99da292a6e9ca1cd',
  root: '38255f6b9d62fcc2beccaa1ae00ad407d65974c4d97a6f3871fd602daa79eb9f',
};

/** The two-signer aggregate of the reference goldens (proof.rs, aggregate_signature/signature.rs). */
export const GOLDEN_PROOF: ConcatenationProof = {
  signatures: [
    {
      sig: { sigma: fromHex(REF.sigma1), indexes: [1, 4, 5, 8], signerIndex: 0 },
      entry: { vk: fromHex(REF.vk1), stake: 1n },
    },
    {
      sig: { sigma: fromHex(REF.sigma2), indexes: [0, 3, 6], signerIndex: 1 },
      entry: { vk: fromHex(REF.vk2), stake: 1n },
    },
  ],
  batchProof: { values: [], indices: [0, 1] },
};

/**
 * A check of hostile input for one codec: either a `DecodeError`, or a value that encodes to
 * something decoding to the same value.
 */
export function rejectedOrConsistent<I, T>(decode: (x: I) => T, encode: (v: T) => I): (input: I) => void {
  return (input) => {
    let value: T;
    try {
      value = decode(input);
    } catch (e) {
      expect(e, String(e)).to.be.instanceOf(DecodeError);
      return;
    }
    expect(decode(encode(value))).to.deep.equal(value);
  };
}

/** Random edits of a valid encoding: byte flips, insertions, deletions, truncation. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(
        fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'truncate'), fc.nat(), fc.nat({ max: 255 })),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
    )
    .map(([bytes, edits]) => {
      let b = Array.from(bytes);
      for (const [kind, pos, value] of edits) {
        const at = b.length === 0 ? 0 : pos % b.length;
        if (kind === 'flip') b[at] = value;
        else if (kind === 'insert') b.splice(at, 0, value);
        else if (kind === 'delete') b.splice(at, 1);
        else b = b.slice(0, at);
      }
      return Uint8Array.from(b);
    });
}

// ---- arbitraries of STM values (within the shape.ts bounds) ----

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
/** A compressed BLS point: bit 7 of the first byte is the compression flag (so never 0x01). */
const point = (n: number) =>
  bytes(n).map((b) => {
    b[0]! |= 0x80;
    return b;
  });
const index = fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.maxSafeNat());
export const stake = fc.oneof(fc.bigInt({ min: 0n, max: 1n << 20n }), fc.bigInt({ min: 0n, max: U64_MAX }));

/** Strictly increasing, as honest signers and batch paths produce them (the wire form needs it). */
export const sortedIndexes = (maxLength: number) =>
  fc.uniqueArray(index, { maxLength }).map((a) => a.sort((x, y) => x - y));

export const arbParameters: fc.Arbitrary<StmParameters> = fc.record({
  m: fc.maxSafeNat(),
  k: fc.maxSafeNat(),
  phiF: fc.double({ noNaN: true, noDefaultInfinity: true }),
});

export const arbVkPop: fc.Arbitrary<VerificationKeyPoP> = fc.record({ vk: point(96), pop: point(96) });

export const arbSingleSignature: fc.Arbitrary<SingleSignature> = fc.record({
  sigma: point(48),
  indexes: sortedIndexes(12),
  signerIndex: index,
});

export const arbEntry: fc.Arbitrary<RegistrationEntry> = fc.record({ vk: point(96), stake });

export const arbBatchPath: fc.Arbitrary<MerkleBatchPath> = fc.record({
  values: fc.array(bytes(32), { maxLength: 4 }),
  indices: sortedIndexes(4),
});

export const arbAvk: fc.Arbitrary<AggregateVerificationKey> = fc.record({
  mtCommitment: fc.record({ root: bytes(32), nrLeaves: fc.integer({ min: 0, max: 100_000 }) }),
  totalStake: stake,
});

export const arbProof: fc.Arbitrary<ConcatenationProof> = fc.record({
  signatures: fc.array(fc.record({ sig: arbSingleSignature, entry: arbEntry }), { maxLength: 3 }),
  batchProof: arbBatchPath,
});
