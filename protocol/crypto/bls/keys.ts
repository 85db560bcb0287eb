/**
 * BLS secret keys: scalars in [1, r). Generation follows the reference (`BlsSigningKey::generate`:
 * 32 bytes of IKM from the RNG, then blst `key_gen(ikm, info = [])`, which is IETF BLS KeyGen
 * (draft-irtf-cfrg-bls-signature ≥ v4, §2.3)), so a seeded source reproduces its vectors.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bigIntToBytesBE, bytesToBigIntBE, concatBytes, utf8 } from '../../encoding/bytes.ts';
import type { RandomSource } from '../random.ts';
import { BlsError } from './backend.ts';

/** The order r of the BLS12-381 prime-order subgroups (the scalar field). */
export const CURVE_ORDER = bls12_381.fields.Fr.ORDER;
/** blst secret keys serialize as 32-byte big-endian scalars. */
export const SECRET_KEY_BYTES = 32;
/** blst `key_gen` rejects IKM shorter than 32 bytes (KeyGen requires ≥ 32). */
const MIN_IKM_BYTES = 32;
/** KeyGen: L = ceil(3 · ceil(log2 r) / 16) = ceil(3 · 255 / 16) = 48 bytes of OKM. */
const OKM_BYTES = 48;
/** The KeyGen salt before the first iteration; each iteration first replaces it by SHA-256(salt). */
const KEYGEN_SALT = utf8('BLS-SIG-KEYGEN-SALT-');
/** IKM ‖ I2OSP(0, 1). */
const IKM_SUFFIX = Uint8Array.of(0);
/** info = key_info ‖ I2OSP(L, 2), with the empty key_info the reference passes. */
const KEY_INFO = Uint8Array.of(OKM_BYTES >> 8, OKM_BYTES & 0xff);

/** IETF KeyGen(IKM, key_info = ""), as blst `SecretKey::key_gen(ikm, &[])`. */
export function secretKeyFromIkm(ikm: Uint8Array): bigint {
  if (ikm.length < MIN_IKM_BYTES) {
    throw new BlsError(
      'INVALID_LENGTH',
      `KeyGen IKM has ${ikm.length} bytes, needs at least ${MIN_IKM_BYTES}`,
    );
  }
  const ikmPrime = concatBytes(ikm, IKM_SUFFIX);
  let salt = KEYGEN_SALT;
  let sk = 0n;
  while (sk === 0n) {
    salt = sha256(salt);
    const prk = extract(sha256, ikmPrime, salt);
    sk = bytesToBigIntBE(expand(sha256, prk, KEY_INFO, OKM_BYTES)) % CURVE_ORDER;
  }
  return sk;
}

/** A fresh secret key: 32 bytes of IKM from `random`, then KeyGen (as the reference does). */
export function generateSecretKey(random: RandomSource): bigint {
  return secretKeyFromIkm(random(MIN_IKM_BYTES));
}

/** Throws `BlsError` unless `sk` is a scalar in [1, r); the backends check their inputs with it. */
export function assertSecretKey(sk: bigint): void {
  if (sk <= 0n || sk >= CURVE_ORDER) {
    throw new BlsError('INVALID_SECRET_KEY', 'secret key is not a scalar in [1, r)');
  }
}

/** 32-byte big-endian encoding (blst `SecretKey::to_bytes`). */
export function secretKeyToBytes(sk: bigint): Uint8Array {
  assertSecretKey(sk);
  return bigIntToBytesBE(sk, SECRET_KEY_BYTES);
}

/** Inverse of `secretKeyToBytes`; throws `BlsError` unless exactly 32 bytes encoding a scalar in [1, r). */
export function secretKeyFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length !== SECRET_KEY_BYTES) {
    throw new BlsError(
      'INVALID_LENGTH',
      `secret key has ${bytes.length} bytes, expected ${SECRET_KEY_BYTES}`,
    );
  }
  const sk = bytesToBigIntBE(bytes);
  assertSecretKey(sk);
  return sk;
}
