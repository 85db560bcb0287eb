/**
 * A minimal strict CBOR (RFC 8949) reader and writer for the reference's versioned codec.
 *
 * Why not a library: the reference writes through serde + ciborium, which turns `Vec<u8>` into
 * an array of unsigned integers, a `#[serde(flatten)]` struct into an indefinite-length map, other
 * structs into definite maps, and every float into the shortest width that keeps its value. A
 * general CBOR library writes byte strings and its own map forms, so the bytes would differ.
 *
 * Data model: integers are `bigint` (negative for major type 1), floats are `number`, byte strings
 * `Uint8Array`, text `string`, arrays `CborValue[]`, maps `CborMap` (entries in order). A
 * non-empty array of integers 0..255 (serde's `Vec<u8>`) decodes as a `CborByteArray` instead of
 * an array of bigints: nested `to_bytes` envelopes make up most of a multi-signature, so this keeps
 * decoding linear in bytes rather than in allocated bigints. Both forms encode identically.
 *
 * The reader accepts exactly one item and only the preferred serialization ciborium writes:
 * shortest integer and length arguments, shortest float width, definite-length strings and
 * arrays, definite or indefinite maps. It rejects tags, simple values other than false/true/null,
 * NaN, invalid UTF-8 and trailing bytes. (ciborium itself is laxer: it skips tags, reads byte
 * strings as `Vec<u8>` and ignores trailing bytes; nothing the reference writes needs that.)
 * Every declared length is checked against the remaining input before anything is allocated, and
 * nesting depth, item count and input size are bounded.
 */
import { DecodeError } from '../errors.ts';
import { U64_MAX } from '../encoding/bytes.ts';
import { EncodeError } from './shape.ts';

export type CborValue =
  bigint | number | string | boolean | null | Uint8Array | CborValue[] | CborByteArray | CborMap;

/** An array of unsigned integers 0..255: how serde writes `Vec<u8>` and `[u8; N]` through ciborium. */
export class CborByteArray {
  constructor(readonly bytes: Uint8Array) {}
}

/** A CBOR map; `indefinite` selects the 0xbf … 0xff form serde uses for flattened structs. */
export class CborMap {
  constructor(
    readonly entries: ReadonlyArray<readonly [CborValue, CborValue]>,
    readonly indefinite = false,
  ) {}
}

export interface CborLimits {
  /** Longest accepted input in bytes. */
  maxLength: number;
  /** Deepest accepted nesting of arrays and maps. */
  maxDepth: number;
  /** Most data items (of any kind, nested ones included) in one input. */
  maxItems: number;
}

/**
 * 16 MiB: each envelope level of a multi-signature writes the inner `to_bytes` as an array of
 * uints, roughly doubling it, so an AggregateSignature of k = 1944 one-index signatures (the most
 * a clerk emits for mainnet's k) is about 6 MB, and the former k = 2422 about 7.6 MB. Items are at
 * least one byte each, so the item bound only matters for tighter custom limits. The reference
 * types nest at most 4 levels; 32 leaves room for unknown forward-compatible fields.
 */
export const DEFAULT_CBOR_LIMITS: CborLimits = {
  maxLength: 16 * 1024 * 1024,
  maxDepth: 32,
  maxItems: 1 << 24,
};

export class CborDecodeError extends DecodeError {}

// Major types (RFC 8949 §3.1).
const MAJOR_UINT = 0;
const MAJOR_NEGINT = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAJOR_SIMPLE = 7;
// Additional information (RFC 8949 §3): below 24 the value itself; 24..27 = 1, 2, 4, 8 argument
// bytes (24 + log2 of the width); 31 = indefinite length (or break).
const AI_1BYTE = 24;
const AI_2BYTES = 25;
const AI_4BYTES = 26;
const AI_8BYTES = 27;
const AI_INDEFINITE = 31;
// Simple values (RFC 8949 §3.3).
const SIMPLE_FALSE = 20;
const SIMPLE_TRUE = 21;
const SIMPLE_NULL = 22;
const BREAK = 0xff;
/** Arguments below 24 live in the initial byte itself. */
const IMMEDIATE_LIMIT = BigInt(AI_1BYTE);

// ---- IEEE 754 half precision (binary16), the shortest float width CBOR has ----

