/**
 * Registration of the node's identities and of its peers, per the Epochs table of
 * docs/node-design.md. During epoch e the registration recorded at r = e + 1 is open: at the
 * start of e each identity draws a fresh BLS key (stored before anything is published), KES-signs
 * vk ‖ PoP and gossips it; own registrations are re-announced every `reannounceMs` and missing ones
 * pulled from a few peers until the close point `start(e) + closeFraction · epochLength`, where the
 * set closes (STM order, AVK), is stored and `registration:closed` is emitted. Accepted messages
 * are stored as their exact bytes, so a restarted node resumes with them, re-announces its stored
 * registration instead of registering again, and serves byte-identical messages.
 *
 * When a certificate certifies another set than the one a node closed, `adoptCertifiedSet`
 * replaces it with the certified one, fetched whole from peers through the `closed-registrations`
 * protocol (docs/node-design.md, "When views differ").
 */
import { logger } from '@libp2p/logger';
import type { Logger } from '@libp2p/logger';
import { poolIdFromColdVerificationKey } from '../../protocol/cardano/index.ts';
import { avkToJsonHex } from '../../protocol/codec/json-hex.ts';
import { generateSecretKey } from '../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/index.ts';
import { systemRandom } from '../../protocol/crypto/random.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { bytesToHex, equalBytes } from '../../protocol/encoding/bytes.ts';
import { RegistrationError } from '../../protocol/stm/index.ts';
import type { AggregateVerificationKey } from '../../protocol/stm/index.ts';
import type { ChainObserver } from '../chain/observer.ts';
import { GossipValidationError } from '../gossip/errors.ts';
import type { GossipPublisher, TopicHandler } from '../gossip/handler.ts';
import type { MeshTopic } from '../gossip/topics.ts';
import type { MeshEvents } from '../events.ts';
import type { RequestResponse } from '../p2p/request-response.ts';
import type { Clock } from '../runtime/clock.ts';
import type { OwnKeyStore, RegistrationStore } from '../store/types.ts';
import {
  MAX_CLOSED_SET_REGISTRATIONS,
  MAX_CLOSED_SET_RESPONSE_BYTES,
  CLOSED_SET_REQUEST_BYTES,
  closedRegistrationsProtocol,
  decodeClosedSetRequest,
  decodeClosedSetResponse,
  encodeClosedSetRequest,
  encodeClosedSetResponse,
} from './closed-set.ts';
import { RegistrationServiceError } from './errors.ts';
import { buildSignerSet, closedRecord } from './signer-set.ts';
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
import { EpochRegistrations, RegistrationBook } from './state.ts';
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
  /** Verifier-local randomness for batch checks (default: the system CSPRNG). */
  verifierRandom?: RandomSource;
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
  /** Connected peers asked in turn for a certified set by one adoption. */
  adoptionPeers?: number;
  /** Timeout of one `closed-registrations` request, ms. */
  closedSetTimeoutMs?: number;
  /** Proofs of possession checked per batch (default 32, `PROOF_BATCH_DEFAULTS` in validator.ts; 1 checks each at once). */
  proofBatchSize?: number;
  /** Longest wait for a batch of proofs to fill, ms (default 50). */
  proofBatchDelayMs?: number;
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
  /**
   * Most peers hold the certified set (a quorum signed under it); a few in turn get past those
   * sharing this node's view, and the caller retries later.
   */
  adoptionPeers: 4,
  /**
   * A full closed set (≈ 3.3 MB) in 20 s needs ≈ 1.3 Mbit/s; below the responder's 30 s
   * (`RESPONDER_TIMEOUT_MS`, node/p2p/streams.ts), so that the requester gives up first.
   */
  closedSetTimeoutMs: 20_000,
} as const;

/**
 * What `adoptCertifiedSet` did: the node's closed set already had the certified AVK; it was
 * replaced by a peer's set with that AVK; or no peer asked had it (try again later).
 */
export type AdoptionResult = 'matched' | 'adopted' | 'unavailable';

