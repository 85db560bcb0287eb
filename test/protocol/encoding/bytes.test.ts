import { expect } from 'chai';
import fc from 'fast-check';
import {
  bytesToBigIntLE,
  bytesToHex,
  compareBytes,
  concatBytes,
  hexToBytes,
  i64BE,
  readUnsignedBE,
  u16BE,
  u64BE,
  u64LE,
  U64_MAX,
} from '../../../protocol/encoding/bytes.ts';
import { DecodeError } from '../../../protocol/errors.ts';

describe('protocol/encoding/bytes', () => {
  it('round-trips hex and rejects malformed hex with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        expect(hexToBytes(bytesToHex(b))).to.deep.equal(b);
      }),
    );
    for (const bad of ['0', 'zz', '0g', ' 00', '00 ']) {
      expect(() => hexToBytes(bad)).to.throw(DecodeError);
    }
    expect(() => hexToBytes('0011', 3)).to.throw(DecodeError, /expected 3/);
  });

  it('writes big- and little-endian integers and refuses values out of range', () => {
    expect(bytesToHex(u64BE(0x0102030405060708n))).to.equal('0102030405060708');
    expect(bytesToHex(u64LE(1))).to.equal('0100000000000000');
    expect(bytesToHex(u16BE(5))).to.equal('0005');
    expect(bytesToHex(u64BE(U64_MAX))).to.equal('ffffffffffffffff');
    expect(() => u64BE(U64_MAX + 1n)).to.throw(DecodeError);
    expect(() => u64BE(-1n)).to.throw(DecodeError);
    expect(() => u64BE(2 ** 60)).to.throw(DecodeError, /safe integer/);
    expect(bytesToHex(i64BE(-1n))).to.equal('ffffffffffffffff');
    expect(() => i64BE(1n << 63n)).to.throw(DecodeError);
  });

  it('reads integers back and reports truncation', () => {
    expect(readUnsignedBE(u64BE(123456789n), 0, 8)).to.equal(123456789n);
    expect(() => readUnsignedBE(new Uint8Array(4), 0, 8)).to.throw(DecodeError, /need 8 bytes/);
    expect(bytesToBigIntLE(new Uint8Array([1, 2]))).to.equal(0x0201n);
  });

  it('orders byte strings like Rust slices', () => {
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).to.be.lessThan(0);
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).to.be.lessThan(0);
    expect(compareBytes(new Uint8Array([2]), new Uint8Array([1, 9]))).to.be.greaterThan(0);
    expect(concatBytes(new Uint8Array([1]), new Uint8Array([2, 3]))).to.deep.equal(new Uint8Array([1, 2, 3]));
  });
});
