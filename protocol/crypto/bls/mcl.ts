/**
 * `BlsBackend` on mcl-wasm (herumi's mcl compiled to WebAssembly): the fast backend, byte- and
 * result-compatible with the noble reference (tests cross-check them).
 *
 * - Encodings: `setETHserialization(true)` gives the ZCash/IETF compressed format that blst and
 *   noble use; points round-trip byte-exactly.
 * - Hash-to-G1: u0, u1 come from `hashToFieldG1` (the empty-DST expansion), then mcl's
 *   `Fp.mapToG1` in IRTF mode (RFC 9380 simplified SWU + 11-isogeny + cofactor clearing) maps
 *   each; H = map(u0) + map(u1). Tests check this equals noble's `hashToG1`.
 * - Decoding: mcl rejects bad lengths, flag bits, non-canonical or off-curve coordinates and, with
 *   `verifyOrderG1/G2(true)`, points outside the prime-order subgroup; it accepts the identity, so
 *   that is rejected here. As with noble, k2 of a proof of possession gets the subgroup check that
 *   blst skips (honest keys pass both).
 *
 * mcl keeps these modes in process-wide state: nothing else in the process may change them.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import * as mcl from 'mcl-wasm';
import type { Fr as MclFr, G1 as MclG1, G2 as MclG2, GT as MclGT } from 'mcl-wasm';
import { bigIntToBytesBE, bytesToBigIntBE, concatBytes, equalBytes } from '../../encoding/bytes.ts';
import { systemRandom } from '../random.ts';
import type { RandomSource } from '../random.ts';
import { BlsError } from './backend.ts';
import type { BlsBackend } from './backend.ts';
import { hashToFieldG1, hashToG1 } from './hash-to-g1.ts';
import { SECRET_KEY_BYTES, assertSecretKey } from './keys.ts';
import {
  BoundedCache,
  G1_BYTES,
  G2_BYTES,
  MESSAGE_HASH_CACHE_SIZE,
  POP_BYTES,
  POP_MESSAGE,
  SIGNATURE_CACHE_SIZE,
  VERIFICATION_KEY_CACHE_SIZE,
  assertAggregateShape,
  assertLength,
  assertProofBatchShape,
  groupBatchByMessage,
} from './noble.ts';

/** A base-field element as 48 big-endian bytes (381-bit p), the input of `Fp.setBigEndianMod`. */
const FP_BYTES = 48;
/** First byte of the compressed identity: compression (0x80) and infinity (0x40) flags set. */
const IDENTITY_FLAGS = 0xc0;
/**
 * Points per `mulVec` call. mcl-wasm copies the operands onto its 1 MiB wasm stack: 2048 G2
 * points worked and 3000 crashed with an out-of-bounds access, so larger inputs are split.
 */
const MSM_CHUNK = 1024;
/**
 * Pairs per `millerLoopVec` call (the same stack limit applies). The shared squarings are already
 * amortised at this size: 16 to 256 pairs per call measured the same per pair.
 */
const MILLER_LOOP_CHUNK = 64;

/**
 * mcl-wasm 2.4.1 compiles two functions it does not wrap: `mclBn_millerLoopVec` (one Miller loop
 * over many pairs, about a third cheaper than separate loops) and `mclBnG1/G2_mulCT`
 * (constant-time scalar multiplication, for secret keys). These are the internals its own
 * wrappers use, found on the wasm module object `mod`.
 */
type WasmFunction = (...pointers: number[]) => number;
interface MclInternals {
  stackSave(): number;
  stackRestore(pointer: number): void;
  salloc(value: Uint32Array): number;
  sallocArray(values: Uint32Array[]): number;
  copyFromHeap32(value: Uint32Array, pointer: number): void;
  /** out = func(x, y) on copies of the limbs. */
  callOp2(func: WasmFunction, out: Uint32Array, x: Uint32Array, y: Uint32Array): number;
  _mclBn_millerLoopVec: WasmFunction;
  _mclBnG1_mulCT: WasmFunction;
  _mclBnG2_mulCT: WasmFunction;
}
/** Every mcl value wraps its limbs in `a_`. */
const limbs = (value: MclG1 | MclG2 | MclGT | MclFr): Uint32Array =>
  (value as unknown as { a_: Uint32Array }).a_;