/** Signing in E uses the set recorded at E − 1, late certificates of E − 1 the one at E − 2. */
const RETAINED_PAST_EPOCHS = 2;
/** Requests per peer and round: enough pages to fetch as many pools as a request can list. */
const MAX_PULL_PAGES = Math.ceil(MAX_REQUEST_POOLS / MAX_REGISTRATIONS_PER_RESPONSE);
const REGISTRATION_TOPIC: MeshTopic = { kind: 'registration' };
/** Bytes of randomness per peer choice (a u32). */
const PEER_DRAW_BYTES = 4;
/** A peer's clock may be one epoch ahead (as the validator's FUTURE_EPOCH tolerance). */
const ADOPTION_FUTURE_EPOCHS = 1;
/**
 * At an epoch boundary each node registers at a random point between these fractions of the time
 * left before the close: every node validates every registration (KES and PoP checks, about 20 ms
 * each), and a burst at the boundary delayed the signing round starting there by seconds
 * (profiled: 72 % of the CPU of the first 3 s of an epoch). Most of the window stays for
 * re-announces and pulls.
 */
const REGISTER_SPREAD_FROM = 0.1;
const REGISTER_SPREAD_TO = 0.4;
/** 2^32, to scale a u32 draw into [0, 1). */
const UINT32_RANGE = 2 ** 32;

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

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RegistrationServiceError('INVALID_OPTIONS', `${name} must be a count, got ${value}`);
  }
  return value;
}

/** Identifies a closed-set entry: the pool and its key. */
const entryKey = (partyId: string, vk: Uint8Array): string => `${partyId}/${bytesToHex(vk)}`;

