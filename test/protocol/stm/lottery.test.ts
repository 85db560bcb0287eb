import { expect } from 'chai';
import fc from 'fast-check';
import { bytesToBigIntLE, concatBytes, u64LE, utf8 } from '../../../protocol/encoding/bytes.ts';
import { StmParameterError } from '../../../protocol/stm/errors.ts';
import {
  DenseMapping,
  LotteryTarget,
  PINNED_LN_ONE_MINUS_PHI_F,
  float64Bits,
  isLotteryWon,
  lnOneMinusPhiF,
  lotteryEv,
  winningIndexes,
} from '../../../protocol/stm/lottery.ts';
import { blake2b } from '@noble/hashes/blake2.js';
import { V2_ROOT, V3_INDEXES1, V3_INDEXES2, V3_MSG, V3_PARAMS, V3_SIGMA1, V3_SIGMA2 } from './vectors.ts';

const EV_MAX = 1n << 512n;

function evBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(64);
  let v = value;
  for (let i = 0; i < 64; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A finite double as an exact fraction, by doubling until it is an integer (exact in binary). */
function floatToFraction(f: number): { n: bigint; d: bigint } {
  let scaled = f;
  let d = 1n;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    d *= 2n;
  }
  return { n: BigInt(scaled), d };
}

/**
 * Independent threshold: the largest ev with ev/2^512 < 1 - e^(-x), x = -(s/S)·ln(1 - φ_f), from
 * a 1200-bit fixed-point series. For x ≤ 2 the reference test decides exactly this comparison.
 */
function thresholdEv(phiF: number, stake: bigint, total: bigint): bigint {
  const c = floatToFraction(Math.log(1 - phiF));
  const xn = -stake * c.n;
  const xd = total * c.d;
  const F = 1n << 1200n;
  let term = F;
  let expMinusX = F;
  for (let j = 1n; term !== 0n; j++) {
    term = (term * -xn) / (xd * j);
    expMinusX += term;
  }
  const scaled = (F - expMinusX) << 512n;
  const t = scaled / F;
  return t * F === scaled ? t - 1n : t;
}

/** The reference's `is_lottery_won` transcribed literally with reduced fractions. */
function referenceIsLotteryWon(phiF: number, ev: Uint8Array, stake: bigint, total: bigint): boolean {
  type Q = { n: bigint; d: bigint };
  const gcd = (a: bigint, b: bigint): bigint => {
    let x = a < 0n ? -a : a;
    let y = b;
    while (y !== 0n) [x, y] = [y, x % y];
    return x;
  };
  const q = (n: bigint, d: bigint): Q => {
    const g = gcd(n, d) || 1n;
    return { n: n / g, d: d / g };
  };
  const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
  const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
  const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
  const cmp = (a: Q, b: Q): number => {
    const l = a.n * b.d;
    const r = b.n * a.d;
    return l > r ? 1 : l < r ? -1 : 0;
  };
  if (Math.abs(phiF - 1) < Number.EPSILON) return true;
  const cmpValue: Q = { n: EV_MAX, d: EV_MAX - bytesToBigIntLE(ev) };
  const c = floatToFraction(Math.log(1 - phiF));
  const x = mul({ n: -stake, d: total }, q(c.n, c.d));
  let newX = x;
  let phi: Q = { n: 1n, d: 1n };
  let divisor = 1n;
  for (let i = 0; i < 1000; i++) {
    phi = add(phi, newX);
    divisor += 1n;
    newX = mul(mul(newX, x), { n: 1n, d: divisor });
    const err = mul({ n: newX.n < 0n ? -newX.n : newX.n, d: newX.d }, { n: 3n, d: 1n });
    if (cmp(cmpValue, add(phi, err)) > 0) return false;
    if (cmp(cmpValue, sub(phi, err)) < 0) return true;
  }
  return false;
}

/** (φ_f, stake, total) with x = -(s/S)·ln(1 - φ_f) ≤ 2, covering deployed and mainnet-like values. */
const CASES: Array<[number, bigint, bigint]> = [
  [0.2, 1n, 1000n],
  [0.2, 1_234_567_890_123n, 22_000_000_000_000_000n],
  [0.2, 7_000_000_000_000_000n, 22_000_000_000_000_000n],
  [0.65, 3n, 7n],
  [0.7, 1n, 2n],
  [0.8, 1n, 2n],
  [0.95, 1n, 3n],
  [0.123, 5n, 5n],
  [0.95, 2n, 3n],
  [0.2, 1n, (1n << 64n) - 1n],
];

