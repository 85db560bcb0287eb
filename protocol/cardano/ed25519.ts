/**
 * Ed25519 as the reference uses it through ed25519-dalek 2: RFC 8032 keys and signatures, with
 * verification by `VerifyingKey::verify_strict` (cold keys, KES leaves, genesis signatures).
 *
 * noble's `verify(..., { zip215: false })` is close to but not the same as dalek's strict check
 * (noble rejects non-canonical key encodings, accepts small-order R and checks the cofactored
 * equation), so the dalek rules are applied here on noble's point arithmetic:
 * - keys and R decompress like `CompressedEdwardsY::decompress` (y taken mod p, x = 0 with the
 *   sign bit set allowed), which is noble's ZIP-215 decoding;
 * - s must be canonical (s < ℓ);
 * - R and A must not be of small order;
 * - k = SHA-512(R_bytes ‖ A_bytes ‖ M) over the bytes as given;
 * - the canonical encoding of [s]B − [k]A must equal the R bytes (cofactorless, byte-exact).
 *
 * The equation itself runs in OpenSSL (node:crypto, much faster than noble here), which checks
 * the same cofactorless byte equality and s < ℓ, when the encodings leave no room for the two to
 * differ: A and R canonical (y < p) and not of small order (checked on the bytes against the 8
 * small-order points). A non-canonical key, which dalek reduces mod p and OpenSSL may refuse,
 * goes the noble way; a non-canonical R can never equal a canonical re-encoding: false.
 */
import { createPrivateKey, createPublicKey, sign as nativeSign, verify as nativeVerify } from 'node:crypto';
import type { EdwardsPoint } from '@noble/curves/abstract/edwards.js';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { DecodeError } from '../errors.ts';
import { bytesToBigIntLE, concatBytes, equalBytes } from '../encoding/bytes.ts';

/** Wrong-length or undecodable Ed25519 keys and signatures. */
export class Ed25519Error extends DecodeError {}

/** RFC 8032 §5.1.5: secret keys (seeds) and public keys are 32 bytes, signatures 64. */
export const ED25519_SECRET_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** A signature is R ‖ s, 32 bytes each. */
const R_BYTES = ED25519_SIGNATURE_BYTES / 2;
const Point = ed25519.Point;
/** ℓ, the prime order of the base point. */
const GROUP_ORDER = Point.Fn.ORDER;
/** ZIP-215 decoding = dalek's `decompress` (no canonical-y check, x = 0 with sign bit accepted). */
const DALEK_DECOMPRESSION = true;
/** p = 2^255 − 19, the field of the y coordinate; the top bit of an encoding is x's sign. */
const FIELD_PRIME = 2n ** 255n - 19n;
const SIGN_BIT = 0x80;
/** DER prefix of an Ed25519 PrivateKeyInfo (RFC 8410 §7): the 32-byte seed follows. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the 32 key bytes follow. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export interface Ed25519KeyPair {
  /** The 32-byte seed dalek calls `SigningKey::to_bytes()`. */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new Ed25519Error('INVALID_LENGTH', `${what} has ${got}, expected ${length}`);
  }
}

/** Every encoding with y < p of the small-order points, with either sign bit (x = 0 takes both). */
const SMALL_ORDER_ENCODINGS: ReadonlySet<string> = (() => {
  const encodings = new Set<string>();
  for (const hex of ED25519_TORSION_SUBGROUP) {
    const bytes = Point.fromHex(hex).toBytes();
    encodings.add(Buffer.from(bytes).toString('hex'));
    bytes[ED25519_PUBLIC_KEY_BYTES - 1]! ^= SIGN_BIT;
    encodings.add(Buffer.from(bytes).toString('hex'));
  }
  return encodings;
})();

/** y < p: the encoding is the canonical one of its y (the sign bit aside). */
function hasCanonicalY(bytes: Uint8Array): boolean {
  const y = Uint8Array.from(bytes);
  y[ED25519_PUBLIC_KEY_BYTES - 1]! &= ~SIGN_BIT;
  return bytesToBigIntLE(y) < FIELD_PRIME;
}

function isSmallOrderEncoding(bytes: Uint8Array): boolean {
  return SMALL_ORDER_ENCODINGS.has(Buffer.from(bytes).toString('hex'));
}