export class RegistrationService implements RegistrationView {
  /** The handler to give the gossip layer for the registration topic. */
  readonly topicHandler: TopicHandler<RegistrationMessage>;
  private readonly options: RegistrationServiceOptions;
  private readonly reannounceMs: number;
  private readonly pullIntervalMs: number;
  private readonly pullPeers: number;
  private readonly requestTimeoutMs: number;
  private readonly adoptionPeers: number;
  private readonly closedSetTimeoutMs: number;
  private readonly protocol: string;
  private readonly closedSetProtocol: string;
  private readonly ownParties: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly book = new RegistrationBook();
  private readonly ownKeys = new Map<number, Map<string, OwnKey>>();
  private readonly validator: RegistrationValidator;
  private readonly timers: TimerSet;
  private readonly tasks = new Set<Promise<void>>();
  /** Per recording epoch, the tail of its closing and adoptions: they run one at a time. */
  private readonly epochWork = new Map<number, Promise<void>>();
  /** The adoption queued or running per recording epoch, with the certified AVK it looks for. */
  private readonly adoptions = new Map<number, { avk: string; result: Promise<AdoptionResult> }>();
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
    this.closedSetTimeoutMs = positive(
      options.closedSetTimeoutMs ?? REGISTRATION_DEFAULTS.closedSetTimeoutMs,
      'closedSetTimeoutMs',
    );
    this.pullPeers = count(options.pullPeers ?? REGISTRATION_DEFAULTS.pullPeers, 'pullPeers');
    this.adoptionPeers = count(options.adoptionPeers ?? REGISTRATION_DEFAULTS.adoptionPeers, 'adoptionPeers');
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
    this.closedSetProtocol = closedRegistrationsProtocol(options.network);
    this.log = options.log ?? logger('mithril-mesh:registration');
    this.timers = new TimerSet(options.clock);
    this.validator = new RegistrationValidator({
      chain: options.chain,
      bls: options.bls,
      clock: options.clock,
      random: options.verifierRandom ?? systemRandom,
      ...(options.proofBatchSize === undefined ? {} : { proofBatchSize: options.proofBatchSize }),
      ...(options.proofBatchDelayMs === undefined ? {} : { proofBatchDelayMs: options.proofBatchDelayMs }),
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
   * Loads what the store holds of the retained epochs, answers `registrations` and
   * `closed-registrations` requests and runs the current epoch (registering the identities if
   * its registration is still open).
   */
  async start(): Promise<void> {
    if (this.running) return;
    const epoch = this.options.chain.currentEpoch();
    await this.load(epoch);
    const { requestResponse } = this.options;
    await requestResponse.handle(this.protocol, (request) => this.serve(request), {
      maxRequestBytes: MAX_REQUEST_BYTES,
    });
    await requestResponse.handle(this.closedSetProtocol, (request) => this.serveClosedSet(request), {
      maxRequestBytes: CLOSED_SET_REQUEST_BYTES,
    });
    this.abort = new AbortController();
    this.running = true;
    this.enterEpoch(epoch, { atBoundary: false });
  }

  /** Cancels every timer and request, stops answering, and waits for running tasks. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.timers.clear();
    this.abort.abort();
    await this.options.requestResponse.unhandle(this.protocol);
    await this.options.requestResponse.unhandle(this.closedSetProtocol);
    this.validator.flushProofs();
    await this.whenIdle();
  }

  /** Resolves once every task started so far (registering, pulling, closing, adopting) has finished. */
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
      const record = await registrations.getClosed(r);
      // After an adoption the store still holds the replaced view's registrations; the closed
      // record says which ones the epoch keeps.
      const closedKeys =
        record === undefined ? undefined : new Set(record.entries.map((e) => entryKey(e.partyId, e.vk)));
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
        if (closedKeys !== undefined && !closedKeys.has(entryKey(message.partyId, message.vkPop.vk))) {
          this.log('stored registration of %s for epoch %d is not in its closed set', stored.partyId, r);
          continue;
        }
        state.add(message);
      }
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

  /**
   * Start of `epoch` (or start-up during it): prune, then open the registration recorded at
   * epoch + 1, registering at once on start-up and at a random point of the window's spread
   * (`REGISTER_SPREAD_FROM`–`TO`) at a boundary.
   */
  private enterEpoch(epoch: number, { atBoundary }: { atBoundary: boolean }): void {
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
      const register = (): void =>
        this.run(`registering for epoch ${recording}`, () => this.registerAll(recording));
      if (atBoundary) {
        const draw = this.options.random(PEER_DRAW_BYTES);
        const u = new DataView(draw.buffer, draw.byteOffset).getUint32(0) / UINT32_RANGE;
        const fraction = REGISTER_SPREAD_FROM + (REGISTER_SPREAD_TO - REGISTER_SPREAD_FROM) * u;
        this.timers.at(clock.now() + fraction * (closeAt - clock.now()), register);
      } else {
        register();
      }
      this.scheduleReannounce(recording);
      this.schedulePull(recording);
      this.timers.at(closeAt, () =>
        this.run(`closing epoch ${recording}`, () => this.serial(recording, () => this.close(recording))),
      );
    }
    this.timers.at(chain.epochWindow(epoch).endMs, () =>
      this.enterEpoch(Math.max(epoch + 1, chain.currentEpoch()), { atBoundary: true }),
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
    await Promise.all(this.samplePeers(this.pullPeers).map((peer) => this.pullFrom(peer, epoch)));
  }

  /** Up to `wanted` connected peers, uniformly (a partial Fisher–Yates shuffle). */
  private samplePeers(wanted: number): string[] {
    const peers = this.options.requestResponse.connectedPeers();
    const count = Math.min(wanted, peers.length);
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
      // Checked together: their proofs of possession share batches.
      const results = await Promise.all(frames.map((frame) => this.receive(frame, peer)));
      const added = results.filter((isNew) => isNew).length;
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
    await this.options.store.registrations.putClosed(closedRecord(epoch, signerSet, closedAtMs));
    if (signerSet === undefined) {
      this.log.error('registration for epoch %d closed with no stake registered', epoch);
      return;
    }
    this.log('registration for epoch %d closed: %d signers', epoch, signerSet.registration.size);
    this.announceClosed(signerSet);
  }

  private announceClosed({ epoch, registration }: SignerSet): void {
    this.options.events.emit('registration:closed', {
      epoch,
      signers: registration.size,
      totalStake: registration.totalStake,
      avk: avkToJsonHex(registration.avk),
    });
  }

  /**
   * Makes the closed set recorded at `epoch` the one a certificate certified (its
   * `next_aggregate_verification_key`), per docs/node-design.md "When views differ": 'matched'
   * when the node's own closed set has `certifiedAvk`; otherwise asks up to `adoptionPeers`
   * connected peers in turn for their closed set, validates each registration of an answer
   * (`RegistrationValidator.checkClosedSet` and `certifyPast`, no open-window checks), and the
   * first whose AVK is `certifiedAvk` replaces the node's set: its messages and closed record
   * are stored, `signerSet(epoch)` returns it and `registration:closed` is emitted again with
   * its AVK ('adopted'); 'unavailable' when no peer had it (the caller retries later). The
   * node's own BLS key is kept: if its registration is not in the certified set, the node is
   * simply no signer of that set (`ownSecretKey` answers undefined). Closing and adoptions of an
   * epoch run one at a time; a call while an adoption for the same AVK is queued or running
   * gets its result. Throws `RegistrationServiceError` NOT_RUNNING, or EPOCH_NOT_RETAINED for an
   * epoch before `currentEpoch − 2` (pruned) or after `currentEpoch + 1`.
   */
  async adoptCertifiedSet(epoch: number, certifiedAvk: AggregateVerificationKey): Promise<AdoptionResult> {
    if (!this.running) {
      throw new RegistrationServiceError('NOT_RUNNING', 'the registration service is stopped');
    }
    const current = this.options.chain.currentEpoch();
    if (
      !Number.isSafeInteger(epoch) ||
      epoch < current - RETAINED_PAST_EPOCHS ||
      epoch > current + ADOPTION_FUTURE_EPOCHS
    ) {
      throw new RegistrationServiceError(
        'EPOCH_NOT_RETAINED',
        `epoch ${epoch} is not retained in epoch ${current}`,
      );
    }
    const avk = avkToJsonHex(certifiedAvk);
    const pending = this.adoptions.get(epoch);
    if (pending?.avk === avk) return pending.result;
    const result = this.serial(epoch, () => this.adopt(epoch, avk));
    const entry = { avk, result };
    this.adoptions.set(epoch, entry);
    const done = (): void => {
      if (this.adoptions.get(epoch) === entry) this.adoptions.delete(epoch);
    };
    this.track(result.then(done, done));
    return result;
  }

  private async adopt(epoch: number, avk: string): Promise<AdoptionResult> {
    const own = this.book.find(epoch)?.signerSet;
    if (own !== undefined && avkToJsonHex(own.registration.avk) === avk) return 'matched';
    for (const peer of this.samplePeers(this.adoptionPeers)) {
      if (!this.running) break;
      const fetched = await this.fetchClosedSet(peer, epoch, avk);
      if (fetched === undefined) continue;
      // Stopped meanwhile: the store may be closing.
      if (!this.running) break;
      await this.replaceClosedSet(fetched.messages, fetched.signerSet);
      this.log(
        'adopted the certified set of epoch %d from %s: %d signers',
        epoch,
        peer,
        fetched.messages.length,
      );
      return 'adopted';
    }
    this.log('no peer asked has the certified set of epoch %d', epoch);
    return 'unavailable';
  }

  /**
   * The closed set recorded at `epoch` that `peer` holds, if it has the AVK `avk` and every
   * registration is valid; undefined otherwise (logged). The AVK, which needs only the keys and
   * stakes, is compared before the costlier certification of each registration.
   */
  private async fetchClosedSet(
    peer: string,
    epoch: number,
    avk: string,
  ): Promise<{ messages: RegistrationMessage[]; signerSet: SignerSet } | undefined> {
    try {
      const response = await this.options.requestResponse.request(
        peer,
        this.closedSetProtocol,
        encodeClosedSetRequest(epoch),
        {
          maxResponseBytes: MAX_CLOSED_SET_RESPONSE_BYTES,
          timeoutMs: this.closedSetTimeoutMs,
          signal: this.abort.signal,
        },
      );
      const messages = decodeClosedSetResponse(response).map(decodeRegistration);
      const entries = await this.validator.checkClosedSet(epoch, messages);
      const signerSet = buildSignerSet(
        epoch,
        entries.map(({ message, stake }) => ({ partyId: message.partyId, vk: message.vkPop.vk, stake })),
      );
      if (signerSet === undefined || avkToJsonHex(signerSet.registration.avk) !== avk) {
        this.log('the closed set of epoch %d from %s is not the certified one', epoch, peer);
        return undefined;
      }
      // All at once: their proofs of possession are checked in batches.
      await Promise.all(messages.map((message) => this.validator.certifyPast(message)));
      return { messages, signerSet };
    } catch (error) {
      if (error instanceof GossipValidationError) {
        this.log(
          'the closed set of epoch %d from %s is invalid: %s %s',
          epoch,
          peer,
          error.reason,
          error.message,
        );
      } else if (error instanceof RegistrationError) {
        this.log('the closed set of epoch %d from %s cannot be closed: %s', epoch, peer, error.message);
      } else {
        // Transport failures (timeout, refused, too large) and MALFORMED_RESPONSE: the next peer.
        this.log('asking %s for the closed set of epoch %d failed: %e', peer, epoch, error);
      }
      return undefined;
    }
  }

  /**
   * Replaces the registrations and closed set of `signerSet.epoch`. The messages are stored
   * first and the closed record last: after a crash in between the old record still stands
   * (and `load` keeps only the registrations it lists), so the adoption is simply retried.
   */
  private async replaceClosedSet(
    messages: readonly RegistrationMessage[],
    signerSet: SignerSet,
  ): Promise<void> {
    const { epoch } = signerSet;
    const { registrations } = this.options.store;
    // A set still open here (a late clock) accepts nothing more: the certified set is final.
    const previous = this.book.find(epoch);
    if (previous !== undefined) previous.closed = true;
    const state = new EpochRegistrations(epoch);
    for (const message of messages) state.add(message);
    state.closed = true;
    state.signerSet = signerSet;
    for (const message of messages) {
      const held = previous?.accepted(message.partyId);
      if (held === undefined || !equalBytes(held.bytes, message.bytes)) {
        await registrations.put(epoch, message.partyId, message.bytes);
      }
    }
    await registrations.putClosed(closedRecord(epoch, signerSet, this.options.clock.now()));
    this.book.set(state);
    this.announceClosed(signerSet);
  }

  /** The exact messages of the closed set recorded at the asked epoch; none when it has none. */
  private async serveClosedSet(request: Uint8Array): Promise<Uint8Array> {
    const epoch = decodeClosedSetRequest(request);
    const state = this.book.find(epoch);
    const set = state?.signerSet;
    if (state === undefined || set === undefined) return encodeClosedSetResponse([]);
    if (set.partyIds.length > MAX_CLOSED_SET_REGISTRATIONS) {
      this.log.error('the closed set of epoch %d is too large to serve: %d', epoch, set.partyIds.length);
      return encodeClosedSetResponse([]);
    }
    const messages: Uint8Array[] = [];
    for (const [i, partyId] of set.partyIds.entries()) {
      const message = state.accepted(partyId);
      if (message === undefined || !equalBytes(message.vkPop.vk, set.registration.entryAt(i).vk)) {
        this.log.error('the closed set of epoch %d lacks the registration of %s', epoch, partyId);
        return encodeClosedSetResponse([]);
      }
      messages.push(message.bytes);
    }
    return encodeClosedSetResponse(messages);
  }

  /** Runs `fn` after the work already queued for `epoch` (closing, adopting): one at a time. */
  private serial<T>(epoch: number, fn: () => Promise<T>): Promise<T> {
    const result = (this.epochWork.get(epoch) ?? Promise.resolve()).then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.epochWork.set(epoch, tail);
    void tail.then(() => {
      if (this.epochWork.get(epoch) === tail) this.epochWork.delete(epoch);
    });
    return result;
  }

  /** Runs `fn` as a tracked task while running; failures are logged, never thrown at a timer. */
  private run(what: string, fn: () => Promise<void>): void {
    if (!this.running) return;
    this.track(fn().catch((error: unknown) => this.log.error('%s failed: %e', what, error)));
  }

  /** `whenIdle` (hence `stop`) waits for `task`, which must not reject. */
  private track(task: Promise<void>): void {
    const tracked = task.finally(() => this.tasks.delete(tracked));
    this.tasks.add(tracked);
  }
}
