/**
 * The mesh's own compact binary form for gossip: single signatures, vk + PoP, AVKs and
 * concatenation proofs. Byte-by-byte layout in docs/wire-format.md.
 *
 * Every message starts with a version byte and a kind byte. Fixed-size fields are raw (σ 48,
 * vk 96, PoP 96, hashes 32 bytes), counts and indexes are unsigned LEB128 varints in their shortest
 * form (at most 2^53-1), sorted index lists are delta-encoded (first value, then gap - 1 to the
 * previous one, so they must be strictly increasing), stakes are u64 big-endian. Decoding checks
 * every length against the remaining input before reading, bounds every count and rejects
 * trailing bytes, so each value has exactly one encoding.
 */
import { DecodeError } from '../errors.ts';
import type {
  AggregateVerificationKey,
  ConcatenationProof,
  MerkleBatchPath,
  SignatureWithRegisteredParty,
  SingleSignature,
  VerificationKeyPoP,
} from '../stm/types.ts';
import {
  checkAvk,
  checkConcatenationProof,
  checkSingleSignature,
  checkVkPop,
  EncodeError,
  HASH_BYTES,
  MAX_BATCH_PATH_VALUES,
  MAX_LOTTERY_INDEXES,
  MAX_SIGNERS,
  POP_BYTES,
  SIGMA_BYTES,
  VK_BYTES,
} from './shape.ts';

export class WireDecodeError extends DecodeError {}

/** First byte of every wire message; bump on an incompatible layout change. */
export const WIRE_VERSION = 1;

/** Second byte: what the message holds. */
export const WireKind = {
  VK_POP: 1,
  SINGLE_SIGNATURE: 2,
  AVK: 3,
  CONCATENATION_PROOF: 4,
} as const;
export type WireKind = (typeof WireKind)[keyof typeof WireKind];

/**
 * Largest wire message. A mainnet proof holds at most k = 1944 signatures of about 160 bytes plus
 * their indexes (about 310 KB in the worst case of one or two indexes each); 1 MiB leaves headroom.
 */
export const MAX_WIRE_BYTES = 1 << 20;

/** Version and kind bytes. */
const HEADER_BYTES = 2;
/** u64 big-endian stake. */
const STAKE_BYTES = 8;
/** LEB128 carries 7 value bits per byte; 8 bytes cover 2^53-1 (the largest value allowed). */
const VARINT_MAX_BYTES = 8;
/** Exact size of a vk + PoP message. */
export const WIRE_VK_POP_BYTES = HEADER_BYTES + VK_BYTES + POP_BYTES;
/** Smallest signature entry of a proof: σ, two 1-byte varints, vk, stake. */
const MIN_PROOF_ENTRY_BYTES = SIGMA_BYTES + 1 + 1 + VK_BYTES + STAKE_BYTES;

// ---- writer ----

class Writer {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  private size = 0;

  private flush(): void {
    if (this.parts.length === 0) return;
    this.chunks.push(Uint8Array.from(this.parts));
    this.parts = [];
  }

