/**
 * The STM lottery (spec §1.4; reference mithril-stm `proof_system/concatenation/eligibility.rs`
 * with the default `num-integer-backend`, and `BlsSignature::evaluate_dense_mapping`).
 *
 * Index i wins for a signer of stake s out of S when ev_i/2^512 < φ(s/S) = 1 - (1 - φ_f)^(s/S),
 * decided by the reference's exact rational Taylor test. `LotteryTarget` precomputes everything
 * that depends on (φ_f, s, S) and decides almost every ev with two float comparisons; only ev
 * values within a relative 2^-40 of the threshold go to the exact test.
 */
import { hash } from 'node:crypto';
import { U64_MAX, bytesToBigIntLE, utf8 } from '../encoding/bytes.ts';
import type { StmParameters } from './types.ts';
import { StmParameterError } from './errors.ts';

/** Domain prefix of the dense mapping: `Blake2b512("map" ‖ msg' ‖ LE64(i) ‖ σ)`. */
const DENSE_MAPPING_PREFIX = utf8('map');
/** Output size of BLAKE2b-512, the width of ev. */
export const LOTTERY_EV_BYTES = 64;
/** Width of the LE64 index in the dense-mapping input (`u64::to_le_bytes`). */
const INDEX_BYTES = 8;
/** 2^32, to split safe-integer indexes into two u32 words. */
const TWO_POW_32 = 2 ** 32;

/** ev = BLAKE2b-512("map" ‖ msg' ‖ LE64(index) ‖ σ), one hash per lottery index. */
export class DenseMapping {
  /** The whole hash input, with the index bytes rewritten in place for each index. */
  private readonly input: Uint8Array;
  private readonly indexOffset: number;

  constructor(msgPrime: Uint8Array, sigma: Uint8Array) {
    this.indexOffset = DENSE_MAPPING_PREFIX.length + msgPrime.length;
    this.input = new Uint8Array(this.indexOffset + INDEX_BYTES + sigma.length);
    this.input.set(DENSE_MAPPING_PREFIX, 0);
    this.input.set(msgPrime, DENSE_MAPPING_PREFIX.length);
    this.input.set(sigma, this.indexOffset + INDEX_BYTES);
  }

  /** `index` must be a non-negative safe integer (callers check their bounds first). */
  ev(index: number): Uint8Array {
    const lo = index % TWO_POW_32;
    const hi = (index - lo) / TWO_POW_32;
    const o = this.indexOffset;
    const b = this.input;
    b[o] = lo & 0xff;
    b[o + 1] = (lo >>> 8) & 0xff;
    b[o + 2] = (lo >>> 16) & 0xff;
    b[o + 3] = lo >>> 24;
    b[o + 4] = hi & 0xff;
    b[o + 5] = (hi >>> 8) & 0xff;
    b[o + 6] = (hi >>> 16) & 0xff;
    b[o + 7] = hi >>> 24;
    // node:crypto 'blake2b512' is BLAKE2b-512 (the reference's Blake2b512), about 2x faster than noble.
    return hash('blake2b512', b, 'buffer');
  }
}

export function lotteryEv(msgPrime: Uint8Array, index: number, sigma: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new StmParameterError('INVALID_PARAMETERS', `lottery index ${index} is not a u64`);
  }
  return new DenseMapping(msgPrime, sigma).ev(index);
}

/** The f64 `ln(1.0 - φ_f)` exactly as Rust computes it (subtraction in f64 first). */
export function lnOneMinusPhiF(phiF: number): number {
  return Math.log(1 - phiF);
}

/**
 * `ln(1 - φ_f)` as IEEE-754 bit patterns for the deployed φ_f values (spec §1.1, §10 item 4),
 * computed by Rust `f64::ln`. Every lottery outcome depends on these bits.
 */
export const PINNED_LN_ONE_MINUS_PHI_F: ReadonlyArray<readonly [phiF: number, bits: bigint]> = [
  [0.2, 0xbfcc8ff7c79a9a20n],
  [0.65, 0xbff0cc1248b56cccn],
  [0.7, 0xbff34378fcbda720n],
  [0.95, 0xc007f7427b73e38fn],
];

const f64View = new DataView(new ArrayBuffer(8));

export function float64Bits(value: number): bigint {
  f64View.setFloat64(0, value);
  return f64View.getBigUint64(0);
}

/** A finite f64 as the exact rational sign·mantissa·2^exponent (num-rational `Ratio::from_float`). */
function decomposeFloat(value: number): { mantissa: bigint; exponent: number } {
  const bits = float64Bits(value);
  const negative = bits >> 63n === 1n;
  // IEEE-754 binary64: 11 exponent bits with bias 1023, 52 fraction bits.
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return { mantissa: negative ? -mantissa : mantissa, exponent };
}