function decompress(bytes: Uint8Array): EdwardsPoint | undefined {
  try {
    return Point.fromBytes(bytes, DALEK_DECOMPRESSION);
  } catch {
    return undefined;
  }
}

/** The seed as an OpenSSL key: RFC 8032 key derivation and signing are deterministic, so OpenSSL's equal dalek's bytes. */
function nativePrivateKey(secretKey: Uint8Array): ReturnType<typeof createPrivateKey> {
  return createPrivateKey({
    key: Buffer.from(concatBytes(PKCS8_PREFIX, secretKey)),
    format: 'der',
    type: 'pkcs8',
  });
}

/** The public key of a 32-byte secret key (dalek `SigningKey::verifying_key`). */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  checkLength(secretKey, ED25519_SECRET_KEY_BYTES, 'Ed25519 secret key');
  const spki = createPublicKey(nativePrivateKey(secretKey)).export({ format: 'der', type: 'spki' });
  return Uint8Array.from(spki.subarray(SPKI_PREFIX.length));
}

/** The key pair of a 32-byte seed (dalek `SigningKey::from_bytes`); the seed is copied. */
export function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
  return { publicKey: ed25519PublicKey(seed), secretKey: Uint8Array.from(seed) };
}

/** Deterministic RFC 8032 signature, identical to dalek's `Signer::sign`. */
export function ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  checkLength(secretKey, ED25519_SECRET_KEY_BYTES, 'Ed25519 secret key');
  return Uint8Array.from(nativeSign(null, message, nativePrivateKey(secretKey)));
}

/**
 * Throws `Ed25519Error` unless `publicKey` is 32 bytes that decompress to a curve point, the
 * check dalek's `VerifyingKey::from_bytes` (and its serde decoder) applies.
 */
export function assertEd25519PublicKey(publicKey: Uint8Array, what = 'Ed25519 public key'): void {
  checkLength(publicKey, ED25519_PUBLIC_KEY_BYTES, what);
  if (decompress(publicKey) === undefined) {
    throw new Ed25519Error('INVALID_POINT', `${what} is not a valid curve point encoding`);
  }
}

/**
 * dalek `verify_strict`. Wrong lengths throw `Ed25519Error`; a key that is not a curve point, or
 * any failed check, returns false (inside a KES tree the leaf key is just 32 bytes of a hash).
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  checkLength(publicKey, ED25519_PUBLIC_KEY_BYTES, 'Ed25519 public key');
  checkLength(signature, ED25519_SIGNATURE_BYTES, 'Ed25519 signature');
  // signature = R ‖ s, 32 bytes each (RFC 8032 §5.1.6), s little-endian.
  const rBytes = signature.subarray(0, R_BYTES);
  const s = bytesToBigIntLE(signature.subarray(R_BYTES));
  if (s >= GROUP_ORDER) return false;
  if (!hasCanonicalY(rBytes)) return false;
  if (hasCanonicalY(publicKey)) {
    if (isSmallOrderEncoding(publicKey) || isSmallOrderEncoding(rBytes)) return false;
    try {
      const key = createPublicKey({
        key: Buffer.from(concatBytes(SPKI_PREFIX, publicKey)),
        format: 'der',
        type: 'spki',
      });
      return nativeVerify(null, message, key, signature);
    } catch {
      // OpenSSL refusing the key bytes: not a curve point, as dalek's decompress would find.
      return false;
    }
  }
  return ed25519VerifyOnNoble(publicKey, message, signature);
}

/** `ed25519Verify` all on noble's arithmetic: the slow path, and the reference tests compare the fast one with. */
export function ed25519VerifyOnNoble(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  checkLength(publicKey, ED25519_PUBLIC_KEY_BYTES, 'Ed25519 public key');
  checkLength(signature, ED25519_SIGNATURE_BYTES, 'Ed25519 signature');
  const rBytes = signature.subarray(0, R_BYTES);
  const s = bytesToBigIntLE(signature.subarray(R_BYTES));
  if (s >= GROUP_ORDER) return false;
  const a = decompress(publicKey);
  const r = decompress(rBytes);
  if (a === undefined || r === undefined) return false;
  if (a.isSmallOrder() || r.isSmallOrder()) return false;
  const k = bytesToBigIntLE(sha512(concatBytes(rBytes, publicKey, message))) % GROUP_ORDER;
  const expectedR = Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k));
  return equalBytes(expectedR.toBytes(), rBytes);
}
