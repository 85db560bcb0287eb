import { expect } from 'chai';
import fc from 'fast-check';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import type { CborValue } from '../../../protocol/codec/cbor.ts';
import {
  CborByteArray,
  CborDecodeError,
  CborMap,
  cborFields,
  decodeCbor,
  encodeCbor,
  expectCborByteArray,
  expectCborFiniteFloat,
  expectCborU64,
} from '../../../protocol/codec/cbor.ts';
import { fromHex } from './helpers.ts';

const enc = (v: CborValue): string => bytesToHex(encodeCbor(v));

function expectCode(hex: string, code: string, limits?: Parameters<typeof decodeCbor>[1]): void {
  try {
    decodeCbor(fromHex(hex), limits);
  } catch (e) {
    expect(e, hex).to.be.instanceOf(CborDecodeError);
    expect((e as CborDecodeError).code, hex).to.equal(code);
    return;
  }
  expect.fail(`${hex} should be rejected with ${code}`);
}

const cborValue: fc.Arbitrary<CborValue> = fc.letrec((tie) => {
  const item = tie('value') as fc.Arbitrary<CborValue>;
  return {
    value: fc.oneof(
      { depthSize: 'small' },
      fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'grapheme' }),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 8 }),
      fc.array(item, { maxLength: 4 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => new CborByteArray(b)),
      fc
        .tuple(fc.array(fc.tuple(item, item), { maxLength: 3 }), fc.boolean())
        .map(([entries, indefinite]) => new CborMap(entries, indefinite)),
    ),
  };
}).value as fc.Arbitrary<CborValue>;