  raw(bytes: Uint8Array): void {
    this.flush();
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  byte(b: number): void {
    this.parts.push(b);
    this.size++;
  }

  /** Unsigned LEB128: low 7-bit group first, bit 7 (0x80) set while more groups follow. */
  varint(n: number): void {
    let v = n;
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  u64(n: bigint): void {
    for (let i = STAKE_BYTES - 1; i >= 0; i--) this.byte(Number((n >> BigInt(8 * i)) & 0xffn));
  }

  /** Strictly increasing list: count, first value, then each gap minus one. */
  sortedList(list: number[], what: string): void {
    this.varint(list.length);
    list.forEach((v, i) => {
      if (i === 0) return this.varint(v);
      const prev = list[i - 1]!;
      if (v <= prev) {
        throw new EncodeError('UNSORTED_INDEXES', `${what} must be strictly increasing for the wire form`);
      }
      this.varint(v - prev - 1);
    });
  }

  finish(): Uint8Array {
    this.flush();
    if (this.size > MAX_WIRE_BYTES) {
      throw new EncodeError('WIRE_TOO_LARGE', `wire message of ${this.size} bytes exceeds ${MAX_WIRE_BYTES}`);
    }
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

function header(kind: WireKind): Writer {
  const w = new Writer();
  w.byte(WIRE_VERSION);
  w.byte(kind);
  return w;
}

// ---- reader ----

class Reader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  private fail(code: string, what: string): never {
    throw new WireDecodeError(code, `${what} at offset ${this.pos}`);
  }

  remaining(): number {
    return this.bytes.length - this.pos;
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.remaining()) this.fail('TRUNCATED', `${what} needs ${n} bytes, ${this.remaining()} left`);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  byte(what: string): number {
    if (this.remaining() < 1) this.fail('TRUNCATED', `${what} needs 1 byte`);
    return this.bytes[this.pos++]!;
  }

  varint(what: string): number {
    let value = 0;
    for (let i = 0; i < VARINT_MAX_BYTES; i++) {
      const b = this.byte(what);
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) this.fail('NON_CANONICAL_VARINT', `${what} has a redundant zero byte`);
        if (value > Number.MAX_SAFE_INTEGER) this.fail('OUT_OF_RANGE', `${what} exceeds 2^53-1`);
        return value;
      }
    }
    return this.fail('INVALID_VARINT', `${what} is longer than ${VARINT_MAX_BYTES} bytes`);
  }

  /** A count whose items take at least `minItemBytes` each, checked against bound and input. */
  count(what: string, max: number, minItemBytes: number): number {
    const n = this.varint(what);
    if (n > max) this.fail('TOO_MANY_ITEMS', `${what} ${n} exceeds ${max}`);
    if (n * minItemBytes > this.remaining()) {
      this.fail('TRUNCATED', `${what} ${n} exceeds the remaining input`);
    }
    return n;
  }

  u64(what: string): bigint {
    let v = 0n;
    for (const b of this.take(STAKE_BYTES, what)) v = (v << 8n) | BigInt(b);
    return v;
  }

  sortedList(what: string, max: number): number[] {
    const n = this.count(`${what} count`, max, 1);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = i === 0 ? this.varint(what) : out[i - 1]! + 1 + this.varint(what);
      if (v > Number.MAX_SAFE_INTEGER) this.fail('OUT_OF_RANGE', `${what} exceeds 2^53-1`);
      out.push(v);
    }
    return out;
  }

  end(): void {
    if (this.remaining() !== 0) this.fail('TRAILING_BYTES', `${this.remaining()} bytes after the message`);
  }
}

/** The kind of a wire message, after checking its size and version. */
export function wireKind(bytes: Uint8Array): WireKind {
  if (!(bytes instanceof Uint8Array)) throw new WireDecodeError('INVALID_INPUT', 'wire message is not bytes');
  if (bytes.length > MAX_WIRE_BYTES) {
    throw new WireDecodeError(
      'WIRE_TOO_LARGE',
      `wire message of ${bytes.length} bytes exceeds ${MAX_WIRE_BYTES}`,
    );
  }
  if (bytes.length < HEADER_BYTES) {
    throw new WireDecodeError('TRUNCATED', 'wire message shorter than its header');
  }
  if (bytes[0] !== WIRE_VERSION) {
    throw new WireDecodeError('UNSUPPORTED_WIRE_VERSION', `wire version ${bytes[0]}`);
  }
  const kind = bytes[1]!;
  if (!(Object.values(WireKind) as number[]).includes(kind)) {
    throw new WireDecodeError('UNKNOWN_WIRE_KIND', `wire kind ${kind}`);
  }
  return kind as WireKind;
}

function open(bytes: Uint8Array, expected: WireKind): Reader {
  const kind = wireKind(bytes);
  if (kind !== expected) {
    throw new WireDecodeError('UNEXPECTED_WIRE_KIND', `wire kind ${kind}, expected ${expected}`);
  }
  const r = new Reader(bytes);
  r.take(HEADER_BYTES, 'header');
  return r;
}

// ---- per-type bodies ----

