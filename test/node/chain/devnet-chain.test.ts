import { expect } from 'chai';
import { ChainError, DevnetChain } from '../../../node/chain/devnet-chain.ts';
import type { DevnetChainConfig } from '../../../node/chain/devnet-chain.ts';
import { StakeDistributionError } from '../../../node/chain/stake-distribution-file.ts';
import { ConfigError } from '../../../node/config/errors.ts';
import { ManualClock } from '../../../node/runtime/clock.ts';
import { poolIdFromHash } from '../../../protocol/cardano/pool-id.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';

const pool = (n: number): string => poolIdFromHash(new Uint8Array(28).fill(n));
const GENESIS = 1_700_000_000_000;
/** 100 slots of 100 ms per epoch, 30 slots per KES period, a block every other slot. */
const config: DevnetChainConfig = {
  genesisTimeMs: GENESIS,
  epochLengthMs: 10_000,
  slotLengthMs: 100,
  slotsPerKesPeriod: 30,
  blocksPerEpoch: 50,
  stakeDistribution: new Map([
    [pool(1), 10n],
    [pool(2), 2n ** 60n],
  ]),
};

describe('node/chain/devnet-chain: epochs, time points and KES periods', () => {
  it('sits at epoch 0, slot 0 before genesis', () => {
    const chain = new DevnetChain(config, new ManualClock(GENESIS - 123_456));
    expect(chain.currentEpoch()).to.equal(0);
    expect(chain.currentTimePoint()).to.deep.equal({ epoch: 0, immutableFileNumber: 0, blockNumber: 0 });
    expect(chain.currentKesPeriod()).to.equal(0n);
    expect(chain.slotAt(0)).to.equal(0);
  });

  it('derives every quantity from the slot', () => {
    const chain = new DevnetChain(config, new ManualClock());
    // Last slot of epoch 0 (slot 99), then first of epoch 1 (slot 100), then slot 257.
    expect(chain.timePointAt(GENESIS + 9_999)).to.deep.equal({
      epoch: 0,
      immutableFileNumber: 19,
      blockNumber: 49,
    });
    expect(chain.kesPeriodAt(GENESIS + 9_999)).to.equal(3n);
    expect(chain.timePointAt(GENESIS + 10_000)).to.deep.equal({
      epoch: 1,
      immutableFileNumber: 20,
      blockNumber: 50,
    });
    expect(chain.timePointAt(GENESIS + 25_799)).to.deep.equal({
      epoch: 2,
      immutableFileNumber: 51,
      blockNumber: 128,
    });
    expect(chain.kesPeriodAt(GENESIS + 25_799)).to.equal(8n);
  });

  it('gives each epoch its window, boundaries included in the epoch they start', () => {
    const clock = new ManualClock(GENESIS + 20_000);
    const chain = new DevnetChain(config, clock);
    expect(chain.currentEpoch()).to.equal(2);
    expect(chain.epochWindow(2)).to.deep.equal({
      epoch: 2,
      startMs: GENESIS + 20_000,
      endMs: GENESIS + 30_000,
    });
    expect(chain.epochWindow(0).startMs).to.equal(GENESIS);
    clock.advance(9_999);
    expect(chain.currentEpoch()).to.equal(2);
    clock.advance(1);
    expect(chain.currentEpoch()).to.equal(3);
    expectCode(() => chain.epochWindow(-1), ChainError, 'INVALID_EPOCH');
    expectCode(() => chain.epochWindow(1.5), ChainError, 'INVALID_EPOCH');
    expectCode(() => chain.epochWindow(Number.MAX_SAFE_INTEGER), ChainError, 'INVALID_EPOCH');
  });

  it('moves the time point and KES period monotonically', () => {
    const chain = new DevnetChain(config, new ManualClock());
    let previous = { epoch: 0, immutableFileNumber: 0, blockNumber: 0, kes: 0n };
    for (let t = GENESIS - 1_000; t < GENESIS + 50_000; t += 37) {
      const point = { ...chain.timePointAt(t), kes: chain.kesPeriodAt(t) };
      expect(point.epoch).to.be.at.least(previous.epoch);
      expect(point.immutableFileNumber).to.be.at.least(previous.immutableFileNumber);
      expect(point.blockNumber).to.be.at.least(previous.blockNumber);
      expect(point.kes >= previous.kes).to.equal(true);
      previous = point;
    }
    expect(previous.epoch).to.equal(4);
  });

  it('has a block in every slot by default', () => {
    const chain = new DevnetChain({ ...config, blocksPerEpoch: undefined }, new ManualClock());
    expect(chain.blocksPerEpoch).to.equal(100);
    expect(chain.timePointAt(GENESIS + 25_799).blockNumber).to.equal(257);
  });

  it('agrees across instances sharing a config', async () => {
    const a = new DevnetChain(config, new ManualClock(GENESIS + 31_234));
    const b = new DevnetChain(
      { ...config, stakeDistribution: new Map(config.stakeDistribution as Map<string, bigint>) },
      new ManualClock(GENESIS + 31_234),
    );
    expect(a.currentEpoch()).to.equal(b.currentEpoch());
    expect(a.currentTimePoint()).to.deep.equal(b.currentTimePoint());
    expect(a.currentKesPeriod()).to.equal(b.currentKesPeriod());
    expect(a.epochWindow(7)).to.deep.equal(b.epochWindow(7));
    expect([...(await a.stakeDistribution(3))]).to.deep.equal([...(await b.stakeDistribution(3))]);
  });
});

