/**
 * Sum6 KES, byte-compatible with the `kes-summed-ed25519` 0.2.1 crate (`Sum6Kes`, `Sum6KesSig`)
 * that the reference and cardano-node use for block and registration signatures.
 *
 * Sum composition (MMM "sum" scheme): a depth-d key is a binary tree of 2^d Ed25519 leaves.
 * - A seed s splits into (BLAKE2b-256(0x01 ‖ s), BLAKE2b-256(0x02 ‖ s)) for the left and right
 *   subtrees (`Seed::split_slice`); at depth 0 the seed is the Ed25519 secret key itself.
 * - pk(d) = BLAKE2b-256(pk_left ‖ pk_right).
 * - A depth-d secret key is `sk(d-1) ‖ right_seed ‖ lhs_pk ‖ rhs_pk` (32 + 96·d bytes); only the
 *   current left-most path is expanded, the right subtree is kept as its seed until needed.
 *   The outermost key is followed by the current period as a big-endian u32.
 * - A depth-d signature is `sig(d-1) ‖ lhs_pk ‖ rhs_pk` (64 + 64·d bytes), the Ed25519 leaf
 *   signature first.
 * - Verification at period t checks BLAKE2b-256(lhs ‖ rhs) = pk at each level, descends left
 *   if t < 2^(d-1), else right with t − 2^(d-1), and verifies the leaf with strict Ed25519.
 *   As in the crate the leaf ignores what is left of t, so every t ≥ 63 follows the right-most
 *   path and verifies like t = 63.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { DecodeError, ProtocolError } from '../errors.ts';
import { concatBytes, equalBytes, readUnsignedBE, u32BE } from '../encoding/bytes.ts';
import type { JsonObject, JsonValue } from '../codec/json.ts';
import { byteArrayJson, expectByteArray, expectField, expectObject } from '../codec/json.ts';
import {
  ED25519_SECRET_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
} from './ed25519.ts';
import { jsonToHex } from '../codec/json-hex.ts';
import { decodeProtocolKey } from '../codec/json-hex.ts';

/** Misuse of a KES key: evolving past its last period, or a period out of range. */
export class KesError extends ProtocolError {}
/** Malformed KES key or signature bytes / JSON. */
export class KesDecodeError extends DecodeError {}

/** `Sum6Kes`: depth 6. */
export const KES_DEPTH = 6;
/** 2^6 periods, numbered 0..63. */
export const KES_PERIODS = 2 ** KES_DEPTH;
export const KES_MAX_PERIOD = KES_PERIODS - 1;
/** Seeds and public keys (BLAKE2b-256 outputs) are 32 bytes (`Seed::SIZE`, `PUBLIC_KEY_SIZE`). */
export const KES_SEED_BYTES = 32;
export const KES_PUBLIC_KEY_BYTES = 32;
/** Per level, lhs_pk ‖ rhs_pk. */
const LEVEL_BYTES = 2 * KES_PUBLIC_KEY_BYTES;
/** Ed25519 leaf secret (32) plus, per level, a seed (32) and two public keys (64): 32 + 96·d. */
const SECRET_KEY_BYTES_AT = (depth: number): number =>
  ED25519_SECRET_KEY_BYTES + depth * (KES_SEED_BYTES + LEVEL_BYTES);
/** `Sum6Kes::SIZE` = 608, the raw key cardano-cli writes. */
export const KES_SECRET_KEY_BYTES = SECRET_KEY_BYTES_AT(KES_DEPTH);
/** The period counter the crate appends to the outermost key: a big-endian u32. */
const PERIOD_BYTES = 4;
/** The crate's buffer `Sum6Kes::SIZE + 4`: the key followed by its period, 612 bytes. */
export const KES_SECRET_KEY_WITH_PERIOD_BYTES = KES_SECRET_KEY_BYTES + PERIOD_BYTES;
/** `Sum6KesSig::SIZE` = 64 + 6·64 = 448. */
export const KES_SIGNATURE_BYTES = ED25519_SIGNATURE_BYTES + KES_DEPTH * LEVEL_BYTES;
/** Largest period `KesSig::verify` accepts (a Rust u32). */
const U32_MAX = 2 ** 32 - 1;
/** `Seed::split_slice` prefixes the seed with 1 for the left half and 2 for the right half. */
const LEFT_SEED_TAG = Uint8Array.of(1);
const RIGHT_SEED_TAG = Uint8Array.of(2);