let initialised: Promise<void> | undefined;

/** Initialises the wasm module once per process and sets the modes this backend relies on. */
function initMcl(): Promise<void> {
  initialised ??= mcl.init(mcl.BLS12_381).then(() => {
    mcl.setETHserialization(true);
    mcl.setMapToMode(mcl.IRTF);
    mcl.verifyOrderG1(true);
    mcl.verifyOrderG2(true);
  });
  return initialised;
}

/**
 * `mod` is assigned by `init`, so it must be read from the live CommonJS exports object: that is
 * the default export under native ESM (whose named exports are a snapshot taken before `init`),
 * and the namespace itself when this file is transpiled to CommonJS (as under mocha).
 */
function mclInternals(): MclInternals {
  const live = mcl as unknown as { mod?: MclInternals; default?: { mod?: MclInternals } };
  const mod = live.mod ?? live.default?.mod;
  if (mod === undefined) throw new BlsError('BACKEND_UNAVAILABLE', 'mcl-wasm is not initialised');
  return mod;
}

function millerLoopVec(mod: MclInternals, g1s: MclG1[], g2s: MclG2[]): MclGT {
  const out = new mcl.GT();
  const stack = mod.stackSave();
  try {
    const outPointer = mod.salloc(limbs(out));
    const g1Pointer = mod.sallocArray(g1s.map(limbs));
    const g2Pointer = mod.sallocArray(g2s.map(limbs));
    mod._mclBn_millerLoopVec(outPointer, g1Pointer, g2Pointer, g1s.length);
    mod.copyFromHeap32(limbs(out), outPointer);
    return out;
  } finally {
    mod.stackRestore(stack);
  }
}

/** sk·P in constant time: the secret key's bits must not show in the timing. */
function mulSecret<P extends MclG1 | MclG2>(mod: MclInternals, point: P, sk: MclFr): P {
  const out = point.clone() as P;
  const func = point instanceof mcl.G1 ? mod._mclBnG1_mulCT : mod._mclBnG2_mulCT;
  mod.callOp2(func, limbs(out), limbs(point), limbs(sk));
  return out;
}

function msm<P extends MclG1 | MclG2>(points: P[], scalars: MclFr[]): P {
  let sum = mcl.mulVec(points.slice(0, MSM_CHUNK), scalars.slice(0, MSM_CHUNK));
  for (let start = MSM_CHUNK; start < points.length; start += MSM_CHUNK) {
    const end = start + MSM_CHUNK;
    sum = mcl.add(sum, mcl.mulVec(points.slice(start, end), scalars.slice(start, end)));
  }
  return sum;
}

function toFr(value: bigint, bytes: number): MclFr {
  const fr = new mcl.Fr();
  fr.setBigEndianMod(bigIntToBytesBE(value, bytes));
  return fr;
}

function decodePoint<P extends MclG1 | MclG2>(point: P, bytes: Uint8Array, size: number, what: string): P {
  assertLength(bytes, size, what);
  try {
    point.deserialize(bytes);
  } catch (cause) {
    throw new BlsError('INVALID_POINT', `${what} is not a valid compressed point`, { cause });
  }
  if (point.isZero()) {
    // mcl reads any 0xc0-prefixed string as the identity; only 0xc0 ‖ 0…0 is its encoding.
    const canonical = bytes[0] === IDENTITY_FLAGS && bytes.every((b, i) => i === 0 || b === 0);
    if (!canonical) throw new BlsError('INVALID_POINT', `${what} is a non-canonical identity encoding`);
    throw new BlsError('IDENTITY_POINT', `${what} is the point at infinity`);
  }
  return point;
}

