import { expect } from 'chai';
import fc from 'fast-check';
import {
  formatRfc3339,
  parseRfc3339,
  timestampNanosForHash,
  TimestampError,
} from '../../../protocol/certificate/time.ts';

const MS = 1_000_000n;
const fromDate = (iso: string): bigint => BigInt(Date.parse(iso)) * MS;

describe('protocol/certificate/time (chrono DateTime<Utc> serde)', () => {
  it('parses whole seconds and formats them without a fraction', () => {
    const ns = parseRfc3339('2024-02-12T13:11:47Z');
    expect(ns).to.equal(fromDate('2024-02-12T13:11:47Z'));
    expect(formatRfc3339(ns)).to.equal('2024-02-12T13:11:47Z');
  });

  it('keeps nanoseconds and writes 3, 6 or 9 digits like SecondsFormat::AutoSi', () => {
    const base = fromDate('2024-02-12T13:11:47Z');
    const cases: [string, bigint, string][] = [
      ['2024-02-12T13:11:47.0123043Z', 12_304_300n, '2024-02-12T13:11:47.012304300Z'],
      ['2026-05-21T14:41:53.660381099Z', 0n, '2026-05-21T14:41:53.660381099Z'],
      ['2024-02-12T13:11:47.1Z', 100_000_000n, '2024-02-12T13:11:47.100Z'],
      ['2024-02-12T13:11:47.123400Z', 123_400_000n, '2024-02-12T13:11:47.123400Z'],
      ['2024-02-12T13:11:47.000001Z', 1_000n, '2024-02-12T13:11:47.000001Z'],
      ['2024-02-12T13:11:47.000123043Z', 123_043n, '2024-02-12T13:11:47.000123043Z'],
      ['2024-02-12T13:11:47.000000000Z', 0n, '2024-02-12T13:11:47Z'],
    ];
    for (const [input, nanos, output] of cases) {
      const ns = parseRfc3339(input);
      if (nanos !== 0n) expect(ns - base, input).to.equal(nanos);
      expect(formatRfc3339(ns), input).to.equal(output);
    }
  });

  it('ignores fraction digits past the ninth, as chrono does', () => {
    expect(parseRfc3339('2024-02-12T13:11:47.1234567891234Z')).to.equal(
      parseRfc3339('2024-02-12T13:11:47.123456789Z'),
    );
  });

  it('accepts the separators and offsets chrono accepts, converting to UTC', () => {
    const utc = parseRfc3339('2024-02-12T13:11:47.5Z');
    for (const text of [
      '2024-02-12t13:11:47.5z',
      '2024-02-12 13:11:47.5Z',
      '2024-02-12T13:11:47.5UTC',
      '2024-02-12T15:11:47.5+02:00',
      '2024-02-12T15:11:47.5+0200',
      '2024-02-12T07:41:47.5-05:30',
    ]) {
      expect(parseRfc3339(text), text).to.equal(utc);
    }
  });

  it('handles instants before 1970 and years outside 0..=9999', () => {
    expect(parseRfc3339('1969-12-31T23:59:59.999999999Z')).to.equal(-1n);
    expect(formatRfc3339(-1n)).to.equal('1969-12-31T23:59:59.999999999Z');
    expect(formatRfc3339(0n)).to.equal('1970-01-01T00:00:00Z');
    for (const text of [
      '0000-01-01T00:00:00Z',
      '-0001-12-31T23:59:59Z',
      '+10000-01-01T00:00:00.001Z',
      '2000-02-29T12:00:00Z',
      '+262142-12-31T23:59:59.999999999Z',
      '-262143-01-01T00:00:00Z',
    ]) {
      expect(formatRfc3339(parseRfc3339(text)), text).to.equal(text);
    }
    expect(parseRfc3339('+2024-02-12T13:11:47Z')).to.equal(parseRfc3339('2024-02-12T13:11:47Z'));
  });

  it('agrees with Date on millisecond instants', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(parseRfc3339(iso)).to.equal(BigInt(ms) * MS);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any nanosecond instant (format then parse)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 19n), max: 10n ** 19n }), (ns) => {
        expect(parseRfc3339(formatRfc3339(ns))).to.equal(ns);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed, impossible and unsupported timestamps with typed errors', () => {
    const cases: [string, string][] = [
      ['2024-02-12T13:11:47', 'INVALID_TIMESTAMP'],
      ['2024-2-12T13:11:47Z', 'INVALID_TIMESTAMP'],
      ['2024-02-30T13:11:47Z', 'INVALID_TIMESTAMP'],
      ['2023-02-29T00:00:00Z', 'INVALID_TIMESTAMP'],
      ['2024-13-01T00:00:00Z', 'INVALID_TIMESTAMP'],
      ['2024-02-12T24:00:00Z', 'INVALID_TIMESTAMP'],
      ['2024-02-12T13:11:47.Z', 'INVALID_TIMESTAMP'],
      ['2024-02-12T13:11:47+24:00', 'INVALID_TIMESTAMP'],
      ['2024-02-12T13:11:47Z ', 'INVALID_TIMESTAMP'],
      ['+262143-01-01T00:00:00Z', 'INVALID_TIMESTAMP'],
      ['2016-12-31T23:59:60Z', 'LEAP_SECOND_UNSUPPORTED'],
      ['+262142-12-31T23:59:59-01:00', 'TIMESTAMP_OUT_OF_RANGE'],
    ];
    for (const [text, code] of cases) {
      expect(() => parseRfc3339(text), text)
        .to.throw(TimestampError)
        .with.property('code', code);
    }
    expect(() => formatRfc3339(10n ** 25n))
      .to.throw(TimestampError)
      .with.property('code', 'TIMESTAMP_OUT_OF_RANGE');
  });

  it('hashes instants beyond i64 nanoseconds as 0 (timestamp_nanos_opt().unwrap_or_default())', () => {
    const ns = parseRfc3339('2024-02-12T13:11:47Z');
    expect(timestampNanosForHash(ns)).to.equal(ns);
    expect(timestampNanosForHash(parseRfc3339('1677-09-21T00:12:43.145224192Z'))).to.equal(-(1n << 63n));
    expect(timestampNanosForHash(parseRfc3339('1677-09-21T00:12:43.145224191Z'))).to.equal(0n);
    expect(timestampNanosForHash(parseRfc3339('2262-04-11T23:47:16.854775807Z'))).to.equal((1n << 63n) - 1n);
    expect(timestampNanosForHash(parseRfc3339('2262-04-11T23:47:16.854775808Z'))).to.equal(0n);
  });
});
