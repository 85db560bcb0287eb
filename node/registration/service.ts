/**
 * Registration of the node's identities and of its peers, per the Epochs table of
 * docs/node-design.md. During epoch e the registration recorded at r = e + 1 is open: at the
 * start of e each identity draws a fresh BLS key (stored before anything is published), KES-signs
 * vk ‖ PoP and gossips it; own registrations are re-announced every `reannounceMs` and missing ones
 * pulled from a few peers until the close point `start(e) + closeFraction · epochLength`, where the
 * set closes (STM order, AVK), is stored and `registration:closed` is emitted. Accepted messages
 * are stored as their exact bytes, so a restarted node resumes with them, re-announces its stored
 * registration instead of registering again, and serves byte-identical messages.
 */
import { logger } from '@libp2p/logger';
import type { Logger } from '@libp2p/logger';
import { poolIdFromColdVerificationKey } from '../../protocol/cardano/index.ts';
import { avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import { generateSecretKey } from '../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { bytesToHex, equalBytes } from '../../protocol/encoding/bytes.ts';
import { ClosedKeyRegistration } from '../../protocol/stm/index.ts';
import type { ChainObserver } from '../chain/observer.ts';
import { GossipValidationError } from '../gossip/errors.ts';
import type { GossipPublisher, TopicHandler } from '../gossip/handler.ts';
import type { MeshTopic } from '../gossip/topics.ts';
import type { MeshEvents } from '../events.ts';
import type { RequestResponse } from '../p2p/request-response.ts';
import type { Clock } from '../runtime/clock.ts';
import type { ClosedRegistrationRecord, OwnKeyStore, RegistrationStore } from '../store/types.ts';
import { RegistrationServiceError } from './errors.ts';
import type { RegistrantIdentity } from './identity.ts';
import type { RegistrationMessage } from './message.ts';
import { REGISTRATION_MESSAGE_BYTES, decodeRegistration, encodeRegistration } from './message.ts';
import {
  MAX_REGISTRATIONS_PER_RESPONSE,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_POOLS,
  MAX_RESPONSE_BYTES,
  decodeRegistrationsRequest,
  decodeRegistrationsResponse,
  encodeRegistrationsRequest,
  encodeRegistrationsResponse,
  registrationsProtocol,
} from './pull.ts';
import { RegistrationBook } from './state.ts';
import { TimerSet } from './timers.ts';
import { RegistrationValidator, sameKey } from './validator.ts';
import type { RegistrationView, SignerSet } from './view.ts';

export interface RegistrationServiceOptions {
  /** Network name, as in topics and protocol ids. */
  network: string;
  /** The SPO identities this node registers (possibly none). */
  identities: readonly RegistrantIdentity[];
  chain: ChainObserver;
  clock: Clock;
  /** Source of the BLS key material. */
  random: RandomSource;
  bls: BlsBackend;
  store: { registrations: RegistrationStore; ownKeys: OwnKeyStore };
  publisher: GossipPublisher;
  requestResponse: RequestResponse;
  events: MeshEvents;
  /** Part of epoch e after which the registration recorded at e + 1 closes, in (0, 1); the same on every node. */
  closeFraction: number;
  /** Period of own re-announcements, ms. Default `REGISTRATION_DEFAULTS.reannounceMs`. */
  reannounceMs?: number;
  /** Period of pulls from peers, ms (a last one runs `requestTimeoutMs` before the close point). */
  pullIntervalMs?: number;
  /** Connected peers asked per pull round. */
  pullPeers?: number;
  /** Timeout of one `registrations` request, ms. */
  requestTimeoutMs?: number;
  /** Defaults to `logger('mithril-mesh:registration')`; pass one to tell nodes apart. */
  log?: Logger;
}

export const REGISTRATION_DEFAULTS = {
  /** A peer that joins late hears own registrations within a minute; each round is 797 B per identity. */
  reannounceMs: 60_000,
  /** Pulls repair what gossip missed; every two minutes is cheap (one request per peer). */
  pullIntervalMs: 120_000,
  /** Every peer serves all it accepted: a few cover a missed message without asking everyone. */
  pullPeers: 3,
  /** A full response (≈ 410 KB) crosses a slow link well within this. */
  requestTimeoutMs: 10_000,
} as const;

/** Signing in E uses the set recorded at E − 1, late certificates of E − 1 the one at E − 2. */
const RETAINED_PAST_EPOCHS = 2;
/** Requests per peer and round: enough pages to fetch as many pools as a request can list. */
const MAX_PULL_PAGES = Math.ceil(MAX_REQUEST_POOLS / MAX_REGISTRATIONS_PER_RESPONSE);
const REGISTRATION_TOPIC: MeshTopic = { kind: 'registration' };
/** Bytes of randomness per peer choice (a u32). */
const PEER_DRAW_BYTES = 4;

interface OwnKey {
  secretKey: bigint;
  vk: Uint8Array;
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RegistrationServiceError('INVALID_OPTIONS', `${name} must be positive, got ${value}`);
  }
  return value;
}