/**
 * Refuses to run the lottery on a platform whose `Math.log` differs from Rust's `f64::ln` on the
 * pinned values: outcomes near the threshold would silently diverge from the reference.
 */
function checkPlatformLn(): void {
  for (const [phiF, bits] of PINNED_LN_ONE_MINUS_PHI_F) {
    const got = float64Bits(lnOneMinusPhiF(phiF));
    if (got !== bits) {
      throw new StmParameterError(
        'PLATFORM_LN_MISMATCH',
        `Math.log(1 - ${phiF}) = 0x${got.toString(16)}, Rust f64::ln gives 0x${bits.toString(16)}`,
      );
    }
  }
}
checkPlatformLn();

/** 2^512: ev ranges over [0, 2^512). */
const EV_MAX = 1n << 512n;
/** Reference `taylor_comparison(1000, …)`: inconclusive after 1000 rounds means "lost". */
const TAYLOR_ROUNDS = 1000n;
/** Reference error term `3·|next term|` (M = 3 bounds |ln(1 - φ_f)| for φ_f ≤ 0.95). */
const TAYLOR_ERROR_FACTOR = 3n;

/**
 * Exact `q < e^x` as the reference decides it, with q = 2^512/(2^512 - ev) and x = X/D (D > 0),
 * all fractions kept over the common denominator Den_k = D^k·k! so only integers are compared.
 * Round k adds x^k/k! to the partial sum T_k = P_k/Den_k, then compares q with T_k ± 3·|x^(k+1)/(k+1)!|.
 */
function taylorComparison(ev: Uint8Array, x: bigint, d: bigint): boolean {
  const b = EV_MAX - bytesToBigIntLE(ev);
  let p = 1n;
  let den = 1n;
  let xPow = 1n;
  for (let k = 1n; k <= TAYLOR_ROUNDS; k++) {
    xPow *= x;
    p = p * d * k + xPow;
    den = den * d * k;
    const scale = d * (k + 1n);
    const lhs = EV_MAX * den * scale;
    const mid = b * p * scale;
    const next = xPow * x;
    const err = b * TAYLOR_ERROR_FACTOR * (next < 0n ? -next : next);
    if (lhs > mid + err) return false;
    if (lhs < mid - err) return true;
  }
  return false;
}

/**
 * Largest x = -w·ln(1 - φ_f) (as a float estimate) for which the float fast path is used. For
 * 0 < x ≤ 2 and every round k ≥ 1 the Taylor remainder is at most t_{k+1}/(1 - x/(k+2)) ≤ 3·t_{k+1},
 * so the reference test never errs: it decides exactly ev/2^512 < 1 - e^(-x), which floats can
 * then approximate. Above 2 (φ_f = 0.95 with w > 0.67) its early exits can contradict the real
 * comparison, so only the exact test reproduces it; 1.9 leaves room for the float error in x.
 */
const FAST_PATH_MAX_X = 1.9;
/**
 * Half-width of the undecided band around φ, relative: 2^-40. The float φ(w) is within about
 * 6·2^-53·φ of the real value (Number(s), Number(S), the division and the product each round once,
 * |d(1-e^-x)/dx|·x ≤ φ, and expm1 is within 1 ulp) and the float estimate of ev/2^512 within
 * 2^-53·p + 2^-64, so a margin 2^13 times larger cannot misjudge, while only a 2^-39 fraction of
 * ev values (never, in practice) pays for the exact test.
 */
const FAST_PATH_RELATIVE_MARGIN = 2 ** -40;
/** Absolute part of the band: covers the 2^-64 truncation of ev to its top 64 bits when φ is tiny. */
const FAST_PATH_ABSOLUTE_MARGIN = 2 ** -60;

function checkStake(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new StmParameterError('INVALID_STAKE', `${what} ${String(value)} is not a u64`);
  }
}

/** The lottery of one signer: (φ_f, stake, total stake) with everything precomputed. */
export class LotteryTarget {
  readonly phiF: number;
  readonly stake: bigint;
  readonly totalStake: bigint;
  /** Decided without looking at ev: φ_f ≈ 1 always wins; x = 0 (φ_f = 0 or stake 0) never does. */
  private readonly constant: boolean | undefined;
  /** x = xNum/xDen exactly, xDen > 0. */
  private readonly xNum: bigint;
  private readonly xDen: bigint;
  /** Float band: below `winBelow` wins, above `loseAbove` loses; NaN disables the fast path. */
  private readonly winBelow: number;
  private readonly loseAbove: number;