// binary16 layout: sign bit 15 (0x8000), exponent bits 10–14 (0x1f, all ones = Inf/NaN),
// significand bits 0–9 (0x3ff); exponent bias 15, smallest normal exponent -14.
const HALF_BIAS = 15;
const HALF_MIN_EXP = -14;
const HALF_MANT_BITS = 10;
const HALF_SIGN = 0x8000;
const HALF_INFINITY = 0x7c00;

function halfToNumber(bits: number): number {
  const sign = bits & HALF_SIGN ? -1 : 1;
  const exp = (bits >> HALF_MANT_BITS) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** (HALF_MIN_EXP - HALF_MANT_BITS);
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 2 ** HALF_MANT_BITS) * 2 ** (exp - HALF_BIAS);
}

/** The binary16 bits of `v` when `v` is exactly representable there (NaN excluded). */
function numberToHalf(v: number): number | undefined {
  const sign = v < 0 || Object.is(v, -0) ? HALF_SIGN : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | HALF_INFINITY;
  if (a === 0) return sign;
  if (a < 2 ** HALF_MIN_EXP) {
    const m = a * 2 ** (-HALF_MIN_EXP + HALF_MANT_BITS);
    return Number.isInteger(m) ? sign | m : undefined;
  }
  // log2 may be off by one near powers of two; correct it exactly.
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  if (2 ** (e + 1) <= a) e++;
  if (e > HALF_BIAS) return undefined;
  const m = (a / 2 ** e - 1) * 2 ** HALF_MANT_BITS;
  return Number.isInteger(m) ? sign | ((e + HALF_BIAS) << HALF_MANT_BITS) | m : undefined;
}

/** ciborium's choice: binary16 if it keeps the value, else binary32 if it does, else binary64. */
function floatWidth(v: number): 2 | 4 | 8 {
  if (numberToHalf(v) !== undefined) return 2;
  return Object.is(Math.fround(v), v) ? 4 : 8;
}

// ---- reader ----

