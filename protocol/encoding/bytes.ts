import { DecodeError } from '../errors.ts';

/** 2^64 - 1: the largest Rust `u64`, the type of stakes, epochs and indexes in the reference. */
export const U64_MAX = (1n << 64n) - 1n;

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Strict hex decoding: even length, hex digits only; `expectedLength` in bytes when given. */
export function hexToBytes(hex: string, expectedLength?: number, what = 'hex string'): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) {
    throw new DecodeError('INVALID_HEX', `${what} is not valid hex`);
  }
  const out = new Uint8Array(Buffer.from(hex, 'hex'));
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new DecodeError('INVALID_LENGTH', `${what} has ${out.length} bytes, expected ${expectedLength}`);
  }
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Lexicographic order of byte strings, as Rust's `Ord` for `[u8]` (shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}

const utf8Encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

function checkUnsigned(value: bigint, bits: number, what: string): void {
  if (value < 0n || value >> BigInt(bits) !== 0n) {
    throw new DecodeError('OUT_OF_RANGE', `${what} ${value} does not fit in u${bits}`);
  }
}

function toBigInt(value: bigint | number, what: string): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new DecodeError('OUT_OF_RANGE', `${what} ${value} is not a safe integer`);
  }
  return BigInt(value);
}

function writeUnsigned(
  value: bigint | number,
  bytes: number,
  littleEndian: boolean,
  what: string,
): Uint8Array {
  let v = toBigInt(value, what);
  checkUnsigned(v, bytes * 8, what);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    out[littleEndian ? i : bytes - 1 - i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export const u16BE = (v: bigint | number, what = 'value'): Uint8Array => writeUnsigned(v, 2, false, what);
export const u32BE = (v: bigint | number, what = 'value'): Uint8Array => writeUnsigned(v, 4, false, what);
export const u64BE = (v: bigint | number, what = 'value'): Uint8Array => writeUnsigned(v, 8, false, what);
export const u64LE = (v: bigint | number, what = 'value'): Uint8Array => writeUnsigned(v, 8, true, what);

/** Two's-complement big-endian i64 (the reference hashes timestamps as `i64::to_be_bytes`). */
export function i64BE(value: bigint): Uint8Array {
  if (value < -(1n << 63n) || value >= 1n << 63n) {
    throw new DecodeError('OUT_OF_RANGE', `${value} does not fit in i64`);
  }
  return writeUnsigned(BigInt.asUintN(64, value), 8, false, 'i64');
}

export function readUnsignedBE(bytes: Uint8Array, offset: number, length: number): bigint {
  if (offset < 0 || offset + length > bytes.length) {
    throw new DecodeError('TRUNCATED', `need ${length} bytes at offset ${offset}, have ${bytes.length}`);
  }
  let v = 0n;
  for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  return v;
}

/** Little-endian unsigned integer of any width (the lottery reads 64-byte hashes this way). */
export function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
}

export function bytesToBigIntBE(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}

export function bigIntToBytesBE(value: bigint, length: number): Uint8Array {
  return writeUnsigned(value, length, false, 'integer');
}
