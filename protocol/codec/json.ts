/**
 * BigInt-safe JSON that reproduces serde_json's compact output byte for byte.
 *
 * Why not JSON.parse/JSON.stringify: mainnet stakes (~2.2e16) exceed 2^53, and the reference
 * hashes the compact JSON text of AVKs and multi-signatures, so integers must survive exactly
 * and objects must keep declaration order (Rust struct order, which we keep as insertion order).
 *
 * Representation: JSON integers are `bigint`, JSON numbers with a fraction or exponent are
 * `number` (Rust f64), objects are plain objects in insertion order.
 */
import { DecodeError, ProtocolError } from '../errors.ts';
import { U64_MAX } from '../encoding/bytes.ts';

export type JsonValue = bigint | number | string | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonParseLimits {
  /** Longest accepted input in characters. */
  maxLength: number;
  /** Deepest accepted nesting of arrays/objects (a Sum6 KES signature nests 6 objects). */
  maxDepth: number;
}

/** 8 MiB of text covers a mainnet-size multi-signature (a few hundred KB of JSON) many times over. */
export const DEFAULT_JSON_LIMITS: JsonParseLimits = { maxLength: 8 * 1024 * 1024, maxDepth: 64 };

export class JsonDecodeError extends DecodeError {}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly limits: JsonParseLimits,
  ) {}

  parseDocument(): JsonValue {
    if (this.text.length > this.limits.maxLength) {
      throw new JsonDecodeError(
        'JSON_TOO_LARGE',
        `JSON text longer than ${this.limits.maxLength} characters`,
      );
    }
    this.skipWs();
    const value = this.parseValue(0);
    this.skipWs();
    if (this.pos !== this.text.length) this.fail('trailing characters');
    return value;
  }

  private fail(what: string): never {
    throw new JsonDecodeError('INVALID_JSON', `invalid JSON at position ${this.pos}: ${what}`);
  }

  private skipWs(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private parseValue(depth: number): JsonValue {
    if (depth > this.limits.maxDepth) this.fail(`nesting deeper than ${this.limits.maxDepth}`);
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth);
      case '[':
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`expected ${word}`);
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): JsonObject {
    this.pos++; // '{'
    const out: JsonObject = {};
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.text[this.pos] !== '"') this.fail('expected a string key');
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`duplicate key ${JSON.stringify(key)}`);
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail('expected ":"');
      this.pos++;
      this.skipWs();
      const value = this.parseValue(depth + 1);
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const c = this.text[this.pos++];
      if (c === '}') return out;
      if (c !== ',') this.fail('expected "," or "}"');
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.pos++; // '['
    const out: JsonValue[] = [];
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      out.push(this.parseValue(depth + 1));
      this.skipWs();
      const c = this.text[this.pos++];
      if (c === ']') return out;
      if (c !== ',') this.fail('expected "," or "]"');
    }
  }

  private parseString(): string {
    const start = ++this.pos; // after the opening quote
    const t = this.text;
    // Fast path: no escapes.
    let i = start;
    while (i < t.length) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
      i++;
    }
    let out = t.slice(start, i);
    this.pos = i;
    for (;;) {
      if (this.pos >= t.length) this.fail('unterminated string');
      const c = t.charCodeAt(this.pos);
      if (c === 0x22) {
        this.pos++;
        return out;
      }
      if (c < 0x20) this.fail('control character in string');
      if (c !== 0x5c) {
        out += t[this.pos++];
        continue;
      }
      const e = t[this.pos + 1];
      this.pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = t.slice(this.pos, this.pos + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 4;
          break;
        }
        default:
          this.fail('bad escape');
      }
    }
  }

  private parseNumber(): bigint | number {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m) return this.fail('bad number');
    this.pos += m[0].length;
    if (m[1] === undefined && m[2] === undefined) return BigInt(m[0]);
    const n = Number(m[0]);
    if (!Number.isFinite(n)) this.fail('number out of range');
    return n;
  }
}

/** Parse JSON text, integers as bigint. Throws `JsonDecodeError` on any malformed input. */
export function parseJson(text: string, limits: JsonParseLimits = DEFAULT_JSON_LIMITS): JsonValue {
  if (typeof text !== 'string') throw new JsonDecodeError('INVALID_JSON', 'JSON input is not a string');
  return new Parser(text, limits).parseDocument();
}