const blake2b256 = (data: Uint8Array): Uint8Array => blake2b(data, { dkLen: KES_PUBLIC_KEY_BYTES });
const hashPair = (lhs: Uint8Array, rhs: Uint8Array): Uint8Array => blake2b256(concatBytes(lhs, rhs));

function splitSeed(seed: Uint8Array): [Uint8Array, Uint8Array] {
  const left = concatBytes(LEFT_SEED_TAG, seed);
  const right = concatBytes(RIGHT_SEED_TAG, seed);
  const out: [Uint8Array, Uint8Array] = [blake2b256(left), blake2b256(right)];
  left.fill(0);
  right.fill(0);
  return out;
}

/** Public key of the depth-`depth` subtree grown from `seed` (nothing is kept). */
function subtreePublicKey(depth: number, seed: Uint8Array): Uint8Array {
  if (depth === 0) return ed25519PublicKey(seed);
  const [left, right] = splitSeed(seed);
  const pk = hashPair(subtreePublicKey(depth - 1, left), subtreePublicKey(depth - 1, right));
  left.fill(0);
  right.fill(0);
  return pk;
}

/** `keygen_slice(out, Some(seed))`: writes the depth-`depth` secret key, returns its public key. */
function keygenInto(depth: number, out: Uint8Array, seed: Uint8Array): Uint8Array {
  if (depth === 0) {
    out.set(seed);
    return ed25519PublicKey(seed);
  }
  const child = SECRET_KEY_BYTES_AT(depth - 1);
  const [left, right] = splitSeed(seed);
  out.set(right, child);
  const lhs = keygenInto(depth - 1, out.subarray(0, child), left);
  const rhs = subtreePublicKey(depth - 1, right);
  out.set(lhs, child + KES_SEED_BYTES);
  out.set(rhs, child + KES_SEED_BYTES + KES_PUBLIC_KEY_BYTES);
  left.fill(0);
  right.fill(0);
  return hashPair(lhs, rhs);
}

/** `update_slice` on a depth-`depth` key at relative period `period`. */
function updateSlice(depth: number, key: Uint8Array, period: number): void {
  if (period + 1 === 2 ** depth) {
    throw new KesError('KEY_EXHAUSTED', 'KES key cannot be updated past its last period');
  }
  const half = 2 ** (depth - 1);
  const child = SECRET_KEY_BYTES_AT(depth - 1);
  if (period + 1 < half) {
    updateSlice(depth - 1, key.subarray(0, child), period);
  } else if (period + 1 === half) {
    // Switch to the right subtree: grow it from the stored seed, then erase the seed.
    const seed = key.slice(child, child + KES_SEED_BYTES);
    key.fill(0, child, child + KES_SEED_BYTES);
    keygenInto(depth - 1, key.subarray(0, child), seed);
    seed.fill(0);
  } else {
    updateSlice(depth - 1, key.subarray(0, child), period - half);
  }
}

let bufferOf: (sk: KesSecretKey) => Uint8Array;
let wrapBuffer: (buffer: Uint8Array) => KesSecretKey;

/**
 * A Sum6 secret key at its current period. The key bytes stay private to this module (they
 * never show in logs or `JSON.stringify`); `kesSecretKeyToBytes` exports them explicitly.
 */
export class KesSecretKey {
  readonly #buffer: Uint8Array;

  private constructor(buffer: Uint8Array) {
    this.#buffer = buffer;
  }

  static {
    bufferOf = (sk) => sk.#buffer;
    wrapBuffer = (buffer) => new KesSecretKey(buffer);
  }

