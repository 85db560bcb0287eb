/**
 * A deterministic chain for devnets and simulations: every quantity is a pure function of the
 * configuration and the clock, so nodes sharing a config (and a roughly synchronised clock)
 * agree on epochs, beacons and KES periods without any Cardano node.
 *
 * Rules, with `t` the clock time and `S` the slots per epoch (epochLengthMs / slotLengthMs):
 * - slot = ⌊(t − genesisTimeMs) / slotLengthMs⌋, and 0 before genesis: before genesis the chain
 *   sits at slot 0 of epoch 0 (nodes started early wait there instead of failing);
 * - epoch = ⌊slot / S⌋; epoch e spans [genesis + e·epochLength, genesis + (e+1)·epochLength);
 * - block number = ⌊slot · blocksPerEpoch / S⌋ (blocks spread evenly over the slots);
 * - immutable file number = ⌊slot · 20 / S⌋, the immutable chunks completed so far (20 chunks
 *   per epoch as on mainnet);
 * - KES period = ⌊slot / slotsPerKesPeriod⌋ (Cardano's definition).
 * All of them are non-decreasing in time.
 */
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { TimePoint } from '../../protocol/message/signed-entity-type.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { ConfigProblem } from '../config/errors.ts';
import { ConfigError } from '../config/errors.ts';
import type { ChainObserver, EpochWindow } from './observer.ts';
import { StakeDistributionError, checkStakeDistribution } from './stake-distribution-file.ts';

export type StakeDistributionSource =
  ReadonlyMap<string, bigint> | ((epoch: number) => ReadonlyMap<string, bigint>);

export interface DevnetChainConfig {
  /** Unix ms of slot 0. */
  genesisTimeMs: number;
  /** A whole number of slots. */
  epochLengthMs: number;
  slotLengthMs: number;
  slotsPerKesPeriod: number;
  /** Blocks per epoch, at most one per slot; every slot holds a block by default. */
  blocksPerEpoch?: number;
  /** One distribution for every epoch, or one per epoch. */
  stakeDistribution: StakeDistributionSource;
}

/** Codes: INVALID_EPOCH (not a non-negative integer, or beyond the representable time). */
export class ChainError extends ProtocolError {}

/** Mainnet: 432,000-slot epochs, immutable chunks of 21,600 slots (the Byron epoch, 10·k), so 20 per epoch. */
const IMMUTABLE_FILES_PER_EPOCH = 20n;

type EpochListener = (epoch: number) => void;

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function checkConfig(config: DevnetChainConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const { genesisTimeMs, epochLengthMs, slotLengthMs, slotsPerKesPeriod, blocksPerEpoch } = config;
  if (typeof genesisTimeMs !== 'number' || !Number.isSafeInteger(genesisTimeMs) || genesisTimeMs < 0) {
    problems.push({ path: 'genesisTimeMs', message: 'must be a non-negative integer (Unix ms)' });
  }
  for (const [path, value] of [
    ['epochLengthMs', epochLengthMs],
    ['slotLengthMs', slotLengthMs],
    ['slotsPerKesPeriod', slotsPerKesPeriod],
  ] as const) {
    if (!positiveInteger(value)) problems.push({ path, message: 'must be a positive integer' });
  }
  const lengthsValid = positiveInteger(epochLengthMs) && positiveInteger(slotLengthMs);
  if (lengthsValid && epochLengthMs % slotLengthMs !== 0) {
    problems.push({ path: 'epochLengthMs', message: `must be a multiple of slotLengthMs (${slotLengthMs})` });
  }
  if (blocksPerEpoch !== undefined) {
    if (!positiveInteger(blocksPerEpoch)) {
      problems.push({ path: 'blocksPerEpoch', message: 'must be a positive integer' });
    } else if (lengthsValid && blocksPerEpoch > epochLengthMs / slotLengthMs) {
      problems.push({
        path: 'blocksPerEpoch',
        message: `must not exceed the ${Math.floor(epochLengthMs / slotLengthMs)} slots of an epoch`,
      });
    }
  }
  const stake: unknown = config.stakeDistribution;
  if (stake instanceof Map) {
    try {
      checkStakeDistribution(stake);
    } catch (e) {
      if (!(e instanceof StakeDistributionError)) throw e;
      problems.push({ path: 'stakeDistribution', message: e.message });
    }
  } else if (typeof stake !== 'function') {
    problems.push({ path: 'stakeDistribution', message: 'must be a Map or a function of the epoch' });
  }
  return problems;
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new ChainError('INVALID_EPOCH', `epoch ${epoch} is not a non-negative integer`);
  }
}

