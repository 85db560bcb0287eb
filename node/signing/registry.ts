/**
 * The open messages of the beacons in the window, built lazily the first time a beacon is needed
 * (to sign, to validate a signature, for the aggregator) and rebuilt if the registration view
 * hands out another signer set. A freshly built open message reloads the signatures stored for
 * its beacon, checked again against it (one batch), so a restarted node counts what it had.
 */
import { logger } from '@libp2p/logger';
import type { ChainObserver } from '../chain/observer.ts';
import type { RegistrationView, SignerSet } from '../registration/view.ts';
import type { Clock } from '../runtime/clock.ts';
import type { SignatureStore } from '../store/types.ts';
import type { BlsBackend } from '../../protocol/crypto/bls/backend.ts';
import type { RandomSource } from '../../protocol/crypto/random.ts';
import { equalBytes } from '../../protocol/encoding/bytes.ts';
import type { ProtocolParameters } from '../../protocol/message/protocol-parameters.ts';
import { toStmParameters } from '../../protocol/message/protocol-parameters.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { verifySingleSignatures } from '../../protocol/stm/single-signature.ts';
import type { SignatureMessage } from './message.ts';
import { decodeSignatureMessage } from './message.ts';
import type { OpenMessage } from './open-message.ts';
import { buildOpenMessage, entityKey, signerIndexOf } from './open-message.ts';
import { beaconWindow } from './window.ts';

const log = logger('mithril-mesh:signing:open-message');

/**
 * Why there is no open message: EXPIRED / FUTURE_EPOCH (outside the beacon window, window.ts),
 * SIGNER_SET_UNKNOWN (the set recorded at S-1 is not closed locally), NEXT_SIGNER_SET_UNKNOWN (the
 * set recorded at S, whose AVK is signed, is not closed), MESSAGE_UNAVAILABLE (the chain could not
 * give what the protocol message needs, e.g. a stake distribution).
 */
export type OpenMessageUnavailableReason =
  'EXPIRED' | 'FUTURE_EPOCH' | 'SIGNER_SET_UNKNOWN' | 'NEXT_SIGNER_SET_UNKNOWN' | 'MESSAGE_UNAVAILABLE';

export type OpenMessageResult =
  | { status: 'open'; openMessage: OpenMessage }
  | { status: 'unavailable'; reason: OpenMessageUnavailableReason; detail: string };

export interface OpenMessagesOptions {
  chain: ChainObserver;
  registrations: RegistrationView;
  store: SignatureStore;
  clock: Clock;
  parameters: ProtocolParameters;
  backend: BlsBackend;
  random: RandomSource;
  /** This node's pool ids: their stored signatures are marked own. */
  identities: ReadonlySet<string>;
}

interface Entry {
  entity: SignedEntityType;
  signers: SignerSet;
  next: SignerSet;
  promise: Promise<OpenMessage>;
  /** The open message once built (with its stored signatures reloaded). */
  built(): OpenMessage | undefined;
}

const unavailable = (reason: OpenMessageUnavailableReason, detail: string): OpenMessageResult => ({
  status: 'unavailable',
  reason,
  detail,
});

export class OpenMessages {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: OpenMessagesOptions) {}

  /** The open message of `entity`, built (and its stored signatures reloaded) on first use. */
  async get(entity: SignedEntityType): Promise<OpenMessageResult> {
    const { chain, registrations, clock } = this.options;
    const window = beaconWindow(entity, chain, clock.now());
    if (window.status === 'future') {
      return unavailable('FUTURE_EPOCH', `signed in epoch ${window.signingEpoch}, after the current one`);
    }
    if (window.status === 'expired') {
      return unavailable('EXPIRED', `signed in epoch ${window.signingEpoch}, out of the signing window`);
    }
    const signers = registrations.signerSet(window.signingEpoch - 1);
    if (signers === undefined) {
      return unavailable('SIGNER_SET_UNKNOWN', `no closed signer set at ${window.signingEpoch - 1}`);
    }
    const next = registrations.signerSet(window.signingEpoch);
    if (next === undefined) {
      return unavailable('NEXT_SIGNER_SET_UNKNOWN', `no closed signer set at ${window.signingEpoch}`);
    }
    const key = entityKey(entity);
    let entry = this.entries.get(key);
    if (entry === undefined || entry.signers !== signers || entry.next !== next) {
      entry = this.load(entity, window.signingEpoch, signers, next);
      this.entries.set(key, entry);
    }
    try {
      return { status: 'open', openMessage: await entry.promise };
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      log.error('cannot build the open message of %s: %s', key, error);
      return unavailable('MESSAGE_UNAVAILABLE', error instanceof Error ? error.message : String(error));
    }
  }

  /** The open message of `entity` if it is already built. */
  peek(entity: SignedEntityType): OpenMessage | undefined {
    return this.entries.get(entityKey(entity))?.built();
  }

  /** Forgets the open messages that left the beacon window. */
  prune(): void {
    const now = this.options.clock.now();
    for (const [key, entry] of this.entries) {
      if (beaconWindow(entry.entity, this.options.chain, now).status !== 'open') this.entries.delete(key);
    }
  }

  private load(entity: SignedEntityType, signingEpoch: number, signers: SignerSet, next: SignerSet): Entry {
    const { parameters, chain } = this.options;
    let built: OpenMessage | undefined;
    const promise = (async () => {
      const open = await buildOpenMessage(entity, signingEpoch, signers, next, parameters, chain);
      await this.reload(open);
      built = open;
      return open;
    })();
    return { entity, signers, next, promise, built: () => built };
  }

  /** Counts again the signatures stored for the beacon that are valid for this open message. */
  private async reload(open: OpenMessage): Promise<void> {
    const { store, backend, random, parameters, identities } = this.options;
    const candidates: SignatureMessage[] = [];
    for (const { partyId, message } of await store.list(open.entity)) {
      let decoded: SignatureMessage;
      try {
        decoded = decodeSignatureMessage(message, parameters.m);
      } catch (error) {
        log.error('stored signature of %s for %s does not decode: %s', partyId, open.key, error);
        continue;
      }
      const matches =
        decoded.partyId === partyId &&
        entityKey(decoded.entity) === open.key &&
        equalBytes(decoded.signedMessage, open.signedMessageBytes) &&
        signerIndexOf(open.signers, partyId) === decoded.signature.signerIndex;
      if (matches) candidates.push(decoded);
      else log('stored signature of %s does not match the open message of %s', partyId, open.key);
    }
    if (candidates.length === 0) return;
    const items = candidates.map((c) => ({
      sig: c.signature,
      entry: open.signers.registration.entryAt(c.signature.signerIndex),
    }));
    const verdicts = verifySingleSignatures(
      backend,
      items,
      open.signers.registration.avk,
      toStmParameters(parameters),
      open.message,
      random,
    );
    candidates.forEach((c, i) => {
      if (verdicts[i] !== null) {
        log('stored signature of %s for %s no longer verifies', c.partyId, open.key);
        return;
      }
      open.add({ ...items[i]!, partyId: c.partyId, bytes: c.bytes, own: identities.has(c.partyId) });
      open.markPersisted(c.partyId);
    });
    log('reloaded %d stored signatures for %s', open.signatures.length, open.key);
  }
}