describe('protocol/codec/cbor', () => {
  it('writes the RFC 8949 Appendix A encodings (preferred serialization)', () => {
    const cases: Array<[CborValue, string]> = [
      [0n, '00'],
      [23n, '17'],
      [24n, '1818'],
      [100n, '1864'],
      [1000n, '1903e8'],
      [1000000n, '1a000f4240'],
      [(1n << 64n) - 1n, '1bffffffffffffffff'],
      [-1n, '20'],
      [-1000n, '3903e7'],
      [-(1n << 64n), '3bffffffffffffffff'],
      [0, 'f90000'],
      [-0, 'f98000'],
      [1, 'f93c00'],
      [1.1, 'fb3ff199999999999a'],
      [1.5, 'f93e00'],
      [65504, 'f97bff'],
      [100000, 'fa47c35000'],
      [3.4028234663852886e38, 'fa7f7fffff'],
      [1e300, 'fb7e37e43c8800759c'],
      [5.960464477539063e-8, 'f90001'],
      [0.00006103515625, 'f90400'],
      [-4, 'f9c400'],
      [-4.1, 'fbc010666666666666'],
      [Infinity, 'f97c00'],
      [-Infinity, 'f9fc00'],
      [false, 'f4'],
      [true, 'f5'],
      [null, 'f6'],
      ['', '60'],
      ['a', '6161'],
      ['IETF', '6449455446'],
      ['\u00fc', '62c3bc'],
      [new Uint8Array([1, 2, 3, 4]), '4401020304'],
      [[], '80'],
      [[1n, [2n, 3n], [4n, 5n]], '8301820203820405'],
      [new CborMap([]), 'a0'],
      [
        new CborMap([
          [1n, 2n],
          [3n, 4n],
        ]),
        'a201020304',
      ],
      [
        new CborMap([
          ['a', 1n],
          ['b', [2n, 3n]],
        ]),
        'a26161016162820203',
      ],
      [new CborMap([['a', 1n]], true), 'bf616101ff'],
    ];
    for (const [value, hex] of cases) {
      expect(enc(value), hex).to.equal(hex);
      expect(bytesToHex(encodeCbor(decodeCbor(fromHex(hex)))), hex).to.equal(hex);
    }
  });

  it('uses the shortest float width that keeps the value, as ciborium does (0.2 needs 8 bytes)', () => {
    expect(enc(0.2)).to.equal('fb3fc999999999999a');
    expect(enc(0.5)).to.equal('f93800');
    expect(enc(0.8)).to.equal('fb3fe999999999999a');
    expect(enc(2 ** -149)).to.equal('fa00000001');
    expect(enc(Number.MIN_VALUE)).to.equal('fb0000000000000001');
  });

  it('rejects everything outside the strict subset with stable codes', () => {
    expectCode('', 'TRUNCATED');
    expectCode('1817', 'NON_CANONICAL_CBOR');
    expectCode('190017', 'NON_CANONICAL_CBOR');
    expectCode('1a0000ffff', 'NON_CANONICAL_CBOR');
    expectCode('1b00000000ffffffff', 'NON_CANONICAL_CBOR');
    expectCode('fa3f800000', 'NON_CANONICAL_CBOR');
    expectCode('fb3ff0000000000000', 'NON_CANONICAL_CBOR');
    expectCode('c074323031332d30332d32315432303a30343a30305a', 'UNSUPPORTED_CBOR');
    expectCode('9fff', 'UNSUPPORTED_CBOR');
    expectCode('5f4101ff', 'UNSUPPORTED_CBOR');
    expectCode('7fff', 'UNSUPPORTED_CBOR');
    expectCode('f7', 'UNSUPPORTED_CBOR');
    expectCode('f820', 'UNSUPPORTED_CBOR');
    expectCode('f97e00', 'UNSUPPORTED_CBOR');
    expectCode('ff', 'INVALID_CBOR');
    expectCode('1c', 'INVALID_CBOR');
    expectCode('62c328', 'INVALID_CBOR');
    expectCode('0000', 'TRAILING_BYTES');
    expectCode('1901', 'TRUNCATED');
    expectCode('bf6161', 'TRUNCATED');
    expectCode('bf6161ff', 'INVALID_CBOR');
  });

  it('checks declared lengths against the remaining input before allocating', () => {
    expectCode('9affffffff', 'TRUNCATED');
    expectCode('9bffffffffffffffff', 'TRUNCATED');
    expectCode('bbffffffffffffffff', 'TRUNCATED');
    expectCode('5bffffffffffffffff', 'TRUNCATED');
    expectCode('a2616101', 'TRUNCATED');
  });

  it('bounds depth, item count and size', () => {
    expectCode('81'.repeat(40) + '00', 'CBOR_TOO_DEEP');
    expect(decodeCbor(fromHex('81'.repeat(31) + '00'))).to.be.an('array');
    const limits = { maxLength: 16, maxDepth: 4, maxItems: 3 };
    expectCode('83010203', 'TOO_MANY_ITEMS', limits);
    expectCode('00'.repeat(17), 'CBOR_TOO_LARGE', limits);
  });

  it('decodes non-empty arrays of canonical integers 0..255 as CborByteArray', () => {
    const v = decodeCbor(fromHex('8301181818ff'));
    expect(v).to.be.instanceOf(CborByteArray);
    expect((v as CborByteArray).bytes).to.deep.equal(new Uint8Array([1, 24, 255]));
    expect(decodeCbor(fromHex('80'))).to.deep.equal([]);
    expect(decodeCbor(fromHex('82011901ff'))).to.deep.equal([1n, 511n]);
    expectCode('82011805', 'NON_CANONICAL_CBOR');
    expect(enc(new CborByteArray(new Uint8Array([1, 24, 255])))).to.equal(enc([1n, 24n, 255n]));
  });

  it('keeps a leading byte-order mark in text (no silent stripping)', () => {
    expect(decodeCbor(fromHex('63efbbbf'))).to.equal('\ufeff');
  });

  it('round-trips any value, byte for byte', () => {
    fc.assert(
      fc.property(cborValue, (v) => {
        const bytes = encodeCbor(v);
        expect(bytesToHex(encodeCbor(decodeCbor(bytes)))).to.equal(bytesToHex(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes are rejected with CborDecodeError or re-encode to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
        let value: CborValue;
        try {
          value = decodeCbor(bytes);
        } catch (e) {
          expect(e).to.be.instanceOf(CborDecodeError);
          return;
        }
        expect(bytesToHex(encodeCbor(value))).to.equal(bytesToHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('typed accessors reject wrong shapes, duplicate fields and out-of-range values', () => {
    const map = (hex: string) => decodeCbor(fromHex(hex));
    expect(() => cborFields(map('a2616101616102'), 'm')).to.throw(CborDecodeError, /repeats/);
    expect(() => cborFields(map('a10101'), 'm')).to.throw(CborDecodeError, /non-text/);
    expect(() => cborFields(map('80'), 'm')).to.throw(CborDecodeError, /map/);
    expect(expectCborU64((1n << 64n) - 1n, 'stake')).to.equal((1n << 64n) - 1n);
    expect(() => expectCborU64(-1n, 'stake')).to.throw(CborDecodeError);
    expect(() => expectCborFiniteFloat(1n, 'phi_f')).to.throw(CborDecodeError, /float/);
    expect(() => expectCborFiniteFloat(Infinity, 'phi_f')).to.throw(CborDecodeError);
    expect(() => expectCborByteArray([256n], 'b', 4)).to.throw(CborDecodeError, /byte/);
    expect(() => expectCborByteArray([1n, 2n], 'b', 4, 3)).to.throw(CborDecodeError, /expected 3/);
    expect(() => expectCborByteArray([1n, 2n, 3n], 'b', 2)).to.throw(CborDecodeError, /at most 2/);
  });
});