function hashToMclG1(msg: Uint8Array): MclG1 {
  const [u0, u1] = hashToFieldG1(msg);
  const f0 = new mcl.Fp();
  f0.setBigEndianMod(bigIntToBytesBE(u0, FP_BYTES));
  const f1 = new mcl.Fp();
  f1.setBigEndianMod(bigIntToBytesBE(u1, FP_BYTES));
  return mcl.add(f0.mapToG1(), f1.mapToG1());
}

/** The PoP check's combining scalar: 64 random bits (odd, so never 0), as batch verification's. */
const POP_SCALAR_BYTES = 8;

/**
 * Creates an mcl backend. The wasm module is loaded once per process; each backend has its own
 * caches and a precomputed generator table in wasm memory, so share one (`loadBlsBackend`).
 */
export async function createMclBackend(random: RandomSource = systemRandom): Promise<BlsBackend> {
  await initMcl();
  const mod = mclInternals();

  const g1 = decodePoint(new mcl.G1(), bls12_381.G1.Point.BASE.toBytes(true), G1_BYTES, 'G1 generator');
  const g2 = decodePoint(new mcl.G2(), bls12_381.G2.Point.BASE.toBytes(true), G2_BYTES, 'G2 generator');
  const negG2Precomputed = new mcl.PrecomputedG2(mcl.neg(g2));
  // The modes are process-wide: fail loudly now rather than produce foreign bytes later.
  if (
    !equalBytes(g2.serialize(), bls12_381.G2.Point.BASE.toBytes(true)) ||
    !equalBytes(hashToMclG1(POP_MESSAGE).serialize(), hashToG1(POP_MESSAGE).toBytes(true))
  ) {
    throw new BlsError('BACKEND_MISMATCH', 'mcl encodings or hash-to-G1 differ from the reference');
  }

  const vkCache = new BoundedCache<MclG2>(VERIFICATION_KEY_CACHE_SIZE);
  const sigCache = new BoundedCache<MclG1>(SIGNATURE_CACHE_SIZE);
  const hashCache = new BoundedCache<MclG1>(MESSAGE_HASH_CACHE_SIZE);

  const decodeVk = (vk: Uint8Array): MclG2 =>
    vkCache.getOrCompute(vk, () => decodePoint(new mcl.G2(), vk, G2_BYTES, 'verification key'));
  const decodeSig = (sig: Uint8Array): MclG1 =>
    sigCache.getOrCompute(sig, () => decodePoint(new mcl.G1(), sig, G1_BYTES, 'signature'));
  const hash = (msg: Uint8Array): MclG1 => hashCache.getOrCompute(msg, () => hashToMclG1(msg));
  const secretKey = (sk: bigint): MclFr => {
    assertSecretKey(sk);
    return toFr(sk, SECRET_KEY_BYTES);
  };
  /** Verifier scalars are already checked to lie in [1, r), so they fit in 32 bytes. */
  const scalarsToFr = (scalars: bigint[]): MclFr[] => scalars.map((s) => toFr(s, SECRET_KEY_BYTES));

  /**
   * e(a, G2) = Π e(Pᵢ, Qᵢ), checked as e(-a, G2) · Π e(Pᵢ, Qᵢ) = 1 with a single final
   * exponentiation. A zero point (an aggregate that cancelled out) fails the check, as blst
   * refuses an identity signature or key.
   */
  const pairingEquation = (a: MclG1, terms: [MclG1, MclG2][]): boolean => {
    if (a.isZero() || terms.some(([p, q]) => p.isZero() || q.isZero())) return false;
    if (terms.length === 1) {
      // The common case (verify, PoP, aggregate): two loops, the generator's lines precomputed.
      const [p, q] = terms[0]!;
      return mcl.finalExp(mcl.precomputedMillerLoop2mixed(p, q, a, negG2Precomputed)).isOne();
    }
    const pairs: [MclG1, MclG2][] = [[mcl.neg(a), g2], ...terms];
    let product = new mcl.GT();
    product.setInt(1);
    for (let start = 0; start < pairs.length; start += MILLER_LOOP_CHUNK) {
      const chunk = pairs.slice(start, start + MILLER_LOOP_CHUNK);
      const loop = millerLoopVec(
        mod,
        chunk.map(([p]) => p),
        chunk.map(([, q]) => q),
      );
      product = mcl.mul(product, loop);
    }
    return mcl.finalExp(product).isOne();
  };

  return {
    name: 'mcl',

    verificationKey(sk) {
      return mulSecret(mod, g2, secretKey(sk)).serialize();
    },

    sign(sk, msg) {
      return mulSecret(mod, hash(msg), secretKey(sk)).serialize();
    },

    proofOfPossession(sk) {
      const fr = secretKey(sk);
      return concatBytes(
        mulSecret(mod, hash(POP_MESSAGE), fr).serialize(),
        mulSecret(mod, g1, fr).serialize(),
      );
    },

    validateVerificationKey(vk) {
      decodeVk(vk);
    },

    validateSignature(sig) {
      decodeSig(sig);
    },

    verifyProofOfPossession(vk, pop) {
      const key = decodeVk(vk);
      assertLength(pop, POP_BYTES, 'proof of possession');
      const k1 = decodePoint(new mcl.G1(), pop.subarray(0, G1_BYTES), G1_BYTES, 'PoP k1');
      const k2 = decodePoint(new mcl.G1(), pop.subarray(G1_BYTES), G1_BYTES, 'PoP k2');
      // Both equations at once, e(k1 + r·k2, G2) = e(H("PoP") + r·G1, vk) with a fresh random r:
      // one final exponentiation instead of two, and a false PoP passes with probability 2^-64.
      const r = toFr(bytesToBigIntBE(random(POP_SCALAR_BYTES)) | 1n, SECRET_KEY_BYTES);
      return pairingEquation(mcl.add(k1, mcl.mul(k2, r)), [
        [mcl.add(hash(POP_MESSAGE), mcl.mul(g1, r)), key],
      ]);
    },

    verifyProofsOfPossession(items, scalars) {
      assertProofBatchShape(items, scalars);
      const keys: MclG2[] = [];
      const points: MclG1[] = [];
      for (const { vk, pop } of items) {
        keys.push(decodeVk(vk));
        assertLength(pop, POP_BYTES, 'proof of possession');
        points.push(decodePoint(new mcl.G1(), pop.subarray(0, G1_BYTES), G1_BYTES, 'PoP k1'));
        points.push(decodePoint(new mcl.G1(), pop.subarray(G1_BYTES), G1_BYTES, 'PoP k2'));
      }
      const frs = scalarsToFr(scalars);
      const bases = [hash(POP_MESSAGE), g1];
      const terms = keys.map((key, i): [MclG1, MclG2] => [
        mcl.mulVec(bases, frs.slice(2 * i, 2 * i + 2)),
        key,
      ]);
      return pairingEquation(msm(points, frs), terms);
    },

    verify(msg, vk, sig) {
      const key = decodeVk(vk);
      const sigma = decodeSig(sig);
      return pairingEquation(sigma, [[hash(msg), key]]);
    },

    verifyAggregateSameMessage(msg, vks, sigs, scalars) {
      assertAggregateShape(vks, sigs, scalars);
      const keys = vks.map(decodeVk);
      const sigmas = sigs.map(decodeSig);
      const frs = scalarsToFr(scalars);
      return pairingEquation(msm(sigmas, frs), [[hash(msg), msm(keys, frs)]]);
    },

    verifyBatch(items, scalars) {
      const groups = groupBatchByMessage(items, scalars);
      const keys = items.map((item) => decodeVk(item.vk));
      const sigmas = items.map((item) => decodeSig(item.sig));
      const frs = scalarsToFr(scalars);
      const terms = groups.map((group): [MclG1, MclG2] => {
        const h = hash(items[group[0]!]!.msg);
        // One pair: scale H in G1, cheaper than scaling the key in G2.
        if (group.length === 1) return [mcl.mul(h, frs[group[0]!]!), keys[group[0]!]!];
        return [
          h,
          msm(
            group.map((i) => keys[i]!),
            group.map((i) => frs[i]!),
          ),
        ];
      });
      return pairingEquation(msm(sigmas, frs), terms);
    },
  };
}
