import { expect } from 'chai';
import fc from 'fast-check';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import {
  BlsError,
  CURVE_ORDER,
  G1_BYTES,
  G2_BYTES,
  generateSecretKey,
  loadBlsBackend,
} from '../../../protocol/crypto/bls/index.ts';
import type { BatchVerifyItem, BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import type { RandomSource } from '../../../protocol/crypto/random.ts';
import {
  bigIntToBytesBE,
  bytesToBigIntLE,
  bytesToHex,
  concatBytes,
  utf8,
} from '../../../protocol/encoding/bytes.ts';

const { Fp, Fp2 } = bls12_381.fields;
const P = Fp.ORDER;

function seed(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

/** A verifier scalar in [1, 2^128], like the reference's BLAKE2b-128 scalars. */
function scalar128(random: RandomSource): bigint {
  return bytesToBigIntLE(random(16)) + 1n;
}

function expectBlsError(fn: () => unknown, code: string, label = ''): void {
  try {
    fn();
  } catch (error) {
    expect(error, label).to.be.instanceOf(BlsError);
    expect((error as BlsError).code, label).to.equal(code);
    return;
  }
  expect.fail(`${label}: expected BlsError ${code}`);
}

const fpIsSquare = (x: bigint): boolean => Fp.pow(x, (P - 1n) / 2n) === 1n;

function fp2Sqrt(x: ReturnType<typeof Fp2.create>): ReturnType<typeof Fp2.create> | undefined {
  try {
    const root = Fp2.sqrt(x);
    return root !== undefined && Fp2.eql(Fp2.sqr(root), x) ? root : undefined;
  } catch {
    return undefined;
  }
}

/** Compressed-form bytes of a G1 x coordinate (flag 0x80), without any validity check. */
function g1Compressed(x: bigint): Uint8Array {
  const bytes = bigIntToBytesBE(x, G1_BYTES);
  bytes[0] = bytes[0]! | 0x80;
  return bytes;
}

/** Compressed-form bytes of a G2 x coordinate c0 + c1·i: c1 ‖ c0 with flag 0x80. */
function g2Compressed(c0: bigint, c1: bigint): Uint8Array {
  const bytes = concatBytes(bigIntToBytesBE(c1, G1_BYTES), bigIntToBytesBE(c0, G1_BYTES));
  bytes[0] = bytes[0]! | 0x80;
  return bytes;
}

function withFirstByte(bytes: Uint8Array, first: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[0] = first;
  return copy;
}

/** G1 point of the full curve y² = x³ + 4 outside the prime-order subgroup (no cofactor clearing). */
function nonSubgroupG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.pow(x, 3n), 4n);
    if (!fpIsSquare(rhs)) continue;
    const point = bls12_381.G1.Point.fromAffine({ x, y: Fp.sqrt(rhs) });
    if (!point.isTorsionFree()) return g1Compressed(x);
  }
}

/** x whose x³ + 4 is not a square: no G1 point has it. */
function offCurveG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    if (!fpIsSquare(Fp.add(Fp.pow(x, 3n), 4n))) return g1Compressed(x);
  }
}

const G2_B = Fp2.create({ c0: 4n, c1: 4n }); // E': y² = x³ + 4(1 + i)

function nonSubgroupG2(): Uint8Array {
  for (let c0 = 1n; ; c0++) {
    const x = Fp2.create({ c0, c1: 1n });
    const y = fp2Sqrt(Fp2.add(Fp2.pow(x, 3n), G2_B));
    if (y === undefined) continue;
    if (!bls12_381.G2.Point.fromAffine({ x, y }).isTorsionFree()) return g2Compressed(c0, 1n);
  }
}

function offCurveG2(): Uint8Array {
  for (let c0 = 1n; ; c0++) {
    const x = Fp2.create({ c0, c1: 1n });
    if (fp2Sqrt(Fp2.add(Fp2.pow(x, 3n), G2_B)) === undefined) return g2Compressed(c0, 1n);
  }
}