describe('node/chain/devnet-chain: stake distributions', () => {
  it('serves a copy of a fixed map for every epoch', async () => {
    const stake = new Map([[pool(1), 5n]]);
    const chain = new DevnetChain({ ...config, stakeDistribution: stake }, new ManualClock());
    stake.set(pool(2), 7n);
    expect([...(await chain.stakeDistribution(0))]).to.deep.equal([[pool(1), 5n]]);
    expect([...(await chain.stakeDistribution(9))]).to.deep.equal([[pool(1), 5n]]);
  });

  it('calls a per-epoch function and checks what it returns', async () => {
    const chain = new DevnetChain(
      {
        ...config,
        stakeDistribution: (epoch) => new Map([[epoch === 3 ? 'pool1nope' : pool(1), BigInt(epoch)]]),
      },
      new ManualClock(),
    );
    expect([...(await chain.stakeDistribution(2))]).to.deep.equal([[pool(1), 2n]]);
    const error = await chain.stakeDistribution(3).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(StakeDistributionError);
    expect((error as StakeDistributionError).code).to.equal('INVALID_POOL_ID');
    expect((error as StakeDistributionError).entry).to.equal('pool1nope');
  });
});

describe('node/chain/devnet-chain: onEpoch', () => {
  it('fires once per boundary, with the new epoch, not at genesis', () => {
    const clock = new ManualClock(GENESIS - 5_000);
    const chain = new DevnetChain(config, clock);
    const seen: [number, number][] = [];
    chain.onEpoch((epoch) => seen.push([epoch, clock.now() - GENESIS]));
    clock.advance(35_000);
    clock.advance(0);
    expect(seen).to.deep.equal([
      [1, 10_000],
      [2, 20_000],
      [3, 30_000],
    ]);
  });

  it('stops with the unsubscribe function or stop()', () => {
    const clock = new ManualClock(GENESIS + 1);
    const chain = new DevnetChain(config, clock);
    const a: number[] = [];
    const b: number[] = [];
    const offA = chain.onEpoch((e) => a.push(e));
    chain.onEpoch((e) => b.push(e));
    clock.advance(10_000);
    offA();
    clock.advance(10_000);
    chain.stop();
    clock.advance(30_000);
    expect(a).to.deep.equal([1]);
    expect(b).to.deep.equal([1, 2]);
    // Subscribing again re-arms from the current epoch.
    chain.onEpoch((e) => a.push(e));
    clock.advance(10_000);
    expect(a).to.deep.equal([1, 6]);
  });

  it('shares one clock between instances that fire together', () => {
    const clock = new ManualClock(GENESIS);
    const fired: string[] = [];
    new DevnetChain(config, clock).onEpoch((e) => fired.push(`a${e}`));
    new DevnetChain(config, clock).onEpoch((e) => fired.push(`b${e}`));
    clock.advance(20_000);
    expect(fired).to.deep.equal(['a1', 'b1', 'a2', 'b2']);
  });

  it('runs every listener and keeps the schedule when one throws', () => {
    const clock = new ManualClock(GENESIS);
    const chain = new DevnetChain(config, clock);
    const seen: number[] = [];
    chain.onEpoch(() => {
      throw new Error('listener bug');
    });
    chain.onEpoch((e) => seen.push(e));
    expect(() => clock.advance(10_000)).to.throw('listener bug');
    expect(() => clock.advance(10_000)).to.throw('listener bug');
    expect(seen).to.deep.equal([1, 2]);
  });
});

describe('node/chain/devnet-chain: configuration', () => {
  it('lists every invalid field at once', () => {
    let error: unknown;
    try {
      new DevnetChain(
        {
          genesisTimeMs: -1,
          epochLengthMs: 0,
          slotLengthMs: 1.5,
          slotsPerKesPeriod: 0,
          blocksPerEpoch: -3,
          stakeDistribution: new Map([['pool1bad', 1n]]),
        },
        new ManualClock(),
      );
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).code).to.equal('INVALID_CONFIG');
    expect((error as ConfigError).problems.map((p) => p.path)).to.deep.equal([
      'genesisTimeMs',
      'epochLengthMs',
      'slotLengthMs',
      'slotsPerKesPeriod',
      'blocksPerEpoch',
      'stakeDistribution',
    ]);
    expect((error as ConfigError).message).to.contain('pool1bad');
  });

  it('needs whole slots per epoch and at most one block per slot', () => {
    expectCode(
      () => new DevnetChain({ ...config, epochLengthMs: 10_050 }, new ManualClock()),
      ConfigError,
      'INVALID_CONFIG',
    );
    expectCode(
      () => new DevnetChain({ ...config, blocksPerEpoch: 101 }, new ManualClock()),
      ConfigError,
      'INVALID_CONFIG',
    );
  });
});
