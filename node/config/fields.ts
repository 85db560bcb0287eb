/**
 * Parsers for single config values. Each takes the raw value and its path, reports problems
 * through `report` and returns the parsed value or `INVALID`, so that one pass over the whole
 * config collects every problem.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { parseRfc3339 } from '../../protocol/certificate/time.ts';
import { unknownName } from './suggest.ts';

export const INVALID: unique symbol = Symbol('invalid config value');
export type Parsed<T> = T | typeof INVALID;
export type Report = (path: string, message: string) => void;
export type FieldParser<T> = (raw: unknown, path: string, report: Report) => Parsed<T>;

const NS_PER_MS = 1_000_000n;
/** Offending values are quoted in messages up to this length, so one problem stays one line. */
const SHOWN_CHARS = 60;

function shown(raw: unknown): string {
  const text = typeof raw === 'string' ? JSON.stringify(raw) : Array.isArray(raw) ? 'a list' : String(raw);
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS - 1)}…` : text;
}

export function numberInRange(what: string, accept: (n: number) => boolean): FieldParser<number> {
  return (raw, path, report) => {
    if (typeof raw === 'number' && accept(raw)) return raw;
    report(path, `must be ${what}, got ${shown(raw)}`);
    return INVALID;
  };
}

export const positiveInteger = numberInRange('a positive integer', (n) => Number.isSafeInteger(n) && n > 0);
export const positiveNumber = numberInRange('a positive number', (n) => Number.isFinite(n) && n > 0);
export const openFraction = numberInRange('a number strictly between 0 and 1', (n) => n > 0 && n < 1);

export const booleanField: FieldParser<boolean> = (raw, path, report) => {
  if (typeof raw === 'boolean') return raw;
  report(path, `must be true or false, got ${shown(raw)}`);
  return INVALID;
};

export function stringField(check?: (text: string) => string | undefined): FieldParser<string> {
  return (raw, path, report) => {
    if (typeof raw !== 'string' || raw.trim() === '') {
      report(path, `must be a non-empty string, got ${shown(raw)}`);
      return INVALID;
    }
    const problem = check?.(raw);
    if (problem === undefined) return raw;
    report(path, problem);
    return INVALID;
  };
}

export function oneOf<T extends string>(values: readonly T[]): FieldParser<T> {
  return (raw, path, report) => {
    const value = values.find((v) => v === raw);
    if (value !== undefined) return value;
    const hint = typeof raw === 'string' ? unknownName('value', raw, values) : `must be a string`;
    report(path, `${hint}; one of ${values.join(', ')}`);
    return INVALID;
  };
}

/** A list whose items each pass `item`; duplicates are reported when `unique`. */
export function listField<T>(item: FieldParser<T>, options: { unique: boolean }): FieldParser<T[]> {
  return (raw, path, report) => {
    if (!Array.isArray(raw)) {
      report(path, `must be a list, got ${shown(raw)}`);
      return INVALID;
    }
    const out: T[] = [];
    /** Index in `raw` of each value's first occurrence. */
    const firstAt = new Map<T, number>();
    let valid = true;
    raw.forEach((value: unknown, i) => {
      const parsed = item(value, `${path}[${i}]`, report);
      if (parsed === INVALID) {
        valid = false;
        return;
      }
      const first = firstAt.get(parsed);
      if (options.unique && first !== undefined) {
        report(`${path}[${i}]`, `duplicate of ${path}[${first}]`);
        valid = false;
      }
      if (first === undefined) firstAt.set(parsed, i);
      out.push(parsed);
    });
    return valid ? out : INVALID;
  };
}

/** A multiaddr in canonical string form; bootstrap addresses must name the peer (`/p2p/<id>`). */
export function multiaddrField(options: { peerId: boolean }): FieldParser<string> {
  const text = stringField();
  return (raw, path, report) => {
    const value = text(raw, path, report);
    if (value === INVALID) return INVALID;
    let address: Multiaddr;
    try {
      address = multiaddr(value.trim());
    } catch (e) {
      report(path, `is not a valid multiaddr: ${e instanceof Error ? e.message : String(e)}`);
      return INVALID;
    }
    // `multiaddr('/')` parses to an address with no protocol at all.
    if (address.protoCodes().length === 0) {
      report(path, 'is not a valid multiaddr: it names no protocol');
      return INVALID;
    }
    if (options.peerId && !hasValidPeerId(address.getPeerId())) {
      report(path, 'must end with /p2p/<peer id> naming a valid peer id');
      return INVALID;
    }
    return address.toString();
  };
}

function hasValidPeerId(peerId: string | null): boolean {
  if (peerId === null) return false;
  try {
    peerIdFromString(peerId);
    return true;
  } catch {
    return false;
  }
}

/** RFC 3339 text or Unix ms, in whole milliseconds. */
export const genesisTimeField: FieldParser<number> = (raw, path, report) => {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && raw >= 0) return raw;
  } else if (typeof raw === 'string') {
    if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
    try {
      const ns = parseRfc3339(raw);
      const ms = ns / NS_PER_MS;
      if (ns % NS_PER_MS === 0n && ms >= 0n && ms <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(ms);
    } catch {
      // Reported below with the expected forms.
    }
  }
  report(
    path,
    `must be an RFC 3339 time (e.g. 2025-01-01T00:00:00Z) or Unix milliseconds, not before 1970 and in whole ms, got ${shown(raw)}`,
  );
  return INVALID;
};