  /** Current period, 0..63. */
  get period(): number {
    return Number(readUnsignedBE(this.#buffer, KES_SECRET_KEY_BYTES, PERIOD_BYTES));
  }

  /** Overwrite the key material with zeros; the key is unusable afterwards. */
  wipe(): void {
    this.#buffer.fill(0);
  }
}

export interface KesKeyPair {
  secretKey: KesSecretKey;
  publicKey: Uint8Array;
}

/**
 * `Sum6Kes::keygen(buffer, seed)`: the key at period 0 and its public key. Intermediate seeds
 * are wiped; the caller's `seed` is left as is (wipe it when done).
 */
export function kesKeyGen(seed: Uint8Array): KesKeyPair {
  if (!(seed instanceof Uint8Array) || seed.length !== KES_SEED_BYTES) {
    throw new KesDecodeError('INVALID_LENGTH', `KES seed must be ${KES_SEED_BYTES} bytes`);
  }
  const buffer = new Uint8Array(KES_SECRET_KEY_WITH_PERIOD_BYTES);
  const seedCopy = Uint8Array.from(seed);
  const publicKey = keygenInto(KES_DEPTH, buffer.subarray(0, KES_SECRET_KEY_BYTES), seedCopy);
  seedCopy.fill(0);
  return { secretKey: wrapBuffer(buffer), publicKey };
}

/** `to_pk`: BLAKE2b-256 of the outermost lhs_pk ‖ rhs_pk. */
export function kesPublicKey(sk: KesSecretKey): Uint8Array {
  const buffer = bufferOf(sk);
  return blake2b256(buffer.subarray(KES_SECRET_KEY_BYTES - LEVEL_BYTES, KES_SECRET_KEY_BYTES));
}

/**
 * `update()`: evolve the key in place to the next period and return it. Material of the
 * elapsed period is overwritten (forward security). Throws `KesError` KEY_EXHAUSTED at period
 * 63, leaving the key unchanged.
 */
export function kesUpdate(sk: KesSecretKey): number {
  const buffer = bufferOf(sk);
  const period = sk.period;
  updateSlice(KES_DEPTH, buffer.subarray(0, KES_SECRET_KEY_BYTES), period);
  buffer.set(u32BE(period + 1), KES_SECRET_KEY_BYTES);
  return period + 1;
}

/** A copy of `sk` that evolves independently (e.g. to sign at a later period). */
export function kesCloneSecretKey(sk: KesSecretKey): KesSecretKey {
  return wrapBuffer(Uint8Array.from(bufferOf(sk)));
}

/** `sign`: the 448-byte signature at the key's current period. */
export function kesSign(sk: KesSecretKey, message: Uint8Array): Uint8Array {
  const buffer = bufferOf(sk);
  const signature = new Uint8Array(KES_SIGNATURE_BYTES);
  // The innermost (depth-0) key is the first 32 bytes at every level.
  signature.set(ed25519Sign(buffer.subarray(0, SECRET_KEY_BYTES_AT(0)), message));
  for (let depth = 1; depth <= KES_DEPTH; depth++) {
    const pks = SECRET_KEY_BYTES_AT(depth - 1) + KES_SEED_BYTES;
    signature.set(buffer.subarray(pks, pks + LEVEL_BYTES), depth * LEVEL_BYTES);
  }
  return signature;
}

function checkSignatureLength(signature: Uint8Array): void {
  if (!(signature instanceof Uint8Array) || signature.length !== KES_SIGNATURE_BYTES) {
    throw new KesDecodeError('INVALID_LENGTH', `KES signature must be ${KES_SIGNATURE_BYTES} bytes`);
  }
}

/**
 * `Sum6KesSig::verify(period, pk, message)`. Wrong lengths throw `KesDecodeError`, a period
 * outside [0, 2^32−1] throws `KesError`; otherwise returns whether the signature verifies.
 */
export function kesVerify(
  publicKey: Uint8Array,
  period: number,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KES_PUBLIC_KEY_BYTES) {
    throw new KesDecodeError('INVALID_LENGTH', `KES public key must be ${KES_PUBLIC_KEY_BYTES} bytes`);
  }
  checkSignatureLength(signature);
  if (!Number.isSafeInteger(period) || period < 0 || period > U32_MAX) {
    throw new KesError('INVALID_PERIOD', `KES period ${period} is not a u32`);
  }
  let pk = publicKey;
  let t = period;
  for (let depth = KES_DEPTH; depth >= 1; depth--) {
    const offset = depth * LEVEL_BYTES;
    const lhs = signature.subarray(offset, offset + KES_PUBLIC_KEY_BYTES);
    const rhs = signature.subarray(offset + KES_PUBLIC_KEY_BYTES, offset + LEVEL_BYTES);
    if (!equalBytes(hashPair(lhs, rhs), pk)) return false;
    const half = 2 ** (depth - 1);
    if (t < half) {
      pk = lhs;
    } else {
      pk = rhs;
      t -= half;
    }
  }
  return ed25519Verify(pk, message, signature.subarray(0, ED25519_SIGNATURE_BYTES));
}

/** The crate's 612-byte buffer: the 608-byte key then the period as a big-endian u32. */
export function kesSecretKeyToBytes(sk: KesSecretKey): Uint8Array {
  return Uint8Array.from(bufferOf(sk));
}

/** Inverse of `kesSecretKeyToBytes` (copies the input); the period must be 0..63. */
export function kesSecretKeyFromBytes(bytes: Uint8Array): KesSecretKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== KES_SECRET_KEY_WITH_PERIOD_BYTES) {
    throw new KesDecodeError(
      'INVALID_LENGTH',
      `KES secret key must be ${KES_SECRET_KEY_WITH_PERIOD_BYTES} bytes (key ‖ BE32 period)`,
    );
  }
  const period = readUnsignedBE(bytes, KES_SECRET_KEY_BYTES, PERIOD_BYTES);
  if (period > BigInt(KES_MAX_PERIOD)) {
    throw new KesDecodeError('INVALID_PERIOD', `KES secret key period ${period} exceeds ${KES_MAX_PERIOD}`);
  }
  return wrapBuffer(Uint8Array.from(bytes));
}

