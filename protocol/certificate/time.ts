/**
 * Certificate timestamps: chrono `DateTime<Utc>` as serde writes and reads it, held as BigInt
 * nanoseconds since the Unix epoch (JS `Date` stops at milliseconds, the metadata hash needs
 * nanoseconds).
 *
 * Output (chrono 0.4.45 `Serialize`, `write_rfc3339(.., SecondsFormat::AutoSi, use_z = true)`):
 * `YYYY-MM-DDTHH:MM:SS[.fff|.ffffff|.fffffffff]Z`: no fraction when the nanoseconds are 0,
 * else 3, 6 or 9 digits, the fewest that are exact; years outside 0..=9999 carry a sign and at
 * least 4 digits (`{:+05}`).
 *
 * Input (`FromStr for DateTime<FixedOffset>`, then converted to UTC): date, `T`/`t`/space, time,
 * an optional fraction of any length (digits past the ninth are ignored, as chrono does), and an
 * offset `Z`, `z`, `UTC` or `±HH:MM`/`±HHMM`. chrono's further leniencies (spaces inside,
 * unpadded fields) and leap seconds (`:60`, which nanoseconds cannot represent) are rejected.
 */
import { DecodeError } from '../errors.ts';

export class TimestampError extends DecodeError {}

const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400;
/** chrono `NaiveDate` bounds: MIN_YEAR = (i32::MIN >> 13) + 1, MAX_YEAR = (i32::MAX >> 13) - 1. */
const MIN_YEAR = -262_143;
const MAX_YEAR = 262_142;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const DAYS_0000_03_01_TO_UNIX_EPOCH = 719_468;
/** Days in a 400-year Gregorian cycle. */
const DAYS_PER_ERA = 146_097;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * DAYS_PER_ERA + doe - DAYS_0000_03_01_TO_UNIX_EPOCH;
}

function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + DAYS_0000_03_01_TO_UNIX_EPOCH;
  const era = Math.floor(z / DAYS_PER_ERA);
  const doe = z - era * DAYS_PER_ERA;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** First and last representable instants (chrono `DateTime<Utc>::MIN_UTC` / `MAX_UTC`). */
const MIN_NANOS = BigInt(daysFromCivil(MIN_YEAR, 1, 1)) * BigInt(SECONDS_PER_DAY) * NS_PER_SECOND;
const MAX_NANOS = BigInt(daysFromCivil(MAX_YEAR + 1, 1, 1)) * BigInt(SECONDS_PER_DAY) * NS_PER_SECOND - 1n;

const RFC3339_RE =
  /^([+-]\d+|\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz]|UTC|utc)|([+-])(\d{2}):?(\d{2}))$/;

function invalid(text: string, why: string): never {
  throw new TimestampError('INVALID_TIMESTAMP', `invalid RFC 3339 timestamp ${JSON.stringify(text)}: ${why}`);
}

/** Parses an RFC 3339 timestamp into nanoseconds since 1970-01-01T00:00:00Z. */
export function parseRfc3339(text: string): bigint {
  if (typeof text !== 'string') invalid(String(text), 'not a string');
  const m = RFC3339_RE.exec(text);
  if (m === null) invalid(text, 'does not match YYYY-MM-DDTHH:MM:SS[.f]Z|±HH:MM');
  const [, y, mo, d, h, mi, s, frac, zulu, sign, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (!Number.isSafeInteger(year) || year < MIN_YEAR || year > MAX_YEAR) invalid(text, 'year out of range');
  if (month < 1 || month > 12) invalid(text, 'month out of range');
  if (day < 1 || day > daysInMonth(year, month)) invalid(text, 'day out of range');
  if (hour > 23 || minute > 59) invalid(text, 'time out of range');
  if (second === 60) {
    throw new TimestampError(
      'LEAP_SECOND_UNSUPPORTED',
      `leap second in ${JSON.stringify(text)} is not supported`,
    );
  }
  if (second > 59) invalid(text, 'second out of range');
  // Nanoseconds: the first 9 digits, right-padded; further digits are ignored.
  const nanos = frac === undefined ? 0n : BigInt(frac.slice(0, 9).padEnd(9, '0'));
  let offsetSeconds = 0;
  if (zulu === undefined) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 23 || offM > 59) invalid(text, 'offset out of range');
    offsetSeconds = (sign === '-' ? -1 : 1) * (offH * 3600 + offM * 60);
  }
  const localSeconds = daysFromCivil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
  const ns = BigInt(localSeconds - offsetSeconds) * NS_PER_SECOND + nanos;
  if (ns < MIN_NANOS || ns > MAX_NANOS) {
    throw new TimestampError('TIMESTAMP_OUT_OF_RANGE', `${JSON.stringify(text)} is outside chrono's range`);
  }
  return ns;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** `SecondsFormat::AutoSi`: the fewest of 0, 3, 6 or 9 fractional digits that are exact. */
function autoSiFraction(nanos: number): string {
  if (nanos === 0) return '';
  if (nanos % 1_000_000 === 0) return `.${pad(nanos / 1_000_000, 3)}`;
  if (nanos % 1_000 === 0) return `.${pad(nanos / 1_000, 6)}`;
  return `.${pad(nanos, 9)}`;
}

/** Formats nanoseconds since the Unix epoch exactly as chrono serializes a `DateTime<Utc>`. */
export function formatRfc3339(ns: bigint): string {
  if (typeof ns !== 'bigint' || ns < MIN_NANOS || ns > MAX_NANOS) {
    throw new TimestampError(
      'TIMESTAMP_OUT_OF_RANGE',
      `timestamp ${String(ns)} ns is outside chrono's range`,
    );
  }
  // Floor division so that instants before 1970 get a positive sub-second part.
  let seconds = ns / NS_PER_SECOND;
  let nanos = ns % NS_PER_SECOND;
  if (nanos < 0n) {
    nanos += NS_PER_SECOND;
    seconds -= 1n;
  }
  const secs = Number(seconds);
  const days = Math.floor(secs / SECONDS_PER_DAY);
  const secOfDay = secs - days * SECONDS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const yearText = year >= 0 && year <= 9999 ? pad(year, 4) : (year < 0 ? '-' : '+') + pad(Math.abs(year), 4);
  const time = `${pad(Math.floor(secOfDay / 3600), 2)}:${pad(Math.floor((secOfDay % 3600) / 60), 2)}:${pad(secOfDay % 60, 2)}`;
  return `${yearText}-${pad(month, 2)}-${pad(day, 2)}T${time}${autoSiFraction(Number(nanos))}Z`;
}

/** i64 bounds of `timestamp_nanos_opt`. */
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/**
 * The value the metadata hash feeds as BE i64: `timestamp_nanos_opt().unwrap_or_default()`, so
 * instants outside 1677-09-21..2262-04-11 (beyond i64 nanoseconds) hash as 0.
 */
export function timestampNanosForHash(ns: bigint): bigint {
  return ns < I64_MIN || ns > I64_MAX ? 0n : ns;
}