/** The signer set of `entries`; undefined when their total stake is 0 (STM cannot close it). */
function buildSignerSet(
  epoch: number,
  entries: readonly { partyId: string; vk: Uint8Array; stake: bigint }[],
): SignerSet | undefined {
  if (entries.reduce((sum, e) => sum + e.stake, 0n) === 0n) return undefined;
  const registration = ClosedKeyRegistration.fromEntries(entries.map(({ vk, stake }) => ({ vk, stake })));
  const partyByKey = new Map(entries.map((e) => [bytesToHex(e.vk), e.partyId]));
  const partyIds = registration.entries.map((e) => partyByKey.get(bytesToHex(e.vk))!);
  return { epoch, registration, partyIds };
}

export class RegistrationService implements RegistrationView {
  /** The handler to give the gossip layer for the registration topic. */
  readonly topicHandler: TopicHandler<RegistrationMessage>;
  private readonly options: RegistrationServiceOptions;
  private readonly reannounceMs: number;
  private readonly pullIntervalMs: number;
  private readonly pullPeers: number;
  private readonly requestTimeoutMs: number;
  private readonly protocol: string;
  private readonly ownParties: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly book = new RegistrationBook();
  private readonly ownKeys = new Map<number, Map<string, OwnKey>>();
  private readonly validator: RegistrationValidator;
  private readonly timers: TimerSet;
  private readonly tasks = new Set<Promise<void>>();
  private abort = new AbortController();
  private running = false;

  constructor(options: RegistrationServiceOptions) {
    const { closeFraction } = options;
    if (!(closeFraction > 0 && closeFraction < 1)) {
      throw new RegistrationServiceError(
        'INVALID_OPTIONS',
        `closeFraction must be in (0, 1), got ${closeFraction}`,
      );
    }
    this.reannounceMs = positive(options.reannounceMs ?? REGISTRATION_DEFAULTS.reannounceMs, 'reannounceMs');
    this.pullIntervalMs = positive(
      options.pullIntervalMs ?? REGISTRATION_DEFAULTS.pullIntervalMs,
      'pullIntervalMs',
    );
    this.requestTimeoutMs = positive(
      options.requestTimeoutMs ?? REGISTRATION_DEFAULTS.requestTimeoutMs,
      'requestTimeoutMs',
    );
    this.pullPeers = options.pullPeers ?? REGISTRATION_DEFAULTS.pullPeers;
    if (!Number.isSafeInteger(this.pullPeers) || this.pullPeers < 0) {
      throw new RegistrationServiceError(
        'INVALID_OPTIONS',
        `pullPeers must be a count, got ${this.pullPeers}`,
      );
    }
    const parties = new Set<string>();
    for (const identity of options.identities) {
      if (poolIdFromColdVerificationKey(identity.opCert.coldVk) !== identity.partyId) {
        throw new RegistrationServiceError(
          'INVALID_OPTIONS',
          `the opcert of ${identity.partyId} is another pool's`,
        );
      }
      if (parties.has(identity.partyId)) {
        throw new RegistrationServiceError('INVALID_OPTIONS', `identity ${identity.partyId} is given twice`);
      }
      parties.add(identity.partyId);
    }
    this.options = options;
    this.ownParties = parties;
    this.protocol = registrationsProtocol(options.network);
    this.log = options.log ?? logger('mithril-mesh:registration');
    this.timers = new TimerSet(options.clock);
    this.validator = new RegistrationValidator({
      chain: options.chain,
      bls: options.bls,
      ledger: {
        isOpen: (epoch) => this.isOpen(epoch),
        accepted: (epoch, partyId) => this.book.accepted(epoch, partyId),
        keyUse: (vk, upToEpoch) => this.book.keyUse(vk, upToEpoch),
      },
    });
    this.topicHandler = {
      topic: REGISTRATION_TOPIC,
      maxMessageBytes: REGISTRATION_MESSAGE_BYTES,
      decode: decodeRegistration,
      validate: (message) => this.validator.validate(message),
      accept: async (message) => {
        await this.accept(message);
      },
    };
  }