function writeSignature(w: Writer, s: SingleSignature): void {
  w.raw(s.sigma);
  w.varint(s.signerIndex);
  w.sortedList(s.indexes, 'lottery indexes');
}

function readSignature(r: Reader): SingleSignature {
  const sigma = r.take(SIGMA_BYTES, 'sigma');
  const signerIndex = r.varint('signer index');
  return { sigma, indexes: r.sortedList('lottery indexes', MAX_LOTTERY_INDEXES), signerIndex };
}

function writeBatchPath(w: Writer, p: MerkleBatchPath): void {
  w.varint(p.values.length);
  for (const v of p.values) w.raw(v);
  w.sortedList(p.indices, 'batch path indices');
}

function readBatchPath(r: Reader): MerkleBatchPath {
  const n = r.count('batch path value count', MAX_BATCH_PATH_VALUES, HASH_BYTES);
  const values: Uint8Array[] = [];
  for (let i = 0; i < n; i++) values.push(r.take(HASH_BYTES, 'batch path value'));
  return { values, indices: r.sortedList('batch path indices', MAX_SIGNERS) };
}

// ---- public encoders / decoders ----

export function vkPopToWire(v: VerificationKeyPoP): Uint8Array {
  checkVkPop(v);
  const w = header(WireKind.VK_POP);
  w.raw(v.vk);
  w.raw(v.pop);
  return w.finish();
}

export function vkPopFromWire(bytes: Uint8Array): VerificationKeyPoP {
  const r = open(bytes, WireKind.VK_POP);
  const v = { vk: r.take(VK_BYTES, 'vk'), pop: r.take(POP_BYTES, 'pop') };
  r.end();
  return v;
}

export function singleSignatureToWire(s: SingleSignature): Uint8Array {
  checkSingleSignature(s);
  const w = header(WireKind.SINGLE_SIGNATURE);
  writeSignature(w, s);
  return w.finish();
}

export function singleSignatureFromWire(bytes: Uint8Array): SingleSignature {
  const r = open(bytes, WireKind.SINGLE_SIGNATURE);
  const s = readSignature(r);
  r.end();
  return s;
}

export function avkToWire(a: AggregateVerificationKey): Uint8Array {
  checkAvk(a);
  const w = header(WireKind.AVK);
  w.raw(a.mtCommitment.root);
  w.varint(a.mtCommitment.nrLeaves);
  w.u64(a.totalStake);
  return w.finish();
}

export function avkFromWire(bytes: Uint8Array): AggregateVerificationKey {
  const r = open(bytes, WireKind.AVK);
  const root = r.take(HASH_BYTES, 'root');
  const nrLeaves = r.varint('number of leaves');
  if (nrLeaves > MAX_SIGNERS) {
    throw new WireDecodeError('OUT_OF_RANGE', `${nrLeaves} leaves exceed ${MAX_SIGNERS}`);
  }
  const totalStake = r.u64('total stake');
  r.end();
  return { mtCommitment: { root, nrLeaves }, totalStake };
}

export function concatenationProofToWire(p: ConcatenationProof): Uint8Array {
  checkConcatenationProof(p);
  const w = header(WireKind.CONCATENATION_PROOF);
  w.varint(p.signatures.length);
  for (const { sig, entry } of p.signatures) {
    writeSignature(w, sig);
    w.raw(entry.vk);
    w.u64(entry.stake);
  }
  writeBatchPath(w, p.batchProof);
  return w.finish();
}

export function concatenationProofFromWire(bytes: Uint8Array): ConcatenationProof {
  const r = open(bytes, WireKind.CONCATENATION_PROOF);
  const n = r.count('signature count', MAX_SIGNERS, MIN_PROOF_ENTRY_BYTES);
  const signatures: SignatureWithRegisteredParty[] = [];
  for (let i = 0; i < n; i++) {
    const sig = readSignature(r);
    signatures.push({ sig, entry: { vk: r.take(VK_BYTES, 'vk'), stake: r.u64('stake') } });
  }
  const batchProof = readBatchPath(r);
  r.end();
  return { signatures, batchProof };
}
