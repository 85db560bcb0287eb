/**
 * The devnet's stake distribution as a JSON file, `{ "pool1…": "12345", … }`: pool id (bech32)
 * to stake in lovelace. Stakes are written as decimal strings because real stakes exceed 2^53
 * and most JSON tools read numbers as doubles; integer numbers up to 2^53−1 are accepted on
 * read. Every node of a devnet reads the same file, so validation is strict: a canonical pool
 * id, a u64 stake, no duplicate key, and a total that fits the STM's u64 total stake.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { JsonValue } from '../../protocol/codec/json.ts';
import { parseJson } from '../../protocol/codec/json.ts';
import { parsePoolId } from '../../protocol/cardano/pool-id.ts';
import { U64_MAX } from '../../protocol/encoding/bytes.ts';
import { DecodeError } from '../../protocol/errors.ts';

/**
 * Codes: UNREADABLE, INVALID_JSON, NOT_AN_OBJECT, EMPTY_DISTRIBUTION, INVALID_POOL_ID,
 * INVALID_STAKE, TOTAL_STAKE_OVERFLOW. `entry` names the offending pool id when there is one.
 */
export class StakeDistributionError extends DecodeError {
  readonly entry: string | undefined;

  constructor(code: string, message: string, entry?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.entry = entry;
  }
}

const DECIMAL_RE = /^(?:0|[1-9]\d*)$/;

function entryError(source: string, entry: string, code: string, why: string, cause?: unknown) {
  return new StakeDistributionError(
    code,
    `${source}: entry ${JSON.stringify(entry)}: ${why}`,
    entry,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Throws `StakeDistributionError` unless every key is a canonical pool id, every stake a u64
 * bigint and the total fits a u64 (the STM's `total_stake`).
 */
export function checkStakeDistribution(
  distribution: ReadonlyMap<string, bigint>,
  source = 'stake distribution',
): void {
  let total = 0n;
  for (const [poolId, stake] of distribution) {
    try {
      parsePoolId(poolId);
    } catch (cause) {
      throw entryError(source, poolId, 'INVALID_POOL_ID', 'not a canonical bech32 pool id', cause);
    }
    if (typeof stake !== 'bigint' || stake < 0n || stake > U64_MAX) {
      throw entryError(source, poolId, 'INVALID_STAKE', 'stake must be a bigint in [0, 2^64−1]');
    }
    total += stake;
  }
  if (total > U64_MAX) {
    throw new StakeDistributionError(
      'TOTAL_STAKE_OVERFLOW',
      `${source}: total stake ${total} exceeds 2^64−1`,
    );
  }
}

function readStake(value: JsonValue, source: string, poolId: string): bigint {
  if (typeof value === 'string') {
    if (!DECIMAL_RE.test(value)) {
      throw entryError(
        source,
        poolId,
        'INVALID_STAKE',
        `stake ${JSON.stringify(value)} is not a decimal integer`,
      );
    }
    return BigInt(value);
  }
  if (typeof value === 'bigint') {
    // parseJson reads integer literals exactly; beyond 2^53−1 other readers of the file would not.
    if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw entryError(
        source,
        poolId,
        'INVALID_STAKE',
        `stake ${value} as a JSON number must lie in [0, 2^53−1]; write larger stakes as strings`,
      );
    }
    return value;
  }
  throw entryError(source, poolId, 'INVALID_STAKE', 'stake must be a decimal string or an integer number');
}

/** Parses the file's text; `source` names it in errors. */
export function parseStakeDistribution(text: string, source = 'stake distribution'): Map<string, bigint> {
  let json: JsonValue;
  try {
    json = parseJson(text);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new StakeDistributionError('INVALID_JSON', `${source}: ${why}`, undefined, { cause });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new StakeDistributionError(
      'NOT_AN_OBJECT',
      `${source}: must be a JSON object { "pool1…": "stake" }`,
    );
  }
  const distribution = new Map<string, bigint>();
  for (const [poolId, value] of Object.entries(json))
    distribution.set(poolId, readStake(value, source, poolId));
  if (distribution.size === 0) {
    throw new StakeDistributionError('EMPTY_DISTRIBUTION', `${source}: holds no pool`);
  }
  checkStakeDistribution(distribution, source);
  return distribution;
}

/** Pretty JSON, pools sorted by id and stakes as decimal strings, with a final newline. */
export function formatStakeDistribution(distribution: ReadonlyMap<string, bigint>): string {
  checkStakeDistribution(distribution);
  const sorted = [...distribution].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${JSON.stringify(Object.fromEntries(sorted.map(([pool, stake]) => [pool, stake.toString()])), null, 2)}\n`;
}

export async function readStakeDistributionFile(path: string): Promise<Map<string, bigint>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new StakeDistributionError(
      'UNREADABLE',
      `cannot read stake distribution ${path}: ${why}`,
      undefined,
      {
        cause,
      },
    );
  }
  return parseStakeDistribution(text, path);
}

export async function writeStakeDistributionFile(
  path: string,
  distribution: ReadonlyMap<string, bigint>,
): Promise<void> {
  await writeFile(path, formatStakeDistribution(distribution));
}