/**
 * serde JSON of `Sum6KesSig`: nested `{"sigma":…,"lhs_pk":[32],"rhs_pk":[32]}`, six levels, the
 * innermost `sigma` being the 64 Ed25519 signature bytes.
 */
export function kesSignatureToJson(signature: Uint8Array): JsonObject {
  checkSignatureLength(signature);
  let node: JsonValue = byteArrayJson(signature.subarray(0, ED25519_SIGNATURE_BYTES));
  for (let depth = 1; depth <= KES_DEPTH; depth++) {
    const offset = depth * LEVEL_BYTES;
    node = {
      sigma: node,
      lhs_pk: byteArrayJson(signature.subarray(offset, offset + KES_PUBLIC_KEY_BYTES)),
      rhs_pk: byteArrayJson(signature.subarray(offset + KES_PUBLIC_KEY_BYTES, offset + LEVEL_BYTES)),
    };
  }
  return node as JsonObject;
}

/** Inverse of `kesSignatureToJson`; unknown fields are ignored, as serde does. */
export function kesSignatureFromJson(value: JsonValue): Uint8Array {
  const signature = new Uint8Array(KES_SIGNATURE_BYTES);
  let node = value;
  for (let depth = KES_DEPTH; depth >= 1; depth--) {
    const what = `Sum${depth}KesSig`;
    const obj = expectObject(node, what);
    const offset = depth * LEVEL_BYTES;
    signature.set(
      expectByteArray(expectField(obj, 'lhs_pk', what), `${what}.lhs_pk`, KES_PUBLIC_KEY_BYTES),
      offset,
    );
    signature.set(
      expectByteArray(expectField(obj, 'rhs_pk', what), `${what}.rhs_pk`, KES_PUBLIC_KEY_BYTES),
      offset + KES_PUBLIC_KEY_BYTES,
    );
    node = expectField(obj, 'sigma', what);
  }
  signature.set(expectByteArray(node, 'Sum0KesSig', ED25519_SIGNATURE_BYTES));
  return signature;
}

export function kesSignatureToJsonHex(signature: Uint8Array): string {
  return jsonToHex(kesSignatureToJson(signature));
}

/** JSON-hex, or the raw 448 bytes as hex (the reference's fallback). */
export function kesSignatureFromJsonHex(text: string): Uint8Array {
  return decodeProtocolKey(text, 'KES signature', kesSignatureFromJson, (bytes) => {
    checkSignatureLength(bytes);
    return bytes;
  });
}