  signerSet(epoch: number): SignerSet | undefined {
    return this.book.find(epoch)?.signerSet;
  }

  /** False when the service is not running. */
  isOpen(epoch: number): boolean {
    return (
      this.running &&
      epoch === this.options.chain.currentEpoch() + 1 &&
      this.options.clock.now() < this.closeAt(epoch) &&
      this.book.find(epoch)?.closed !== true
    );
  }

  /** Only when the registration accepted for `partyId` at `epoch` carries this key. */
  ownSecretKey(epoch: number, partyId: string): bigint | undefined {
    const own = this.ownKeys.get(epoch)?.get(partyId);
    const accepted = this.book.accepted(epoch, partyId);
    return own !== undefined && accepted !== undefined && equalBytes(accepted.vkPop.vk, own.vk)
      ? own.secretKey
      : undefined;
  }

  /**
   * Loads what the store holds of the retained epochs, answers `registrations` requests and
   * runs the current epoch (registering the identities if its registration is still open).
   */
  async start(): Promise<void> {
    if (this.running) return;
    const epoch = this.options.chain.currentEpoch();
    await this.load(epoch);
    await this.options.requestResponse.handle(this.protocol, (request) => this.serve(request), {
      maxRequestBytes: MAX_REQUEST_BYTES,
    });
    this.abort = new AbortController();
    this.running = true;
    this.enterEpoch(epoch);
  }