export class DevnetChain implements ChainObserver {
  readonly genesisTimeMs: number;
  readonly epochLengthMs: number;
  readonly slotLengthMs: number;
  readonly slotsPerEpoch: number;
  readonly slotsPerKesPeriod: number;
  readonly blocksPerEpoch: number;
  private readonly stake: StakeDistributionSource;
  private readonly clock: Clock;
  private readonly listeners = new Set<{ listener: EpochListener }>();
  private timer: TimerHandle | undefined;
  /** The last epoch announced to listeners (or current when the first listener subscribed). */
  private announcedEpoch = 0;

  /** Throws `ConfigError` listing every invalid field. */
  constructor(config: DevnetChainConfig, clock: Clock) {
    const problems = checkConfig(config);
    if (problems.length > 0) throw new ConfigError('INVALID_CONFIG', problems);
    this.genesisTimeMs = config.genesisTimeMs;
    this.epochLengthMs = config.epochLengthMs;
    this.slotLengthMs = config.slotLengthMs;
    this.slotsPerEpoch = config.epochLengthMs / config.slotLengthMs;
    this.slotsPerKesPeriod = config.slotsPerKesPeriod;
    this.blocksPerEpoch = config.blocksPerEpoch ?? this.slotsPerEpoch;
    // A copy: a caller mutating its map later must not change what this node reports.
    const stake = config.stakeDistribution;
    this.stake = typeof stake === 'function' ? stake : new Map(stake);
    this.clock = clock;
  }

  slotAt(timeMs: number): number {
    return Math.floor(Math.max(0, timeMs - this.genesisTimeMs) / this.slotLengthMs);
  }

  epochAt(timeMs: number): number {
    return Math.floor(this.slotAt(timeMs) / this.slotsPerEpoch);
  }

  timePointAt(timeMs: number): TimePoint {
    const slot = BigInt(this.slotAt(timeMs));
    const slotsPerEpoch = BigInt(this.slotsPerEpoch);
    return {
      epoch: this.epochAt(timeMs),
      immutableFileNumber: Number((slot * IMMUTABLE_FILES_PER_EPOCH) / slotsPerEpoch),
      blockNumber: Number((slot * BigInt(this.blocksPerEpoch)) / slotsPerEpoch),
    };
  }

  kesPeriodAt(timeMs: number): bigint {
    return BigInt(this.slotAt(timeMs)) / BigInt(this.slotsPerKesPeriod);
  }

  currentEpoch(): number {
    return this.epochAt(this.clock.now());
  }

  epochWindow(epoch: number): EpochWindow {
    checkEpoch(epoch);
    const startMs = this.genesisTimeMs + epoch * this.epochLengthMs;
    const endMs = startMs + this.epochLengthMs;
    if (!Number.isSafeInteger(endMs)) {
      throw new ChainError('INVALID_EPOCH', `epoch ${epoch} ends beyond the representable time`);
    }
    return { epoch, startMs, endMs };
  }

  currentTimePoint(): TimePoint {
    return this.timePointAt(this.clock.now());
  }

  /** Throws `StakeDistributionError` if a per-epoch function returns an invalid distribution. */
  async stakeDistribution(epoch: number): Promise<ReadonlyMap<string, bigint>> {
    checkEpoch(epoch);
    if (typeof this.stake !== 'function') return this.stake;
    const distribution = this.stake(epoch);
    checkStakeDistribution(distribution, `stake distribution of epoch ${epoch}`);
    return distribution;
  }

  currentKesPeriod(): bigint {
    return this.kesPeriodAt(this.clock.now());
  }

  /**
   * Calls `listener(newEpoch)` at each epoch boundary, on the clock's timers. Genesis is not a
   * boundary (the epoch is 0 before and after). When the clock jumps over several boundaries
   * between two timer runs (a suspended machine), only the latest epoch is announced: work for
   * skipped epochs is stale. Returns the unsubscribe function. If listeners throw, all of them
   * still run and the first error is rethrown from the timer.
   */
  onEpoch(listener: EpochListener): () => void {
    const entry = { listener };
    if (this.listeners.size === 0) {
      this.announcedEpoch = this.currentEpoch();
      this.arm();
    }
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.disarm();
    };
  }

  /** Unsubscribes every listener and cancels the boundary timer. */
  stop(): void {
    this.listeners.clear();
    this.disarm();
  }

  private arm(): void {
    const now = this.clock.now();
    const next = this.epochWindow(this.epochAt(now)).endMs;
    this.timer = this.clock.setTimeout(() => this.tick(), next - now);
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    const epoch = this.currentEpoch();
    // Re-arm first so a throwing listener cannot stop the schedule.
    this.arm();
    // A timer that fires early or a clock set back: nothing new to announce.
    if (epoch <= this.announcedEpoch) return;
    this.announcedEpoch = epoch;
    const errors: unknown[] = [];
    for (const { listener } of [...this.listeners]) {
      try {
        listener(epoch);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