  constructor(phiF: number, stake: bigint, totalStake: bigint) {
    this.phiF = phiF;
    this.stake = stake;
    this.totalStake = totalStake;
    this.xNum = 0n;
    this.xDen = 1n;
    this.winBelow = NaN;
    this.loseAbove = NaN;
    // Reference: `(phi_f - 1.0).abs() < f64::EPSILON` wins before anything else is looked at.
    if (Math.abs(phiF - 1) < Number.EPSILON) {
      this.constant = true;
      return;
    }
    checkStake(stake, 'stake');
    checkStake(totalStake, 'total stake');
    if (totalStake === 0n) throw new StmParameterError('INVALID_STAKE', 'total stake is 0');
    const c = lnOneMinusPhiF(phiF);
    if (!Number.isFinite(c)) {
      throw new StmParameterError('INVALID_PHI_F', `phi_f ${phiF} gives ln(1 - phi_f) = ${c}`);
    }
    // x = -(s/S)·c with c = mantissa·2^exponent.
    const { mantissa, exponent } = decomposeFloat(c);
    let xNum = -stake * mantissa;
    let xDen = totalStake;
    if (exponent >= 0) xNum <<= BigInt(exponent);
    else xDen <<= BigInt(-exponent);
    if (xNum === 0n) {
      // T_k = 1 and the error term is 0 in every round, q ≥ 1: never "q < T - err".
      this.constant = false;
      return;
    }
    this.constant = undefined;
    this.xNum = xNum;
    this.xDen = xDen;
    const x = (Number(stake) / Number(totalStake)) * -c;
    if (x > 0 && x <= FAST_PATH_MAX_X) {
      const phi = -Math.expm1(-x);
      const margin = phi * FAST_PATH_RELATIVE_MARGIN + FAST_PATH_ABSOLUTE_MARGIN;
      this.winBelow = phi - margin;
      this.loseAbove = phi + margin;
    }
  }

  /** The reference decision for one 64-byte ev. */
  isWon(ev: Uint8Array): boolean {
    return this.decideFast(ev) ?? this.isWonExact(ev);
  }

  /** The float decision, or undefined when ev is too close to the threshold (or x is out of range). */
  decideFast(ev: Uint8Array): boolean | undefined {
    checkEv(ev);
    if (this.constant !== undefined) return this.constant;
    // ev/2^512 from its top 64 bits (little-endian: the last 8 bytes); both terms are exact.
    const hi = ((ev[63]! << 24) | (ev[62]! << 16) | (ev[61]! << 8) | ev[60]!) >>> 0;
    const lo = ((ev[59]! << 24) | (ev[58]! << 16) | (ev[57]! << 8) | ev[56]!) >>> 0;
    const p = hi * 2 ** -32 + lo * 2 ** -64;
    if (p < this.winBelow) return true;
    if (p > this.loseAbove) return false;
    return undefined;
  }

  /** The reference algorithm alone (exact rationals, Taylor with early exit, 1000 rounds). */
  isWonExact(ev: Uint8Array): boolean {
    checkEv(ev);
    if (this.constant !== undefined) return this.constant;
    return taylorComparison(ev, this.xNum, this.xDen);
  }
}

function checkEv(ev: Uint8Array): void {
  if (ev.length !== LOTTERY_EV_BYTES) {
    throw new StmParameterError('INVALID_EV', `ev has ${ev.length} bytes, expected ${LOTTERY_EV_BYTES}`);
  }
}

/** Reference `is_lottery_won(phi_f, ev, stake, total_stake)`. */
export function isLotteryWon(phiF: number, ev: Uint8Array, stake: bigint, totalStake: bigint): boolean {
  return new LotteryTarget(phiF, stake, totalStake).isWon(ev);
}

/** Throws `StmParameterError('INVALID_PARAMETERS')` unless m and k are u64 values usable here. */
export function checkParameters(params: StmParameters): void {
  const { m, k, phiF } = params;
  if (!Number.isSafeInteger(m) || m < 0 || !Number.isSafeInteger(k) || k < 0) {
    throw new StmParameterError('INVALID_PARAMETERS', `m = ${m}, k = ${k} must be non-negative integers`);
  }
  if (typeof phiF !== 'number' || Number.isNaN(phiF)) {
    throw new StmParameterError('INVALID_PHI_F', `phi_f ${String(phiF)} is not a number`);
  }
}

/** Every index in 0..m-1 that wins for `sigma` on `msgPrime` (reference `check_lottery`). */
export function winningIndexes(
  msgPrime: Uint8Array,
  sigma: Uint8Array,
  m: number,
  target: LotteryTarget,
): number[] {
  const mapping = new DenseMapping(msgPrime, sigma);
  const won: number[] = [];
  for (let i = 0; i < m; i++) if (target.isWon(mapping.ev(i))) won.push(i);
  return won;
}