/** Strict UTF-8 that keeps a leading BOM, so a text string re-encodes to the same bytes. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

class Reader {
  private pos = 0;
  private items = 0;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: CborLimits,
  ) {}

  readDocument(): CborValue {
    if (this.bytes.length > this.limits.maxLength) {
      throw new CborDecodeError('CBOR_TOO_LARGE', `CBOR input longer than ${this.limits.maxLength} bytes`);
    }
    const value = this.readItem(0);
    if (this.pos !== this.bytes.length) {
      throw new CborDecodeError(
        'TRAILING_BYTES',
        `${this.bytes.length - this.pos} bytes after the CBOR item`,
      );
    }
    return value;
  }

  private fail(code: string, what: string): never {
    throw new CborDecodeError(code, `${what} at offset ${this.pos}`);
  }

  private remaining(): number {
    return this.bytes.length - this.pos;
  }

  private take(n: number): Uint8Array {
    if (n > this.remaining()) this.fail('TRUNCATED', `need ${n} bytes, have ${this.remaining()}`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  private peek(): number {
    if (this.pos >= this.bytes.length) this.fail('TRUNCATED', 'unexpected end of input');
    return this.bytes[this.pos]!;
  }

  private byte(): number {
    if (this.pos >= this.bytes.length) this.fail('TRUNCATED', 'unexpected end of input');
    return this.bytes[this.pos++]!;
  }

  /** The argument of a head, required in its shortest form (1, 2, 4 or 8 big-endian bytes). */
  private argument(info: number): bigint {
    if (info < AI_1BYTE) return BigInt(info);
    if (info > AI_8BYTES) this.fail('INVALID_CBOR', `reserved additional information ${info}`);
    const width = 1 << (info - AI_1BYTE);
    if (width > this.remaining()) {
      this.fail('TRUNCATED', `need ${width} argument bytes, have ${this.remaining()}`);
    }
    let v = 0n;
    for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(this.bytes[this.pos++]!);
    // The smallest value that needs this width: 24 for one byte, else one past the previous width.
    const min = width === 1 ? BigInt(AI_1BYTE) : 1n << BigInt(4 * width);
    if (v < min) this.fail('NON_CANONICAL_CBOR', `argument ${v} not in its shortest form`);
    return v;
  }

  /** A length or count that must fit in what is left: every item takes at least one byte each. */
  private length(info: number, perItem: number, what: string): number {
    if (info === AI_INDEFINITE) this.fail('UNSUPPORTED_CBOR', `indefinite-length ${what}`);
    const n = this.argument(info);
    if (n * BigInt(perItem) > BigInt(this.remaining())) {
      this.fail('TRUNCATED', `${what} of length ${n} exceeds the ${this.remaining()} remaining bytes`);
    }
    return Number(n);
  }

  private readItem(depth: number): CborValue {
    if (++this.items > this.limits.maxItems) {
      this.fail('TOO_MANY_ITEMS', `more than ${this.limits.maxItems} CBOR items`);
    }
    // Initial byte: major type in the top 3 bits, additional information in the low 5.
    const head = this.byte();
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case MAJOR_UINT:
        return this.argument(info);
      case MAJOR_NEGINT:
        return -1n - this.argument(info);
      case MAJOR_BYTES:
        return this.take(this.length(info, 1, 'byte string')).slice();
      case MAJOR_TEXT: {
        const raw = this.take(this.length(info, 1, 'text string'));
        try {
          return utf8Decoder.decode(raw);
        } catch {
          return this.fail('INVALID_CBOR', 'text string is not valid UTF-8');
        }
      }
      case MAJOR_ARRAY: {
        const n = this.length(info, 1, 'array');
        this.checkDepth(depth);
        const bytes = this.readByteArray(n);
        if (bytes !== undefined) return bytes;
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.readItem(depth + 1));
        return out;
      }
      case MAJOR_MAP:
        return this.readMap(info, depth);
      case MAJOR_TAG:
        return this.fail('UNSUPPORTED_CBOR', 'tagged item');
      case MAJOR_SIMPLE:
        return this.readSimple(info);
      default:
        return this.fail('INVALID_CBOR', `major type ${major}`);
    }
  }

  /** `n` items that are all canonical integers 0..255 (`0x00`–`0x17`, `0x18 xx` with xx ≥ 24), if so. */
  private readByteArray(n: number): CborByteArray | undefined {
    if (n === 0) return undefined;
    const out = new Uint8Array(n);
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const b = this.bytes[p];
      if (b !== undefined && b < AI_1BYTE) {
        out[i] = b;
        p += 1;
        continue;
      }
      const x = this.bytes[p + 1];
      if (b !== AI_1BYTE || x === undefined || x < AI_1BYTE) return undefined;
      out[i] = x;
      p += 2;
    }
    this.items += n;
    if (this.items > this.limits.maxItems) {
      this.fail('TOO_MANY_ITEMS', `more than ${this.limits.maxItems} CBOR items`);
    }
    this.pos = p;
    return new CborByteArray(out);
  }

  private checkDepth(depth: number): void {
    if (depth >= this.limits.maxDepth) {
      this.fail('CBOR_TOO_DEEP', `nesting deeper than ${this.limits.maxDepth}`);
    }
  }

  private readMap(info: number, depth: number): CborMap {
    this.checkDepth(depth);
    const entries: Array<[CborValue, CborValue]> = [];
    if (info === AI_INDEFINITE) {
      while (this.peek() !== BREAK) entries.push([this.readItem(depth + 1), this.readItem(depth + 1)]);
      this.pos++;
      return new CborMap(entries, true);
    }
    const n = this.length(info, 2, 'map');
    for (let i = 0; i < n; i++) entries.push([this.readItem(depth + 1), this.readItem(depth + 1)]);
    return new CborMap(entries, false);
  }

  private readSimple(info: number): CborValue {
    switch (info) {
      case SIMPLE_FALSE:
        return false;
      case SIMPLE_TRUE:
        return true;
      case SIMPLE_NULL:
        return null;
      case AI_2BYTES:
      case AI_4BYTES:
      case AI_8BYTES:
        return this.readFloat(info);
      case AI_INDEFINITE:
        return this.fail('INVALID_CBOR', 'unexpected break');
      default:
        return this.fail('UNSUPPORTED_CBOR', `simple value ${info}`);
    }
  }

  private readFloat(info: number): number {
    const width = info === AI_2BYTES ? 2 : info === AI_4BYTES ? 4 : 8;
    const raw = this.take(width);
    const view = new DataView(raw.buffer, raw.byteOffset, width);
    const v =
      width === 2 ? halfToNumber(view.getUint16(0)) : width === 4 ? view.getFloat32(0) : view.getFloat64(0);
    if (Number.isNaN(v)) this.fail('UNSUPPORTED_CBOR', 'NaN');
    if (floatWidth(v) !== width) this.fail('NON_CANONICAL_CBOR', `float ${v} not in its shortest width`);
    return v;
  }
}