  /** Cancels every timer and request, stops answering, and waits for running tasks. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timers.clear();
    this.abort.abort();
    await this.options.requestResponse.unhandle(this.protocol);
    await this.whenIdle();
  }

  /** Resolves once every task started so far (registering, pulling, closing) has finished. */
  async whenIdle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }

  /** Unix ms at which the registration recorded at `epoch` closes: within epoch − 1. */
  closeAt(epoch: number): number {
    const window = this.options.chain.epochWindow(epoch - 1);
    return window.startMs + Math.floor(this.options.closeFraction * (window.endMs - window.startMs));
  }

  private async load(epoch: number): Promise<void> {
    const { registrations, ownKeys } = this.options.store;
    // Epochs start at 0: near the start of a chain there is nothing older to prune.
    const oldest = Math.max(0, epoch - RETAINED_PAST_EPOCHS);
    this.book.clear();
    this.ownKeys.clear();
    for (let r = oldest; r <= epoch + 1; r++) {
      const state = this.book.at(r);
      for (const stored of await registrations.list(r)) {
        let message: RegistrationMessage;
        try {
          message = decodeRegistration(stored.message);
        } catch (error) {
          this.log.error(
            'stored registration of %s for epoch %d is unreadable: %e',
            stored.partyId,
            r,
            error,
          );
          continue;
        }
        if (message.epoch !== r || message.partyId !== stored.partyId || !state.canAdd(message)) {
          this.log.error('stored registration of %s for epoch %d does not match its key', stored.partyId, r);
          continue;
        }
        state.add(message);
      }
      const record = await registrations.getClosed(r);
      if (record !== undefined) {
        state.closed = true;
        state.signerSet = buildSignerSet(r, record.entries);
      }
      for (const partyId of this.ownParties) {
        const secretKey = await ownKeys.get(r, partyId);
        if (secretKey !== undefined) this.rememberOwnKey(r, partyId, secretKey);
      }
    }
    this.log('loaded epochs %d to %d from the store', oldest, epoch + 1);
  }

  private rememberOwnKey(epoch: number, partyId: string, secretKey: bigint): OwnKey {
    const own = { secretKey, vk: this.options.bls.verificationKey(secretKey) };
    let keys = this.ownKeys.get(epoch);
    if (keys === undefined) this.ownKeys.set(epoch, (keys = new Map()));
    keys.set(partyId, own);
    return own;
  }

  /** Start of `epoch` (or start-up during it): prune, then open the registration recorded at epoch + 1. */
  private enterEpoch(epoch: number): void {
    const { chain, clock, store } = this.options;
    // Epochs start at 0: near the start of a chain there is nothing older to prune.
    const oldest = Math.max(0, epoch - RETAINED_PAST_EPOCHS);
    this.book.prune(oldest);
    for (const e of this.ownKeys.keys()) if (e < oldest) this.ownKeys.delete(e);
    this.run('prune', async () => {
      await store.registrations.prune(oldest);
      await store.ownKeys.prune(oldest);
    });
    const recording = epoch + 1;
    const closeAt = this.closeAt(recording);
    if (this.book.at(recording).closed) {
      this.log('registration for epoch %d already closed', recording);
    } else if (clock.now() >= closeAt) {
      this.log('started after the close point of epoch %d: its signer set stays unknown', recording);
    } else {
      this.run(`registering for epoch ${recording}`, () => this.registerAll(recording));
      this.scheduleReannounce(recording);
      this.schedulePull(recording);
      this.timers.at(closeAt, () => this.run(`closing epoch ${recording}`, () => this.close(recording)));
    }
    this.timers.at(chain.epochWindow(epoch).endMs, () =>
      this.enterEpoch(Math.max(epoch + 1, chain.currentEpoch())),
    );
  }

  private async registerAll(epoch: number): Promise<void> {
    for (const identity of this.options.identities) {
      try {
        await this.register(epoch, identity);
      } catch (error) {
        // One identity's failure (an expired KES key, a store error) must not stop the others.
        this.log.error('registering %s for epoch %d failed: %e', identity.partyId, epoch, error);
      }
    }
  }

  /** Registers `identity` at `epoch`, or re-announces its registration if it has one. */
  private async register(epoch: number, identity: RegistrantIdentity): Promise<void> {
    const { partyId } = identity;
    const existing = this.book.accepted(epoch, partyId);
    if (existing !== undefined) {
      await this.publish(existing.bytes);
      return;
    }
    const { bls, chain, random, store } = this.options;
    // A key stored before a crash is reused: a new one would only waste the old.
    let secretKey = await store.ownKeys.get(epoch, partyId);
    if (secretKey === undefined) {
      secretKey = generateSecretKey(random);
      await store.ownKeys.put(epoch, partyId, secretKey);
    }
    const own = this.rememberOwnKey(epoch, partyId, secretKey);
    const vkPop = { vk: own.vk, pop: bls.proofOfPossession(secretKey) };
    const signed = await identity.signRegistration(vkPop, chain.currentKesPeriod());
    const message = decodeRegistration(
      encodeRegistration({
        epoch,
        vkPop,
        opCert: identity.opCert,
        kesEvolutions: signed.kesEvolutions,
        kesSignature: signed.kesSignature,
      }),
    );
    try {
      // What peers would reject must not leave the node (an unknown pool, a stale KES key).
      await this.validator.validate(message);
    } catch (error) {
      if (!(error instanceof GossipValidationError)) throw error;
      this.log.error(
        'own registration of %s for epoch %d is invalid (%s): %s',
        partyId,
        epoch,
        error.reason,
        error.message,
      );
      return;
    }
    // Stored before it is sent: after a crash the node re-announces these bytes, never new ones.
    if (!(await this.accept(message))) return;
    this.log('registered %s for epoch %d', partyId, epoch);
    await this.publish(message.bytes);
  }

  private async publish(bytes: Uint8Array): Promise<void> {
    if (!this.running) return;
    try {
      const peers = await this.options.publisher.publish(REGISTRATION_TOPIC, bytes);
      this.log.trace('published a registration to %d peers', peers);
    } catch (error) {
      // The next re-announcement tries again.
      this.log.error('publishing a registration failed: %e', error);
    }
  }

  /**
   * Records a validated message (the gossip `accept` path, pulls and own registrations).
   * Returns false when it is no longer acceptable: closed meanwhile, or another message of the
   * pool or key was accepted since it was validated (the first one is kept).
   */
  private async accept(message: RegistrationMessage): Promise<boolean> {
    const { epoch, partyId } = message;
    const state = this.book.find(epoch);
    if (state === undefined || !this.isOpen(epoch) || !state.canAdd(message)) {
      const previous = state?.accepted(partyId);
      if (previous === undefined || !sameKey(previous, message)) {
        this.log(
          'dropped a registration of %s for epoch %d: closed, or another accepted meanwhile',
          partyId,
          epoch,
        );
      }
      return false;
    }
    state.add(message);
    try {
      await this.options.store.registrations.put(epoch, partyId, message.bytes);
    } catch (error) {
      state.remove(message);
      throw error;
    }
    this.options.events.emit('registration:accepted', { epoch, partyId, own: this.ownParties.has(partyId) });
    return true;
  }

  private scheduleReannounce(epoch: number): void {
    const at = this.options.clock.now() + this.reannounceMs;
    if (at >= this.closeAt(epoch)) return;
    this.timers.at(at, () => {
      this.run('re-announcing', async () => {
        for (const partyId of this.ownParties) {
          const message = this.book.accepted(epoch, partyId);
          if (message !== undefined) await this.publish(message.bytes);
        }
      });
      this.scheduleReannounce(epoch);
    });
  }

  /** Pull rounds every `pullIntervalMs`, the last one early enough to be answered before closing. */
  private schedulePull(epoch: number): void {
    const now = this.options.clock.now();
    const last = this.closeAt(epoch) - this.requestTimeoutMs;
    if (now >= last) return;
    const at = Math.min(now + this.pullIntervalMs, last);
    this.timers.at(at, () => {
      this.run(`pulling epoch ${epoch}`, () => this.pullRound(epoch));
      if (at < last) this.schedulePull(epoch);
    });
  }

  private async pullRound(epoch: number): Promise<void> {
    await Promise.all(this.samplePeers().map((peer) => this.pullFrom(peer, epoch)));
  }

  /** Up to `pullPeers` connected peers, uniformly (a partial Fisher–Yates shuffle). */
  private samplePeers(): string[] {
    const peers = this.options.requestResponse.connectedPeers();
    const count = Math.min(this.pullPeers, peers.length);
    for (let i = 0; i < count; i++) {
      const draw = this.options.random(PEER_DRAW_BYTES);
      // The modulo bias of a u32 over a few hundred peers is negligible for load spreading.
      const j = i + (new DataView(draw.buffer, draw.byteOffset).getUint32(0) % (peers.length - i));
      [peers[i], peers[j]] = [peers[j]!, peers[i]!];
    }
    return peers.slice(0, count);
  }

  private async pullFrom(peer: string, epoch: number): Promise<void> {
    for (let page = 0; page < MAX_PULL_PAGES && this.isOpen(epoch); page++) {
      const known = (this.book.find(epoch)?.messages() ?? []).map((m) => m.poolIdHash);
      let frames: Uint8Array[];
      try {
        const response = await this.options.requestResponse.request(
          peer,
          this.protocol,
          encodeRegistrationsRequest({ epoch, known }),
          {
            maxResponseBytes: MAX_RESPONSE_BYTES,
            timeoutMs: this.requestTimeoutMs,
            signal: this.abort.signal,
          },
        );
        frames = decodeRegistrationsResponse(response);
      } catch (error) {
        this.log('pulling epoch %d from %s failed: %e', epoch, peer, error);
        return;
      }
      let added = 0;
      for (const frame of frames) if (await this.receive(frame, peer)) added++;
      if (added > 0) this.log('pulled %d registrations for epoch %d from %s', added, epoch, peer);
      // A short page was the last one; a page that added nothing will not be followed by better.
      if (frames.length < MAX_REGISTRATIONS_PER_RESPONSE || added === 0) return;
    }
  }

  /** A pulled message goes through exactly what a gossiped one does. */
  private async receive(frame: Uint8Array, from: string): Promise<boolean> {
    try {
      const message = decodeRegistration(frame);
      await this.validator.validate(message);
      return await this.accept(message);
    } catch (error) {
      if (!(error instanceof GossipValidationError)) throw error;
      this.log.trace('pulled registration from %s: %s %s', from, error.action, error.reason);
      return false;
    }
  }

  private async serve(request: Uint8Array): Promise<Uint8Array> {
    const { epoch, known } = decodeRegistrationsRequest(request);
    const has = new Set(known.map(bytesToHex));
    const missing = (this.book.find(epoch)?.messages() ?? []).filter(
      (m) => !has.has(bytesToHex(m.poolIdHash)),
    );
    return encodeRegistrationsResponse(missing.map((m) => m.bytes));
  }

  /** At the close point: order the set as the STM does, store it and announce its AVK. */
  private async close(epoch: number): Promise<void> {
    const state = this.book.at(epoch);
    if (state.closed) return;
    // Marked first, synchronously: nothing is accepted for this epoch from now on.
    state.closed = true;
    const closedAtMs = this.options.clock.now();
    const messages = state.messages();
    const distribution = await this.options.chain.stakeDistribution(epoch);
    const entries = messages.flatMap((m) => {
      const stake = distribution.get(m.partyId);
      return stake === undefined ? [] : [{ partyId: m.partyId, vk: m.vkPop.vk, stake }];
    });
    const signerSet = buildSignerSet(epoch, entries);
    state.signerSet = signerSet;
    const record: ClosedRegistrationRecord = {
      epoch,
      entries:
        signerSet?.registration.entries.map((e, i) => ({
          partyId: signerSet.partyIds[i]!,
          vk: e.vk,
          stake: e.stake,
        })) ?? [],
      closedAtMs,
    };
    await this.options.store.registrations.putClosed(record);
    if (signerSet === undefined) {
      this.log.error('registration for epoch %d closed with no stake registered', epoch);
      return;
    }
    const { registration } = signerSet;
    const avk = avkToJsonHex(registration.avk);
    this.log('registration for epoch %d closed: %d signers', epoch, registration.size);
    this.options.events.emit('registration:closed', {
      epoch,
      signers: registration.size,
      totalStake: registration.totalStake,
      avk,
    });
  }

  /** Runs `fn` as a tracked task while running; failures are logged, never thrown at a timer. */
  private run(what: string, fn: () => Promise<void>): void {
    if (!this.running) return;
    const task: Promise<void> = fn()
      .catch((error: unknown) => this.log.error('%s failed: %e', what, error))
      .finally(() => this.tasks.delete(task));
    this.tasks.add(task);
  }
}
