import { expect } from 'chai';
import fc from 'fast-check';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { EncodeError } from '../../../protocol/codec/shape.ts';
import {
  avkFromWire,
  avkToWire,
  concatenationProofFromWire,
  concatenationProofToWire,
  MAX_WIRE_BYTES,
  singleSignatureFromWire,
  singleSignatureToWire,
  vkPopFromWire,
  vkPopToWire,
  WIRE_VK_POP_BYTES,
  WireDecodeError,
  WireKind,
  wireKind,
} from '../../../protocol/codec/wire.ts';
import {
  arbAvk,
  arbProof,
  arbSingleSignature,
  arbVkPop,
  fromHex,
  GOLDEN_PROOF,
  mutatedBytes,
  rejectedOrConsistent,
} from './helpers.ts';

const RUNS = { numRuns: 200 };

function expectCode(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    expect(e).to.be.instanceOf(WireDecodeError);
    expect((e as WireDecodeError).code).to.equal(code);
    return;
  }
  expect.fail(`expected WireDecodeError ${code}`);
}

/** Decoding succeeds only on the canonical encoding: decode ∘ encode is the identity on bytes. */
function canonical<T>(decode: (b: Uint8Array) => T, encode: (v: T) => Uint8Array) {
  return (bytes: Uint8Array): void => {
    let value: T;
    try {
      value = decode(bytes);
    } catch (e) {
      expect(e).to.be.instanceOf(WireDecodeError);
      return;
    }
    expect(bytesToHex(encode(value))).to.equal(bytesToHex(bytes));
  };
}

const codecs = [
  { name: 'vk+PoP', arb: arbVkPop, encode: vkPopToWire, decode: vkPopFromWire },
  {
    name: 'single signature',
    arb: arbSingleSignature,
    encode: singleSignatureToWire,
    decode: singleSignatureFromWire,
  },
  { name: 'AVK', arb: arbAvk, encode: avkToWire, decode: avkFromWire },
  {
    name: 'concatenation proof',
    arb: arbProof,
    encode: concatenationProofToWire,
    decode: concatenationProofFromWire,
  },
] as const;