/** Decode exactly one CBOR item; throws `CborDecodeError` on anything else. */
export function decodeCbor(bytes: Uint8Array, limits: CborLimits = DEFAULT_CBOR_LIMITS): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new CborDecodeError('INVALID_CBOR', 'CBOR input is not bytes');
  return new Reader(bytes, limits).readDocument();
}

// ---- writer ----

class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  push(byte: number): void {
    this.reserve(1);
    this.buf[this.len++] = byte;
  }

  pushBytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** A head with its argument in the shortest form. */
  head(major: number, arg: bigint | number): void {
    const m = major << 5;
    const v = typeof arg === 'bigint' ? arg : BigInt(arg);
    if (v < IMMEDIATE_LIMIT) return this.push(m | Number(v));
    const width = v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
    this.push(m | (AI_1BYTE + Math.log2(width)));
    for (let i = width - 1; i >= 0; i--) this.push(Number((v >> BigInt(8 * i)) & 0xffn));
  }

  /** serde's `Vec<u8>`: an array head, then each byte as `0x00`–`0x17` or `0x18 xx`. */
  byteArray(bytes: Uint8Array): void {
    this.head(MAJOR_ARRAY, bytes.length);
    this.reserve(2 * bytes.length);
    for (const b of bytes) {
      if (b >= AI_1BYTE) this.buf[this.len++] = AI_1BYTE;
      this.buf[this.len++] = b;
    }
  }

  float(v: number): void {
    if (Number.isNaN(v)) throw new EncodeError('INVALID_VALUE', 'cannot encode NaN in CBOR');
    const width = floatWidth(v);
    const raw = new Uint8Array(width);
    const view = new DataView(raw.buffer);
    if (width === 2) view.setUint16(0, numberToHalf(v)!);
    else if (width === 4) view.setFloat32(0, v);
    else view.setFloat64(0, v);
    this.push((MAJOR_SIMPLE << 5) | (AI_1BYTE + Math.log2(width)));
    this.pushBytes(raw);
  }

  value(v: CborValue): void {
    if (typeof v === 'bigint') {
      if (v > U64_MAX || v < -1n - U64_MAX) {
        throw new EncodeError('INVALID_VALUE', `integer ${v} does not fit a CBOR head`);
      }
      return v >= 0n ? this.head(MAJOR_UINT, v) : this.head(MAJOR_NEGINT, -1n - v);
    }
    if (typeof v === 'number') return this.float(v);
    if (typeof v === 'string') {
      const bytes = utf8Encoder.encode(v);
      this.head(MAJOR_TEXT, bytes.length);
      return this.pushBytes(bytes);
    }
    if (typeof v === 'boolean') return this.push((MAJOR_SIMPLE << 5) | (v ? SIMPLE_TRUE : SIMPLE_FALSE));
    if (v === null) return this.push((MAJOR_SIMPLE << 5) | SIMPLE_NULL);
    if (v instanceof Uint8Array) {
      this.head(MAJOR_BYTES, v.length);
      return this.pushBytes(v);
    }
    if (Array.isArray(v)) {
      this.head(MAJOR_ARRAY, v.length);
      for (const x of v) this.value(x);
      return;
    }
    if (v instanceof CborByteArray) return this.byteArray(v.bytes);
    if (v instanceof CborMap) {
      if (v.indefinite) this.push((MAJOR_MAP << 5) | AI_INDEFINITE);
      else this.head(MAJOR_MAP, v.entries.length);
      for (const [k, x] of v.entries) {
        this.value(k);
        this.value(x);
      }
      if (v.indefinite) this.push(BREAK);
      return;
    }
    throw new EncodeError('INVALID_VALUE', `cannot encode a ${typeof v} in CBOR`);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Encode in the preferred serialization (the form `decodeCbor` accepts). */
export function encodeCbor(value: CborValue): Uint8Array {
  const w = new Writer();
  w.value(value);
  return w.result();
}

// ---- typed accessors: turn an untrusted CborValue into typed fields or a CborDecodeError ----

/**
 * The fields of a serde struct encoded as a CBOR map: text keys, no duplicates (serde rejects a
 * repeated field), unknown keys kept aside and ignored by the callers, as ciborium does.
 */
export function cborFields(v: CborValue, what: string): Map<string, CborValue> {
  if (!(v instanceof CborMap)) throw new CborDecodeError('INVALID_FIELD', `${what} must be a CBOR map`);
  const fields = new Map<string, CborValue>();
  for (const [k, x] of v.entries) {
    if (typeof k !== 'string') throw new CborDecodeError('INVALID_FIELD', `${what} has a non-text key`);
    if (fields.has(k)) throw new CborDecodeError('DUPLICATE_FIELD', `${what} repeats field "${k}"`);
    fields.set(k, x);
  }
  return fields;
}

export function cborField(fields: Map<string, CborValue>, key: string, what: string): CborValue {
  if (!fields.has(key)) throw new CborDecodeError('MISSING_FIELD', `${what} lacks field "${key}"`);
  return fields.get(key)!;
}

export function expectCborArray(v: CborValue, what: string, maxLength: number): CborValue[] {
  const length = v instanceof CborByteArray ? v.bytes.length : Array.isArray(v) ? v.length : -1;
  if (length < 0) throw new CborDecodeError('INVALID_FIELD', `${what} must be a CBOR array`);
  if (length > maxLength) {
    throw new CborDecodeError('TOO_MANY_ITEMS', `${what} has ${length} items, at most ${maxLength} allowed`);
  }
  return v instanceof CborByteArray ? Array.from(v.bytes, (b) => BigInt(b)) : (v as CborValue[]);
}

/** An unsigned integer up to 2^64-1 (Rust u64). */
export function expectCborU64(v: CborValue, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw new CborDecodeError('INVALID_FIELD', `${what} must be an integer in [0, 2^64-1]`);
  }
  return v;
}

