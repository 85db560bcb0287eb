/**
 * The reference `BlsBackend`, on @noble/curves (pure JavaScript): every other backend is
 * cross-checked against this one.
 *
 * Decoding is strict: compressed encodings only, canonical coordinates, on the curve, in the
 * prime-order subgroup, not the identity. This is stricter than the reference in one place: blst
 * decompresses the k2 half of a proof of possession without a subgroup check. Keys made honestly
 * (k2 = sk·G1) pass both, so only malformed proofs are affected.
 *
 * Also exports the helpers every backend shares (input checks, caches, batch grouping).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import type { Fp2 } from '@noble/curves/abstract/tower.js';
import type { WeierstrassPoint } from '@noble/curves/abstract/weierstrass.js';
import { bytesToHex, concatBytes, utf8 } from '../../encoding/bytes.ts';
import { BlsError } from './backend.ts';
import type { BatchVerifyItem, BlsBackend, ProofOfPossessionItem } from './backend.ts';
import { hashToG1 } from './hash-to-g1.ts';
import type { G1Point } from './hash-to-g1.ts';
import { CURVE_ORDER, assertSecretKey } from './keys.ts';

/** Compressed G1 point: one 381-bit coordinate in 48 bytes, flags in the top 3 bits. */
export const G1_BYTES = 48;
/** Compressed G2 point: one Fp2 coordinate, 2 · 48 bytes. */
export const G2_BYTES = 96;
/** Proof of possession k1 ‖ k2: two compressed G1 points. */
export const POP_BYTES = 2 * G1_BYTES;
/** k1 of a proof of possession signs the 3 ASCII bytes "PoP" (mithril-stm `POP`). */
export const POP_MESSAGE = utf8('PoP');

/**
 * Decoded keys kept per backend, enough for every key of a signer registration. Decoding a G2
 * key (with its subgroup check) costs about a millisecond with mcl and several with noble.
 */
export const VERIFICATION_KEY_CACHE_SIZE = 4096;
/** Decoded signatures kept per backend, so verifying singles then their aggregate decodes once. */
export const SIGNATURE_CACHE_SIZE = 4096;
/** H_G1(msg) of recent messages: a round's signatures all share one message. */
export const MESSAGE_HASH_CACHE_SIZE = 16;

type G2Point = WeierstrassPoint<Fp2>;
type G2Precomputes = ReturnType<typeof bls12_381.utils.calcPairingPrecomputes>;

/** A small map that forgets its least recently used entry beyond `capacity`. */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** The cached value for `bytes`, computing and caching it on a miss. */
  getOrCompute(bytes: Uint8Array, compute: () => V): V {
    const key = bytesToHex(bytes);
    let value = this.get(key);
    if (value === undefined) {
      value = compute();
      this.set(key, value);
    }
    return value;
  }
}

/** Throws `BlsError` INVALID_LENGTH unless `bytes` has exactly `expected` bytes. */
export function assertLength(bytes: Uint8Array, expected: number, what: string): void {
  if (bytes.length !== expected) {
    throw new BlsError('INVALID_LENGTH', `${what} has ${bytes.length} bytes, expected ${expected}`);
  }
}

/** Aggregation scalars must be in [1, r): a zero scalar would silently drop its pair from the check. */
export function assertScalars(scalars: bigint[], count: number): void {
  if (scalars.length !== count) {
    throw new BlsError('LENGTH_MISMATCH', `${scalars.length} scalars for ${count} signatures`);
  }
  for (const s of scalars) {
    if (typeof s !== 'bigint' || s <= 0n || s >= CURVE_ORDER) {
      throw new BlsError('INVALID_SCALAR', 'aggregation scalar is not in [1, r)');
    }
  }
}

/** Checks the shape of a batch of proofs of possession: two scalars per item, at least one item. */
export function assertProofBatchShape(items: ProofOfPossessionItem[], scalars: bigint[]): void {
  if (items.length === 0) throw new BlsError('EMPTY_BATCH', 'nothing to verify');
  assertScalars(scalars, 2 * items.length);
}

/** Checks the shape of a same-message aggregate: as many keys, signatures and scalars, at least one. */
export function assertAggregateShape(vks: Uint8Array[], sigs: Uint8Array[], scalars: bigint[]): void {
  if (vks.length === 0) throw new BlsError('EMPTY_AGGREGATE', 'nothing to aggregate');
  if (sigs.length !== vks.length) {
    throw new BlsError('LENGTH_MISMATCH', `${sigs.length} signatures for ${vks.length} keys`);
  }
  assertScalars(scalars, vks.length);
}

/**
 * Checks the shape of a batch and groups its item indexes by message, each group in input order.
 * Pairs that share a message share one pairing: Π e(H(m), rᵢvkᵢ) = e(H(m), Σ rᵢvkᵢ).
 */
export function groupBatchByMessage(items: BatchVerifyItem[], scalars: bigint[]): number[][] {
  if (items.length === 0) throw new BlsError('EMPTY_BATCH', 'nothing to verify');
  assertScalars(scalars, items.length);
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const key = bytesToHex(item.msg);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  });
  return [...groups.values()];
}

const { G1, G2 } = bls12_381;
const { Fp12 } = bls12_381.fields;
const NEG_G2_PRECOMPUTES = bls12_381.utils.calcPairingPrecomputes(G2.Point.BASE.negate());