describe('protocol/codec/wire', () => {
  it('lays out a single signature as documented in docs/wire-format.md', () => {
    const sig = { sigma: new Uint8Array(48).fill(0xaa), indexes: [1, 4, 5, 300], signerIndex: 200 };
    const expected = '0102' + 'aa'.repeat(48) + 'c801' + '04' + '01' + '02' + '00' + 'a602';
    expect(bytesToHex(singleSignatureToWire(sig))).to.equal(expected);
    expect(singleSignatureFromWire(fromHex(expected))).to.deep.equal(sig);
  });

  it('lays out vk+PoP (194 bytes) and an AVK (u64 big-endian stake) as documented', () => {
    const vkPop = { vk: new Uint8Array(96).fill(0x8f), pop: new Uint8Array(96).fill(0xa8) };
    expect(vkPopToWire(vkPop)).to.have.length(WIRE_VK_POP_BYTES).and.to.have.length(194);
    const avk = { mtCommitment: { root: new Uint8Array(32).fill(0x38), nrLeaves: 2 }, totalStake: 2n };
    expect(bytesToHex(avkToWire(avk))).to.equal('0103' + '38'.repeat(32) + '02' + '0000000000000002');
  });

  it('encodes the reference golden proof compactly', () => {
    const wire = concatenationProofToWire(GOLDEN_PROOF);
    expect(concatenationProofFromWire(wire)).to.deep.equal(GOLDEN_PROOF);
    // 2 header + 1 count + 2 × (48 + 1 + 1 + indexes + 96 + 8) + 1 + 1 + 2 indices.
    expect(wire.length).to.equal(2 + 1 + (48 + 1 + 1 + 4 + 96 + 8) + (48 + 1 + 1 + 3 + 96 + 8) + 1 + 1 + 2);
  });

  for (const c of codecs) {
    it(`${c.name}: random values round-trip and mutated bytes are rejected or canonical`, () => {
      const decode = c.decode as (b: Uint8Array) => unknown;
      const encode = c.encode as (v: unknown) => Uint8Array;
      fc.assert(
        fc.property(c.arb as fc.Arbitrary<unknown>, (v) => {
          expect(decode(encode(v))).to.deep.equal(v);
        }),
        RUNS,
      );
      const valid = (c.arb as fc.Arbitrary<unknown>).map(encode);
      fc.assert(fc.property(mutatedBytes(valid), canonical(decode, encode)), RUNS);
      fc.assert(fc.property(mutatedBytes(valid), rejectedOrConsistent(decode, encode)), { numRuns: 50 });
    });
  }

  it('random bytes after a valid header are rejected with WireDecodeError or canonical', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4), fc.uint8Array({ maxLength: 200 }), (kind, body) => {
        const bytes = Uint8Array.from([1, kind, ...body]);
        const c = codecs[kind - 1]!;
        canonical(c.decode as (b: Uint8Array) => unknown, c.encode as (v: unknown) => Uint8Array)(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects every truncation and any trailing byte', () => {
    const wire = concatenationProofToWire(GOLDEN_PROOF);
    for (let n = 0; n < wire.length; n++) {
      expect(() => concatenationProofFromWire(wire.subarray(0, n)), `length ${n}`).to.throw(WireDecodeError);
    }
    expectCode(() => concatenationProofFromWire(Uint8Array.from([...wire, 0])), 'TRAILING_BYTES');
  });

  it('checks version, kind and size before reading', () => {
    const sig = singleSignatureToWire({ sigma: new Uint8Array(48), indexes: [], signerIndex: 0 });
    expect(wireKind(sig)).to.equal(WireKind.SINGLE_SIGNATURE);
    expectCode(
      () => singleSignatureFromWire(Uint8Array.from([2, ...sig.subarray(1)])),
      'UNSUPPORTED_WIRE_VERSION',
    );
    expectCode(
      () => singleSignatureFromWire(Uint8Array.from([1, 9, ...sig.subarray(2)])),
      'UNKNOWN_WIRE_KIND',
    );
    expectCode(() => avkFromWire(sig), 'UNEXPECTED_WIRE_KIND');
    expectCode(() => wireKind(Uint8Array.of(1)), 'TRUNCATED');
    expectCode(() => wireKind(new Uint8Array(MAX_WIRE_BYTES + 1)), 'WIRE_TOO_LARGE');
  });

  it('rejects non-canonical, overlong and out-of-range varints and oversize counts', () => {
    const head = '0102' + '00'.repeat(48);
    expectCode(() => singleSignatureFromWire(fromHex(head + '8000' + '00')), 'NON_CANONICAL_VARINT');
    expectCode(() => singleSignatureFromWire(fromHex(head + 'ff'.repeat(8))), 'INVALID_VARINT');
    // 2^53 in LEB128: seven 0x80 groups then 0x10.
    expectCode(() => singleSignatureFromWire(fromHex(head + '80808080808080' + '10' + '00')), 'OUT_OF_RANGE');
    expect(singleSignatureFromWire(fromHex(head + 'ffffffffffffff0f' + '00')).signerIndex).to.equal(
      Number.MAX_SAFE_INTEGER,
    );
    // An index list whose running sum passes 2^53-1.
    expectCode(
      () => singleSignatureFromWire(fromHex(head + '00' + '02' + 'ffffffffffffff0f' + '00')),
      'OUT_OF_RANGE',
    );
    // 100 001 lottery indexes claimed.
    expectCode(() => singleSignatureFromWire(fromHex(head + '00' + 'a18d06')), 'TOO_MANY_ITEMS');
    // A signature count larger than the input could hold.
    expectCode(() => concatenationProofFromWire(fromHex('0104' + '05')), 'TRUNCATED');
    expectCode(
      () => avkFromWire(fromHex('0103' + '00'.repeat(32) + 'a28d06' + '00'.repeat(8))),
      'OUT_OF_RANGE',
    );
  });

  it('refuses to encode unsorted or repeated indexes', () => {
    const sigma = new Uint8Array(48);
    expect(() => singleSignatureToWire({ sigma, indexes: [3, 1], signerIndex: 0 })).to.throw(
      EncodeError,
      /increasing/,
    );
    expect(() => singleSignatureToWire({ sigma, indexes: [1, 1], signerIndex: 0 })).to.throw(EncodeError);
    const proof = { ...GOLDEN_PROOF, batchProof: { values: [], indices: [1, 0] } };
    expect(() => concatenationProofToWire(proof)).to.throw(EncodeError, /increasing/);
  });
});