describe('stm/lottery', () => {
  it('pins ln(1 - φ_f) bit patterns of the deployed φ_f values (spec §10 item 4)', () => {
    const expected: Record<string, string> = {
      '0.2': 'bfcc8ff7c79a9a20',
      '0.65': 'bff0cc1248b56ccc',
      '0.7': 'bff34378fcbda720',
      '0.95': 'c007f7427b73e38f',
    };
    expect(PINNED_LN_ONE_MINUS_PHI_F.map(([p]) => String(p))).to.have.members(Object.keys(expected));
    for (const [phiF, bits] of PINNED_LN_ONE_MINUS_PHI_F) {
      expect(bits.toString(16)).to.equal(expected[String(phiF)]);
      expect(float64Bits(lnOneMinusPhiF(phiF)).toString(16)).to.equal(expected[String(phiF)]);
    }
    // 1 - 0.7 is computed in f64 first, as in Rust.
    expect(lnOneMinusPhiF(0.7)).to.equal(Math.log(0.30000000000000004));
  });

  it('ev = BLAKE2b-512("map" ‖ msg\' ‖ LE64(i) ‖ σ)', () => {
    const msgPrime = concatBytes(V3_MSG, V2_ROOT);
    for (const index of [0, 1, 255, 256, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
      const expected = blake2b(concatBytes(utf8('map'), msgPrime, u64LE(index), V3_SIGMA1), { dkLen: 64 });
      expect(lotteryEv(msgPrime, index, V3_SIGMA1)).to.deep.equal(expected);
      expect(new DenseMapping(msgPrime, V3_SIGMA1).ev(index)).to.deep.equal(expected);
    }
  });

  it('V3: σ1 wins [1,4,5,8] and σ2 wins [0,3,4,5,6] (m=10, φ_f=0.8, stake 1 of 2)', () => {
    const msgPrime = concatBytes(V3_MSG, V2_ROOT);
    const target = new LotteryTarget(V3_PARAMS.phiF, 1n, 2n);
    expect(winningIndexes(msgPrime, V3_SIGMA1, V3_PARAMS.m, target)).to.deep.equal(V3_INDEXES1);
    expect(winningIndexes(msgPrime, V3_SIGMA2, V3_PARAMS.m, target)).to.deep.equal(V3_INDEXES2);
    for (const sigma of [V3_SIGMA1, V3_SIGMA2]) {
      for (let i = 0; i < V3_PARAMS.m; i++) {
        const ev = lotteryEv(msgPrime, i, sigma);
        expect(target.isWonExact(ev)).to.equal(referenceIsLotteryWon(0.8, ev, 1n, 2n));
        expect(target.isWon(ev)).to.equal(target.isWonExact(ev));
      }
    }
  });

  it('φ_f ≈ 1 always wins, φ_f = 0 and stake 0 never win', () => {
    const top = evBytes(EV_MAX - 1n);
    const zero = evBytes(0n);
    for (const phiF of [1, 1 - 2 ** -53, 1 + 2 ** -52 / 2]) {
      expect(isLotteryWon(phiF, top, 0n, 1n)).to.equal(true);
      expect(isLotteryWon(phiF, top, 1n, 0n)).to.equal(true);
    }
    for (const ev of [zero, evBytes(1n), top]) {
      expect(isLotteryWon(0, ev, 10n, 10n)).to.equal(false);
      expect(isLotteryWon(0.2, ev, 0n, 10n)).to.equal(false);
      expect(new LotteryTarget(0, 10n, 10n).isWonExact(ev)).to.equal(referenceIsLotteryWon(0, ev, 10n, 10n));
    }
    expect(isLotteryWon(0.2, zero, 1n, 10n)).to.equal(true);
    expect(isLotteryWon(0.2, top, 10n, 10n)).to.equal(false);
  });

  it('rejects what the reference panics on with typed errors', () => {
    const ev = evBytes(5n);
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).to.be.instanceOf(StmParameterError);
        return (e as StmParameterError).code;
      }
      throw new Error('expected a StmParameterError');
    };
    expect(code(() => isLotteryWon(1.5, ev, 1n, 2n))).to.equal('INVALID_PHI_F');
    expect(code(() => isLotteryWon(NaN, ev, 1n, 2n))).to.equal('INVALID_PHI_F');
    expect(code(() => isLotteryWon(-Infinity, ev, 1n, 2n))).to.equal('INVALID_PHI_F');
    expect(code(() => isLotteryWon(0.2, ev, 1n, 0n))).to.equal('INVALID_STAKE');
    expect(code(() => isLotteryWon(0.2, ev, 1n << 64n, 2n))).to.equal('INVALID_STAKE');
    expect(code(() => isLotteryWon(0.2, ev, -1n, 2n))).to.equal('INVALID_STAKE');
    expect(code(() => isLotteryWon(0.2, ev.subarray(1), 1n, 2n))).to.equal('INVALID_EV');
    expect(code(() => lotteryEv(new Uint8Array(4), -1, V3_SIGMA1))).to.equal('INVALID_PARAMETERS');
  });

  it('decides the exact boundary: ev = T wins and T + 1 loses, T from an independent computation', () => {
    for (const [phiF, stake, total] of CASES) {
      const t = thresholdEv(phiF, stake, total);
      const target = new LotteryTarget(phiF, stake, total);
      for (const [ev, wins] of [
        [t - 1n, true],
        [t, true],
        [t + 1n, false],
        [t + 2n, false],
      ] as const) {
        const bytes = evBytes(ev);
        expect(target.decideFast(bytes), `${phiF} ${stake}/${total}`).to.equal(undefined);
        expect(target.isWonExact(bytes), `${phiF} ${stake}/${total} ev = T ${ev - t}`).to.equal(wins);
        expect(target.isWon(bytes)).to.equal(wins);
      }
    }
    // The literal transcription (gcd-reduced fractions) takes seconds at full precision: one case.
    for (const [phiF, stake, total] of [CASES[4]!]) {
      const t = thresholdEv(phiF, stake, total);
      expect(referenceIsLotteryWon(phiF, evBytes(t), stake, total)).to.equal(true);
      expect(referenceIsLotteryWon(phiF, evBytes(t + 1n), stake, total)).to.equal(false);
    }
  });

  it('property: near the threshold the fast path abstains or agrees with the exact test', function () {
    this.timeout(30000);
    const thresholds = CASES.map(([phiF, stake, total]) => ({
      target: new LotteryTarget(phiF, stake, total),
      t: thresholdEv(phiF, stake, total),
    }));
    let fastDecisions = 0;
    fc.assert(
      fc.property(
        fc.nat(CASES.length - 1),
        fc.integer({ min: 0, max: 511 }),
        fc.bigInt({ min: 0n, max: EV_MAX - 1n }),
        fc.boolean(),
        (which, bits, noise, above) => {
          const { target, t } = thresholds[which]!;
          const delta = noise % (1n << BigInt(bits)) || 1n;
          const ev = above ? t + delta : t + 1n - delta;
          if (ev < 0n || ev >= EV_MAX) return;
          const bytes = evBytes(ev);
          const fast = target.decideFast(bytes);
          if (fast !== undefined) fastDecisions++;
          expect(target.isWonExact(bytes)).to.equal(!above);
          expect(fast ?? !above).to.equal(!above);
        },
      ),
      { numRuns: 600 },
    );
    // A fast decision needs |ev - T| above about 2^-40·φ·2^512: the top ~10% of the bit widths.
    expect(fastDecisions).to.be.greaterThan(20);
  });

  it('property: on random ev the fast path decides and agrees with the exact test', () => {
    const targets = CASES.map(([phiF, stake, total]) => ({
      target: new LotteryTarget(phiF, stake, total),
      // The fast path is off above x = 1.9 (here φ_f = 0.95, w = 2/3: x = 1.997).
      fastEnabled: -(Number(stake) / Number(total)) * Math.log(1 - phiF) <= 1.9,
    }));
    fc.assert(
      fc.property(fc.nat(CASES.length - 1), fc.uint8Array({ minLength: 64, maxLength: 64 }), (which, ev) => {
        const { target, fastEnabled } = targets[which]!;
        const fast = target.decideFast(ev);
        expect(fast === undefined).to.equal(!fastEnabled);
        expect(fast ?? target.isWonExact(ev)).to.equal(target.isWonExact(ev));
      }),
      { numRuns: 3000 },
    );
  });

  it('property: the exact test is the literal reference algorithm, also for small random stakes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.2, 0.65, 0.7, 0.8, 0.95, 0.123, 0.5),
        fc.bigInt({ min: 1n, max: 1000n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (phiF, total, s, ev) => {
          const stake = s % (total + 1n);
          const target = new LotteryTarget(phiF, stake, total);
          expect(target.isWonExact(ev)).to.equal(referenceIsLotteryWon(phiF, ev, stake, total));
          expect(target.isWon(ev)).to.equal(target.isWonExact(ev));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('for x > 2 reproduces the reference early exits, which depart from 1 - (1 - φ_f)^w', () => {
    // φ_f = 0.95 and w = 1: x = 2.9957. Round 1 already declares a loss once q > 1 + x + 1.5·x²,
    // i.e. ev/2^512 > 0.9427, although the real threshold is 0.95.
    const target = new LotteryTarget(0.95, 10n, 10n);
    const at = (p: number): Uint8Array => evBytes(BigInt(Math.floor(p * 2 ** 52)) << 460n);
    for (const [p, wins] of [
      [0.5, true],
      [0.94, true],
      [0.944, false],
      [0.949, false],
      [0.96, false],
    ] as const) {
      const ev = at(p);
      expect(target.decideFast(ev)).to.equal(undefined);
      expect(target.isWon(ev), `p = ${p}`).to.equal(wins);
      expect(referenceIsLotteryWon(0.95, ev, 10n, 10n)).to.equal(wins);
    }
  });

  it('plays m = 16948 indexes in well under a second', function () {
    this.timeout(20000);
    const target = new LotteryTarget(0.2, 1n, 100n);
    const won = winningIndexes(new Uint8Array(96), V3_SIGMA1, 16948, target);
    // Expected about m·φ(1/100) = 16948·(1 - 0.8^0.01) ≈ 37.8.
    expect(won.length).to.be.within(10, 80);
  });
});