function decodePoint<P extends G1Point | G2Point>(
  bytes: Uint8Array,
  size: number,
  decode: (bytes: Uint8Array) => P,
  what: string,
): P {
  assertLength(bytes, size, what);
  let point: P;
  try {
    // Point.fromBytes checks flags, canonical coordinates, the curve equation and the subgroup.
    point = decode(bytes);
  } catch (cause) {
    throw new BlsError('INVALID_POINT', `${what} is not a valid compressed point`, { cause });
  }
  if (point.is0()) throw new BlsError('IDENTITY_POINT', `${what} is the point at infinity`);
  return point;
}

/**
 * e(a, G2) = Π e(Pᵢ, Qᵢ), checked as one multi-pairing e(a, -G2) · Π e(Pᵢ, Qᵢ) = 1. A zero point
 * (an aggregate that cancelled out) fails the check, as blst refuses an identity signature or key.
 */
function pairingEquation(a: G1Point, terms: [G1Point, G2Point][]): boolean {
  if (a.is0() || terms.some(([p, q]) => p.is0() || q.is0())) return false;
  const { x, y } = a.toAffine();
  const loops: [G2Precomputes, bigint, bigint][] = [[NEG_G2_PRECOMPUTES, x, y]];
  for (const [p, q] of terms) {
    const affine = p.toAffine();
    loops.push([bls12_381.utils.calcPairingPrecomputes(q), affine.x, affine.y]);
  }
  return Fp12.eql(Fp12.finalExponentiate(bls12_381.millerLoopBatch(loops)), Fp12.ONE);
}

function createNobleBackend(): BlsBackend {
  const vkCache = new BoundedCache<G2Point>(VERIFICATION_KEY_CACHE_SIZE);
  const sigCache = new BoundedCache<G1Point>(SIGNATURE_CACHE_SIZE);
  const hashCache = new BoundedCache<G1Point>(MESSAGE_HASH_CACHE_SIZE);

  const decodeVk = (vk: Uint8Array): G2Point =>
    vkCache.getOrCompute(vk, () =>
      decodePoint(vk, G2_BYTES, (b) => G2.Point.fromBytes(b), 'verification key'),
    );
  const decodeSig = (sig: Uint8Array): G1Point =>
    sigCache.getOrCompute(sig, () => decodePoint(sig, G1_BYTES, (b) => G1.Point.fromBytes(b), 'signature'));
  const hash = (msg: Uint8Array): G1Point => hashCache.getOrCompute(msg, () => hashToG1(msg));

  return {
    name: 'noble',

    verificationKey(sk) {
      assertSecretKey(sk);
      return G2.Point.BASE.multiply(sk).toBytes(true);
    },

    sign(sk, msg) {
      assertSecretKey(sk);
      return hash(msg).multiply(sk).toBytes(true);
    },

    proofOfPossession(sk) {
      assertSecretKey(sk);
      return concatBytes(
        hash(POP_MESSAGE).multiply(sk).toBytes(true),
        G1.Point.BASE.multiply(sk).toBytes(true),
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
      const k1 = decodePoint(pop.subarray(0, G1_BYTES), G1_BYTES, (b) => G1.Point.fromBytes(b), 'PoP k1');
      const k2 = decodePoint(pop.subarray(G1_BYTES), G1_BYTES, (b) => G1.Point.fromBytes(b), 'PoP k2');
      return pairingEquation(k1, [[hash(POP_MESSAGE), key]]) && pairingEquation(k2, [[G1.Point.BASE, key]]);
    },

    verifyProofsOfPossession(items, scalars) {
      assertProofBatchShape(items, scalars);
      const proofs = items.map(({ vk, pop }) => {
        const key = decodeVk(vk);
        assertLength(pop, POP_BYTES, 'proof of possession');
        const k1 = decodePoint(pop.subarray(0, G1_BYTES), G1_BYTES, (b) => G1.Point.fromBytes(b), 'PoP k1');
        const k2 = decodePoint(pop.subarray(G1_BYTES), G1_BYTES, (b) => G1.Point.fromBytes(b), 'PoP k2');
        return { key, k1, k2 };
      });
      const h = hash(POP_MESSAGE);
      const terms = proofs.map(({ key }, i): [G1Point, G2Point] => [
        pippenger(G1.Point, [h, G1.Point.BASE], [scalars[2 * i]!, scalars[2 * i + 1]!]),
        key,
      ]);
      const points = proofs.flatMap(({ k1, k2 }) => [k1, k2]);
      return pairingEquation(pippenger(G1.Point, points, scalars), terms);
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
      const aggregateSig = pippenger(G1.Point, sigmas, scalars);
      const aggregateKey = pippenger(G2.Point, keys, scalars);
      return pairingEquation(aggregateSig, [[hash(msg), aggregateKey]]);
    },

    verifyBatch(items, scalars) {
      const groups = groupBatchByMessage(items, scalars);
      const keys = items.map((item) => decodeVk(item.vk));
      const sigmas = items.map((item) => decodeSig(item.sig));
      const terms = groups.map((group): [G1Point, G2Point] => {
        const h = hash(items[group[0]!]!.msg);
        // One pair: scale H in G1, cheaper than scaling the key in G2.
        if (group.length === 1) return [h.multiplyUnsafe(scalars[group[0]!]!), keys[group[0]!]!];
        const groupKey = pippenger(
          G2.Point,
          group.map((i) => keys[i]!),
          group.map((i) => scalars[i]!),
        );
        return [h, groupKey];
      });
      return pairingEquation(pippenger(G1.Point, sigmas, scalars), terms);
    },
  };
}

export const nobleBackend: BlsBackend = createNobleBackend();
