import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  StakeDistributionError,
  checkStakeDistribution,
  formatStakeDistribution,
  parseStakeDistribution,
  readStakeDistributionFile,
  writeStakeDistributionFile,
} from '../../../node/chain/stake-distribution-file.ts';
import { poolIdFromHash } from '../../../protocol/cardano/pool-id.ts';

const pool = (n: number): string => poolIdFromHash(new Uint8Array(28).fill(n));

function parseError(text: string): StakeDistributionError {
  try {
    parseStakeDistribution(text, 'stake.json');
  } catch (e) {
    if (e instanceof StakeDistributionError) return e;
    throw e;
  }
  throw new Error(`expected ${text} to be rejected`);
}

describe('node/chain/stake-distribution-file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stake-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips through a file, stakes beyond 2^53 exact, pools sorted, stakes as strings', async () => {
    const distribution = new Map([
      [pool(9), 2n ** 63n],
      [pool(1), 0n],
      [pool(5), 2n ** 53n + 1n],
    ]);
    const file = join(dir, 'stake.json');
    await writeStakeDistributionFile(file, distribution);
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text)).to.deep.equal({
      [pool(1)]: '0',
      [pool(5)]: '9007199254740993',
      [pool(9)]: '9223372036854775808',
    });
    expect(Object.keys(JSON.parse(text) as object)).to.deep.equal([pool(1), pool(5), pool(9)].sort());
    expect(text.endsWith('\n')).to.equal(true);
    const back = await readStakeDistributionFile(file);
    expect([...back].sort()).to.deep.equal([...distribution].sort());
  });

  it('accepts integer numbers up to 2^53−1', () => {
    const parsed = parseStakeDistribution(`{"${pool(1)}": 9007199254740991, "${pool(2)}": "12"}`);
    expect([...parsed]).to.deep.equal([
      [pool(1), 9007199254740991n],
      [pool(2), 12n],
    ]);
  });

  it('names the offending entry of a malformed file', () => {
    const cases: [string, string, string | undefined][] = [
      [`{"${pool(1)}": 9007199254740992}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": -1}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": 1.5}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": "1", "${pool(2)}": "0x10"}`, 'INVALID_STAKE', pool(2)],
      [`{"${pool(1)}": "007"}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": "18446744073709551616"}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": null}`, 'INVALID_STAKE', pool(1)],
      [`{"${pool(1)}": "1", "pool1xyz": "1"}`, 'INVALID_POOL_ID', 'pool1xyz'],
      [`{"${pool(1).toUpperCase()}": "1"}`, 'INVALID_POOL_ID', pool(1).toUpperCase()],
      [`{"${pool(1)}": "1", "${pool(1)}": "2"}`, 'INVALID_JSON', undefined],
      [`{"${pool(1)}": "18446744073709551615", "${pool(2)}": "1"}`, 'TOTAL_STAKE_OVERFLOW', undefined],
      ['[1, 2]', 'NOT_AN_OBJECT', undefined],
      ['{}', 'EMPTY_DISTRIBUTION', undefined],
      ['{', 'INVALID_JSON', undefined],
    ];
    for (const [text, code, entry] of cases) {
      const error = parseError(text);
      expect(error.code, text).to.equal(code);
      expect(error.entry, text).to.equal(entry);
      expect(error.message, text).to.contain('stake.json');
      if (entry !== undefined) expect(error.message, text).to.contain(entry);
    }
  });

  it('reports an unreadable file with its path', async () => {
    const missing = join(dir, 'missing.json');
    const error = await readStakeDistributionFile(missing).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(StakeDistributionError);
    expect((error as StakeDistributionError).code).to.equal('UNREADABLE');
    expect((error as StakeDistributionError).message).to.contain(missing);
    writeFileSync(join(dir, 'bad.json'), `{"${pool(1)}": "x"}`);
    const bad = await readStakeDistributionFile(join(dir, 'bad.json')).catch((e: unknown) => e);
    expect((bad as StakeDistributionError).message).to.contain(join(dir, 'bad.json'));
  });

  it('checks in-memory distributions and refuses to write invalid ones', () => {
    expect(() => checkStakeDistribution(new Map([[pool(1), -1n]]))).to.throw(StakeDistributionError);
    expect(() => formatStakeDistribution(new Map([['pool1bad', 1n]]))).to.throw(StakeDistributionError);
  });
});