/**
 * serde_json formats f64 with ryu: the shortest round-trip digits (as JS), but an integral value
 * keeps a ".0" (1.0 stays "1.0") and exponents are written "1e-7"/"1e21" as JS does.
 */
function formatF64(n: number): string {
  if (!Number.isFinite(n)) throw new ProtocolError('INVALID_FLOAT', `cannot encode ${n} in JSON`);
  const s = String(n);
  return /[.eE]/.test(s) ? s.replace('e+', 'e') : `${s}.0`;
}

/** Compact JSON exactly as `serde_json::to_string`: no whitespace, keys in insertion order. */
export function stringifyJson(value: JsonValue): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return formatF64(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return `[${value.map(stringifyJson).join(',')}]`;
      const parts: string[] = [];
      for (const [k, v] of Object.entries(value)) parts.push(`${JSON.stringify(k)}:${stringifyJson(v)}`);
      return `{${parts.join(',')}}`;
    }
    default:
      throw new ProtocolError('INVALID_JSON_VALUE', `cannot encode a ${typeof value} in JSON`);
  }
}

// ---- typed accessors: turn an untrusted JsonValue into typed fields or a JsonDecodeError ----

export function expectObject(v: JsonValue | undefined, what: string): JsonObject {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new JsonDecodeError('INVALID_FIELD', `${what} must be a JSON object`);
  }
  return v;
}

export function expectArray(v: JsonValue | undefined, what: string, maxLength = Infinity): JsonValue[] {
  if (!Array.isArray(v)) throw new JsonDecodeError('INVALID_FIELD', `${what} must be a JSON array`);
  if (v.length > maxLength) {
    throw new JsonDecodeError(
      'TOO_MANY_ITEMS',
      `${what} has ${v.length} items, at most ${maxLength} allowed`,
    );
  }
  return v;
}

export function expectField(obj: JsonObject, key: string, what: string): JsonValue {
  if (!Object.prototype.hasOwnProperty.call(obj, key)) {
    throw new JsonDecodeError('MISSING_FIELD', `${what} lacks field "${key}"`);
  }
  return obj[key]!;
}

export function expectString(v: JsonValue | undefined, what: string): string {
  if (typeof v !== 'string') throw new JsonDecodeError('INVALID_FIELD', `${what} must be a string`);
  return v;
}

/** An unsigned integer up to 2^64-1 (Rust u64). */
export function expectU64(v: JsonValue | undefined, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
    throw new JsonDecodeError('INVALID_FIELD', `${what} must be an integer in [0, 2^64-1]`);
  }
  return v;
}

/** An unsigned integer that also fits a JS number exactly (indexes, epochs, counts). */
export function expectSafeUint(v: JsonValue | undefined, what: string): number {
  const n = expectU64(v, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new JsonDecodeError('OUT_OF_RANGE', `${what} ${n} exceeds 2^53-1`);
  }
  return Number(n);
}

/** A JSON number read as f64 (serde accepts integers for f64 fields too). */
export function expectF64(v: JsonValue | undefined, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new JsonDecodeError('INVALID_FIELD', `${what} must be a number`);
}

/** A JSON array of byte values (how serde writes `[u8; N]` and `Vec<u8>`). */
export function expectByteArray(v: JsonValue | undefined, what: string, length?: number): Uint8Array {
  const arr = expectArray(v, what, length ?? 1 << 24);
  if (length !== undefined && arr.length !== length) {
    throw new JsonDecodeError('INVALID_LENGTH', `${what} has ${arr.length} bytes, expected ${length}`);
  }
  const out = new Uint8Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const b = arr[i];
    if (typeof b !== 'bigint' || b < 0n || b > 255n) {
      throw new JsonDecodeError('INVALID_FIELD', `${what}[${i}] is not a byte`);
    }
    out[i] = Number(b);
  }
  return out;
}

/** serde's encoding of a byte array: a JSON array of numbers. */
export function byteArrayJson(bytes: Uint8Array): JsonValue[] {
  return Array.from(bytes, (b) => BigInt(b));
}