describe('protocol/crypto/bls: noble and mcl backends agree', () => {
  let noble: BlsBackend;
  let mcl: BlsBackend;
  let backends: BlsBackend[];

  const random = chaCha20Random(seed(1));
  const sks = Array.from({ length: 5 }, () => generateSecretKey(random));
  const messages = [new Uint8Array(0), Uint8Array.of(0), utf8('PoP'), new Uint8Array(32), random(100)];

  before(async () => {
    noble = await loadBlsBackend('noble');
    mcl = await loadBlsBackend('mcl');
    backends = [noble, mcl];
  });

  it('loads each backend once and refuses unknown names', async () => {
    expect(await loadBlsBackend('mcl')).to.equal(mcl);
    expect(await loadBlsBackend()).to.equal(mcl);
    expect(await loadBlsBackend('noble')).to.equal(noble);
    expect(noble.name).to.equal('noble');
    expect(mcl.name).to.equal('mcl');
    try {
      await loadBlsBackend('blst' as 'mcl');
      expect.fail('expected a rejection');
    } catch (error) {
      expect(error).to.be.instanceOf(BlsError);
      expect((error as BlsError).code).to.equal('UNKNOWN_BACKEND');
    }
  });

  it('make the same keys, proofs and signatures, and agree on verification', () => {
    sks.forEach((sk, i) => {
      const msg = messages[i]!;
      const vk = noble.verificationKey(sk);
      const sig = noble.sign(sk, msg);
      expect(bytesToHex(mcl.verificationKey(sk))).to.equal(bytesToHex(vk));
      expect(bytesToHex(mcl.sign(sk, msg))).to.equal(bytesToHex(sig));
      expect(bytesToHex(mcl.proofOfPossession(sk))).to.equal(bytesToHex(noble.proofOfPossession(sk)));

      const otherVk = noble.verificationKey(sks[(i + 1) % sks.length]!);
      const otherSig = noble.sign(sk, concatBytes(msg, Uint8Array.of(1)));
      for (const bls of backends) {
        expect(bls.verify(msg, vk, sig), bls.name).to.equal(true);
        expect(bls.verify(concatBytes(msg, Uint8Array.of(1)), vk, sig), bls.name).to.equal(false);
        expect(bls.verify(msg, otherVk, sig), bls.name).to.equal(false);
        expect(bls.verify(msg, vk, otherSig), bls.name).to.equal(false);
      }
    });
  });

  it('hash and sign random messages identically', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.bigInt({ min: 1n, max: CURVE_ORDER - 1n }),
        (msg, sk) => {
          expect(bytesToHex(mcl.sign(sk, msg))).to.equal(bytesToHex(noble.sign(sk, msg)));
        },
      ),
      { numRuns: 16 },
    );
  });

  it('agree on proofs of possession, valid and forged', () => {
    const [a, b] = [sks[0]!, sks[1]!];
    const vkA = noble.verificationKey(a);
    const popA = noble.proofOfPossession(a);
    const popB = noble.proofOfPossession(b);
    const mixed = concatBytes(popA.subarray(0, G1_BYTES), popB.subarray(G1_BYTES));
    const swapped = concatBytes(popA.subarray(G1_BYTES), popA.subarray(0, G1_BYTES));
    for (const bls of backends) {
      expect(bls.verifyProofOfPossession(vkA, popA), bls.name).to.equal(true);
      expect(bls.verifyProofOfPossession(vkA, popB), bls.name).to.equal(false);
      expect(bls.verifyProofOfPossession(vkA, mixed), bls.name).to.equal(false);
      expect(bls.verifyProofOfPossession(vkA, swapped), bls.name).to.equal(false);
    }
  });

  describe('batches of proofs of possession', () => {
    const proofs = () =>
      sks.map((sk) => ({ vk: noble.verificationKey(sk), pop: noble.proofOfPossession(sk) }));
    const batchScalars = (count: number) => Array.from({ length: 2 * count }, () => scalar128(random));

    it('accept honest proofs and reject a batch holding one forged proof', () => {
      const items = proofs();
      const foreign = { vk: items[0]!.vk, pop: items[1]!.pop };
      const mixed = {
        vk: items[2]!.vk,
        pop: concatBytes(items[2]!.pop.subarray(0, G1_BYTES), items[3]!.pop.subarray(G1_BYTES)),
      };
      for (const bls of backends) {
        expect(bls.verifyProofsOfPossession(items, batchScalars(items.length)), bls.name).to.equal(true);
        expect(bls.verifyProofsOfPossession(items.slice(0, 1), [7n, 9n]), bls.name).to.equal(true);
        for (const forged of [foreign, mixed]) {
          const batch = [...items, forged];
          expect(bls.verifyProofsOfPossession(batch, batchScalars(batch.length)), bls.name).to.equal(false);
        }
      }
    });

    it('catch forgeries that unit scalars would let cancel out', () => {
      const [item] = proofs();
      const { vk, pop } = item!;
      // k1 and k2 swapped: with a = b = 1 both sides are e(k1 + k2, G2) = e(H("PoP") + G1, vk).
      const swapped = { vk, pop: concatBytes(pop.subarray(G1_BYTES), pop.subarray(0, G1_BYTES)) };
      // k1 shifted by D in one proof and by -D in another of the same key: the sum is unchanged.
      const k1 = bls12_381.G1.Point.fromBytes(pop.subarray(0, G1_BYTES));
      const d = bls12_381.G1.Point.BASE.multiply(12345n);
      const shifted = (point: typeof k1) => ({
        vk,
        pop: concatBytes(point.toBytes(true), pop.subarray(G1_BYTES)),
      });
      const cancelling = [shifted(k1.add(d)), shifted(k1.subtract(d))];
      for (const bls of backends) {
        expect(bls.verifyProofsOfPossession([swapped], [1n, 1n]), bls.name).to.equal(true);
        expect(bls.verifyProofsOfPossession([swapped], batchScalars(1)), bls.name).to.equal(false);
        expect(bls.verifyProofsOfPossession(cancelling, [1n, 1n, 1n, 1n]), bls.name).to.equal(true);
        expect(bls.verifyProofsOfPossession(cancelling, batchScalars(2)), bls.name).to.equal(false);
      }
    });

    it('refuse malformed batches and proofs with typed errors', () => {
      const items = proofs();
      const truncated = { vk: items[0]!.vk, pop: items[0]!.pop.subarray(1) };
      const identityK2 = {
        vk: items[0]!.vk,
        pop: concatBytes(items[0]!.pop.subarray(0, G1_BYTES), bls12_381.G1.Point.ZERO.toBytes(true)),
      };
      for (const bls of backends) {
        expectBlsError(() => bls.verifyProofsOfPossession([], []), 'EMPTY_BATCH', bls.name);
        expectBlsError(
          () => bls.verifyProofsOfPossession(items, batchScalars(1)),
          'LENGTH_MISMATCH',
          bls.name,
        );
        expectBlsError(() => bls.verifyProofsOfPossession(items.slice(0, 1), [0n, 1n]), 'INVALID_SCALAR');
        expectBlsError(() => bls.verifyProofsOfPossession([truncated], [1n, 2n]), 'INVALID_LENGTH', bls.name);
        expectBlsError(
          () => bls.verifyProofsOfPossession([identityK2], [1n, 2n]),
          'IDENTITY_POINT',
          bls.name,
        );
      }
    });
  });

  describe('randomized aggregates', () => {
    const msg = utf8('one message for every signer');
    let honestVks: Uint8Array[] = [];
    let honestSigs: Uint8Array[] = [];
    before(() => {
      honestVks = sks.map((sk) => noble.verificationKey(sk));
      honestSigs = sks.map((sk) => noble.sign(sk, msg));
    });
    const vks = () => honestVks.slice();
    const sigs = () => honestSigs.slice();
    const scalars = () => sks.map(() => scalar128(random));

    it('accept an honest same-message aggregate and reject one bad signature', () => {
      const bad = sigs();
      bad[2] = noble.sign(sks[2]!, utf8('another message'));
      const r = scalars();
      for (const bls of backends) {
        expect(bls.verifyAggregateSameMessage(msg, vks(), sigs(), r), bls.name).to.equal(true);
        expect(bls.verifyAggregateSameMessage(msg, vks(), bad, r), bls.name).to.equal(false);
        expect(bls.verifyAggregateSameMessage(msg, vks().slice(0, 1), sigs().slice(0, 1), [7n])).to.equal(
          true,
        );
      }
    });

    it('catch two invalid signatures whose errors cancel, which unit scalars would not', () => {
      const delta = bls12_381.G1.Point.BASE.multiply(123456789n);
      const forged = sigs();
      forged[0] = bls12_381.G1.Point.fromBytes(forged[0]!).add(delta).toBytes(true);
      forged[1] = bls12_381.G1.Point.fromBytes(forged[1]!).subtract(delta).toBytes(true);
      const ones = sks.map(() => 1n);
      for (const bls of backends) {
        expect(bls.verify(msg, vks()[0]!, forged[0]!), bls.name).to.equal(false);
        expect(bls.verifyAggregateSameMessage(msg, vks(), forged, ones), bls.name).to.equal(true);
        expect(bls.verifyAggregateSameMessage(msg, vks(), forged, scalars()), bls.name).to.equal(false);
      }
    });

    it('batch-verify pairs over several messages, some shared, and reject one bad pair', () => {
      const shared = utf8('shared');
      const items: BatchVerifyItem[] = sks.map((sk, i) => {
        const m = i < 3 ? shared : messages[i]!;
        return { msg: m, vk: honestVks[i]!, sig: noble.sign(sk, m) };
      });
      const r = scalars();
      const inGroup = items.map((item) => ({ ...item }));
      [inGroup[0]!.sig, inGroup[1]!.sig] = [inGroup[1]!.sig, inGroup[0]!.sig];
      const alone = items.map((item) => ({ ...item }));
      alone[4]!.sig = noble.sign(sks[4]!, shared);
      for (const bls of backends) {
        expect(bls.verifyBatch(items, r), bls.name).to.equal(true);
        expect(bls.verifyBatch(inGroup, r), bls.name).to.equal(false);
        expect(bls.verifyBatch(alone, r), bls.name).to.equal(false);
        expect(bls.verifyBatch(items.slice(3, 4), [5n]), bls.name).to.equal(true);
      }
    });

    it('fail an aggregate that cancels out to the identity instead of accepting it', () => {
      const [vk, sig] = [honestVks[0]!, honestSigs[0]!];
      const cancelling = [1n, CURVE_ORDER - 1n];
      const other = utf8('other');
      for (const bls of backends) {
        expect(bls.verifyAggregateSameMessage(msg, [vk, vk], [sig, sig], cancelling), bls.name).to.equal(
          false,
        );
        const items = [
          { msg, vk, sig },
          { msg: other, vk, sig },
        ];
        expect(bls.verifyBatch(items, cancelling), bls.name).to.equal(false);
      }
    });

    it('refuse malformed aggregate inputs with typed errors', () => {
      const [v, s] = [vks(), sigs()];
      for (const bls of backends) {
        expectBlsError(() => bls.verifyAggregateSameMessage(msg, [], [], []), 'EMPTY_AGGREGATE', bls.name);
        expectBlsError(
          () => bls.verifyAggregateSameMessage(msg, v, s.slice(1), scalars()),
          'LENGTH_MISMATCH',
        );
        expectBlsError(
          () => bls.verifyAggregateSameMessage(msg, v, s, scalars().slice(1)),
          'LENGTH_MISMATCH',
        );
        for (const badScalar of [0n, -1n, CURVE_ORDER]) {
          const r = scalars();
          r[3] = badScalar;
          expectBlsError(() => bls.verifyAggregateSameMessage(msg, v, s, r), 'INVALID_SCALAR', bls.name);
        }
        expectBlsError(() => bls.verifyBatch([], []), 'EMPTY_BATCH', bls.name);
        expectBlsError(() => bls.verifyBatch([{ msg, vk: v[0]!, sig: s[0]! }], []), 'LENGTH_MISMATCH');
        for (const badSk of [0n, -5n, CURVE_ORDER]) {
          expectBlsError(() => bls.sign(badSk, msg), 'INVALID_SECRET_KEY', bls.name);
          expectBlsError(() => bls.verificationKey(badSk), 'INVALID_SECRET_KEY', bls.name);
          expectBlsError(() => bls.proofOfPossession(badSk), 'INVALID_SECRET_KEY', bls.name);
        }
      }
    });
  });

  describe('invalid encodings', () => {
    const sk = 0x1234567890abcdefn;
    const msg = utf8('msg');
    const validSig = () => noble.sign(sk, msg);
    const validVk = () => noble.verificationKey(sk);

    const g1Cases = (): [string, Uint8Array, string][] => [
      ['empty', new Uint8Array(0), 'INVALID_LENGTH'],
      ['47 bytes', validSig().subarray(0, 47), 'INVALID_LENGTH'],
      ['49 bytes', concatBytes(validSig(), Uint8Array.of(0)), 'INVALID_LENGTH'],
      ['uncompressed form', bls12_381.G1.Point.fromBytes(validSig()).toBytes(false), 'INVALID_LENGTH'],
      ['compression flag cleared', withFirstByte(validSig(), validSig()[0]! & 0x1f), 'INVALID_POINT'],
      [
        'sort flag without compression',
        withFirstByte(validSig(), (validSig()[0]! & 0x1f) | 0x20),
        'INVALID_POINT',
      ],
      ['infinity flag on a point', withFirstByte(validSig(), validSig()[0]! | 0x40), 'INVALID_POINT'],
      ['x not on the curve', offCurveG1(), 'INVALID_POINT'],
      ['x = p (non-canonical 0)', g1Compressed(P), 'INVALID_POINT'],
      ['outside the prime-order subgroup', nonSubgroupG1(), 'INVALID_POINT'],
      ['identity', withFirstByte(new Uint8Array(G1_BYTES), 0xc0), 'IDENTITY_POINT'],
      ['identity with sort flag', withFirstByte(new Uint8Array(G1_BYTES), 0xe0), 'INVALID_POINT'],
      [
        'identity with trailing bits',
        concatBytes(Uint8Array.of(0xc0), new Uint8Array(46), Uint8Array.of(1)),
        'INVALID_POINT',
      ],
    ];
    const g2Cases = (): [string, Uint8Array, string][] => [
      ['95 bytes', validVk().subarray(0, 95), 'INVALID_LENGTH'],
      ['97 bytes', concatBytes(validVk(), Uint8Array.of(0)), 'INVALID_LENGTH'],
      ['a G1 point', validSig(), 'INVALID_LENGTH'],
      ['compression flag cleared', withFirstByte(validVk(), validVk()[0]! & 0x1f), 'INVALID_POINT'],
      ['all three flags', withFirstByte(validVk(), validVk()[0]! | 0xe0), 'INVALID_POINT'],
      ['x not on the curve', offCurveG2(), 'INVALID_POINT'],
      ['c0 = p (non-canonical)', g2Compressed(P, 1n), 'INVALID_POINT'],
      ['c1 = p (non-canonical)', g2Compressed(1n, P), 'INVALID_POINT'],
      ['outside the prime-order subgroup', nonSubgroupG2(), 'INVALID_POINT'],
      ['identity', withFirstByte(new Uint8Array(G2_BYTES), 0xc0), 'IDENTITY_POINT'],
      [
        'identity with trailing bits',
        concatBytes(Uint8Array.of(0xc0), new Uint8Array(94), Uint8Array.of(1)),
        'INVALID_POINT',
      ],
    ];

    it('the constructed bad points are what they claim', () => {
      const x = BigInt('0x' + bytesToHex(withFirstByte(nonSubgroupG1(), nonSubgroupG1()[0]! & 0x1f)));
      expect(fpIsSquare(Fp.add(Fp.pow(x, 3n), 4n))).to.equal(true);
      expect(() => bls12_381.G1.Point.fromBytes(nonSubgroupG1())).to.throw(/subgroup/);
      expect(() => bls12_381.G2.Point.fromBytes(nonSubgroupG2())).to.throw(/subgroup/);
    });

    it('signatures: both backends throw the same BlsError, directly and inside every check', () => {
      const vk = validVk();
      const pop = noble.proofOfPossession(sk);
      for (const [label, bad, code] of g1Cases()) {
        for (const bls of backends) {
          const where = `${bls.name}: ${label}`;
          expectBlsError(() => bls.validateSignature(bad), code, where);
          expectBlsError(() => bls.verify(msg, vk, bad), code, where);
          expectBlsError(
            () => bls.verifyAggregateSameMessage(msg, [vk, vk], [validSig(), bad], [1n, 2n]),
            code,
            where,
          );
          expectBlsError(() => bls.verifyBatch([{ msg, vk, sig: bad }], [1n]), code, where);
          if (bad.length === G1_BYTES) {
            expectBlsError(
              () => bls.verifyProofOfPossession(vk, concatBytes(bad, pop.subarray(G1_BYTES))),
              code,
              where,
            );
            expectBlsError(
              () => bls.verifyProofOfPossession(vk, concatBytes(pop.subarray(0, G1_BYTES), bad)),
              code,
              where,
            );
          }
        }
      }
      for (const bls of backends) {
        expectBlsError(() => bls.verifyProofOfPossession(vk, pop.subarray(1)), 'INVALID_LENGTH', bls.name);
        expectBlsError(
          () => bls.verifyProofOfPossession(vk, concatBytes(pop, Uint8Array.of(0))),
          'INVALID_LENGTH',
        );
      }
    });

    it('verification keys: both backends throw the same BlsError, directly and inside every check', () => {
      const sig = validSig();
      const pop = noble.proofOfPossession(sk);
      for (const [label, bad, code] of g2Cases()) {
        for (const bls of backends) {
          const where = `${bls.name}: ${label}`;
          expectBlsError(() => bls.validateVerificationKey(bad), code, where);
          expectBlsError(() => bls.verify(msg, bad, sig), code, where);
          expectBlsError(() => bls.verifyProofOfPossession(bad, pop), code, where);
          expectBlsError(
            () => bls.verifyAggregateSameMessage(msg, [validVk(), bad], [sig, sig], [1n, 2n]),
            code,
            where,
          );
          expectBlsError(() => bls.verifyBatch([{ msg, vk: bad, sig }], [1n]), code, where);
        }
      }
    });
  });

  describe('G1 subgroup membership: mcl and noble agree', () => {
    /** A point of E(Fp) for a random x: almost never in G1 (the cofactor is ~2^126). */
    function randomCurvePoint(draw: RandomSource): InstanceType<typeof bls12_381.G1.Point> {
      for (;;) {
        const x = Fp.create(BigInt('0x' + bytesToHex(draw(48))));
        const rhs = Fp.add(Fp.pow(x, 3n), 4n);
        if (fpIsSquare(rhs)) return bls12_381.G1.Point.fromAffine({ x, y: Fp.sqrt(rhs) });
      }
    }
    const verdict = (backend: BlsBackend, bytes: Uint8Array): string => {
      try {
        backend.validateSignature(bytes);
        return 'valid';
      } catch (e) {
        expect(e).to.be.instanceOf(BlsError);
        return (e as BlsError).code;
      }
    };

    it('agree on random curve points, on G1 points and on G1 points plus a cofactor component', () => {
      const draw = chaCha20Random(seed(42));
      const r = bls12_381.fields.Fr.ORDER;
      for (let i = 0; i < 40; i++) {
        const point = randomCurvePoint(draw);
        const inG1 = point.clearCofactor();
        // [r]Q lies in the cofactor subgroup: adding it keeps the point on the curve, out of G1.
        const torsion = point.multiplyUnsafe(r - 1n).add(point);
        const cases: [InstanceType<typeof bls12_381.G1.Point>, boolean][] = [
          [point, point.isTorsionFree()],
          [inG1, true],
          [inG1.add(torsion), torsion.is0()],
        ];
        for (const [candidate, expected] of cases) {
          if (candidate.is0()) continue;
          // noble refuses to serialize points off G1: ZCash compression by hand (0x20 = y is the
          // larger of the two roots).
          const { x, y } = candidate.toAffine();
          const bytes = g1Compressed(x);
          if (y > P - y) bytes[0] = bytes[0]! | 0x20;
          const want = expected ? 'valid' : 'INVALID_POINT';
          expect(verdict(noble, bytes), `noble #${i}`).to.equal(want);
          expect(verdict(mcl, bytes), `mcl #${i}`).to.equal(want);
        }
      }
    });
  });

  describe('mcl beyond one wasm call', () => {
    it('splits a multi-scalar multiplication over more than 1024 points', () => {
      const msg = utf8('many copies');
      const vk = mcl.verificationKey(sks[0]!);
      const sig = mcl.sign(sks[0]!, msg);
      const n = 1030;
      const vks = new Array<Uint8Array>(n).fill(vk);
      const sigs = new Array<Uint8Array>(n).fill(sig);
      const r = Array.from({ length: n }, () => scalar128(random));
      expect(mcl.verifyAggregateSameMessage(msg, vks, sigs, r)).to.equal(true);
      // The odd one out sits in the second chunk.
      const bad = sigs.slice();
      bad[n - 1] = mcl.sign(sks[1]!, msg);
      expect(mcl.verifyAggregateSameMessage(msg, vks, bad, r)).to.equal(false);
    });

    it('splits a multi-pairing over more than 64 pairs', () => {
      const vk = mcl.verificationKey(sks[0]!);
      const items = Array.from({ length: 70 }, (_, i): BatchVerifyItem => {
        const msg = utf8(`message ${i}`);
        return { msg, vk, sig: mcl.sign(sks[0]!, msg) };
      });
      const r = items.map(() => scalar128(random));
      expect(mcl.verifyBatch(items, r)).to.equal(true);
    });
  });
});