/** An unsigned integer that also fits a JS number exactly (indexes, counts). */
export function expectCborSafeUint(v: CborValue, what: string): number {
  const n = expectCborU64(v, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CborDecodeError('OUT_OF_RANGE', `${what} ${n} exceeds 2^53-1`);
  }
  return Number(n);
}

/** A finite float; ciborium does not read integers as f64 (its `integers_as_floats` is off). */
export function expectCborFiniteFloat(v: CborValue, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new CborDecodeError('INVALID_FIELD', `${what} must be a finite float`);
  }
  return v;
}

export function expectCborNull(v: CborValue, what: string): void {
  if (v !== null) throw new CborDecodeError('INVALID_FIELD', `${what} must be null`);
}

/** serde's `Vec<u8>` / `[u8; N]`: an array of integers 0..255, of `length` items when given. */
export function expectCborByteArray(
  v: CborValue,
  what: string,
  maxLength: number,
  length?: number,
): Uint8Array {
  if (v instanceof CborByteArray) {
    if (length !== undefined && v.bytes.length !== length) {
      throw new CborDecodeError('INVALID_LENGTH', `${what} has ${v.bytes.length} bytes, expected ${length}`);
    }
    if (v.bytes.length > maxLength) {
      throw new CborDecodeError(
        'TOO_MANY_ITEMS',
        `${what} has ${v.bytes.length} bytes, at most ${maxLength} allowed`,
      );
    }
    return v.bytes.slice();
  }
  const arr = expectCborArray(v, what, length ?? maxLength);
  if (length !== undefined && arr.length !== length) {
    throw new CborDecodeError('INVALID_LENGTH', `${what} has ${arr.length} bytes, expected ${length}`);
  }
  const out = new Uint8Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const b = arr[i];
    if (typeof b !== 'bigint' || b < 0n || b > 255n) {
      throw new CborDecodeError('INVALID_FIELD', `${what}[${i}] is not a byte`);
    }
    out[i] = Number(b);
  }
  return out;
}

/** serde's encoding of bytes: an array of unsigned integers. */
export function byteArrayCbor(bytes: Uint8Array): CborByteArray {
  return new CborByteArray(bytes);
}
