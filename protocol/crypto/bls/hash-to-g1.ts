/**
 * Hash-to-G1 exactly as blst `hash_to_curve(msg, dst = [], aug = [])`, the call the Mithril
 * reference makes for every signature: suite `BLS12381G1_XMD:SHA-256_SSWU_RO_` (RFC 9380 §8.8.1)
 * with an EMPTY domain-separation tag. noble 2.x refuses an empty DST, so the message expansion is
 * written out here and only noble's map-to-curve is reused.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToBigIntBE } from '../../encoding/bytes.ts';

/** A point of G1 (noble's representation). */
export type G1Point = WeierstrassPoint<bigint>;

/** The BLS12-381 base-field modulus p. */
const P = bls12_381.fields.Fp.ORDER;
/** RFC 9380 §8.8.1: L = ceil((ceil(log2 p) + k) / 8) = ceil((381 + 128) / 8) = 64 bytes per element. */
const FIELD_ELEMENT_BYTES = 64;
/** hash_to_curve draws two field elements (count = 2, m = 1): 2 · 64 = 128 uniform bytes. */
const UNIFORM_BYTES = 2 * FIELD_ELEMENT_BYTES;
/** SHA-256 output size (b_in_bytes) and input block size (r_in_bytes), RFC 9380 §5.3.1. */
const SHA256_OUTPUT_BYTES = 32;
const SHA256_BLOCK_BYTES = 64;
/** Z_pad = I2OSP(0, r_in_bytes). */
const Z_PAD = new Uint8Array(SHA256_BLOCK_BYTES);
/** l_i_b_str = I2OSP(len_in_bytes, 2) = I2OSP(128, 2). */
const LEN_IN_BYTES_STR = Uint8Array.of(UNIFORM_BYTES >> 8, UNIFORM_BYTES & 0xff);
/** DST_prime = DST ‖ I2OSP(len(DST), 1) with DST = "": the single byte 0x00. */
const DST_PRIME = Uint8Array.of(0);

/** expand_message_xmd(msg, DST = "", 128) with SHA-256 (RFC 9380 §5.3.1). */
function expandMessageXmdEmptyDst(msg: Uint8Array): Uint8Array {
  const ell = UNIFORM_BYTES / SHA256_OUTPUT_BYTES;
  const b0 = sha256
    .create()
    .update(Z_PAD)
    .update(msg)
    .update(LEN_IN_BYTES_STR)
    .update(Uint8Array.of(0)) // I2OSP(0, 1)
    .update(DST_PRIME)
    .digest();
  const out = new Uint8Array(UNIFORM_BYTES);
  // b_i = H(strxor(b_0, b_(i-1)) ‖ I2OSP(i, 1) ‖ DST_prime); starting `previous` at zeros
  // gives b_1 = H(b_0 ‖ I2OSP(1, 1) ‖ DST_prime) as the RFC defines it.
  let previous = new Uint8Array(SHA256_OUTPUT_BYTES);
  for (let i = 1; i <= ell; i++) {
    const mixed = b0.map((byte, j) => byte ^ previous[j]!);
    previous = sha256.create().update(mixed).update(Uint8Array.of(i)).update(DST_PRIME).digest();
    out.set(previous, (i - 1) * SHA256_OUTPUT_BYTES);
  }
  return out;
}

/** hash_to_field(msg, 2) with the empty DST: the two base-field elements u0, u1. */
export function hashToFieldG1(msg: Uint8Array): [bigint, bigint] {
  const uniform = expandMessageXmdEmptyDst(msg);
  return [
    bytesToBigIntBE(uniform.subarray(0, FIELD_ELEMENT_BYTES)) % P,
    bytesToBigIntBE(uniform.subarray(FIELD_ELEMENT_BYTES, UNIFORM_BYTES)) % P,
  ];
}

/**
 * noble types `G1.mapToCurve` as `(bigint[]) => AffinePoint`, but for G1 (m = 1) it takes one
 * bigint and returns the projective point map_to_curve(u) with the cofactor already cleared.
 */
const mapToG1 = bls12_381.G1.mapToCurve as unknown as (u: bigint) => G1Point;

/**
 * H_G1(msg) = clear_cofactor(map(u0) + map(u1)). Cofactor clearing is a group homomorphism, so
 * clearing each mapped point before adding gives the same point.
 */
export function hashToG1(msg: Uint8Array): G1Point {
  const [u0, u1] = hashToFieldG1(msg);
  return mapToG1(u0).add(mapToG1(u1));
}
