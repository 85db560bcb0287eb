/**
 * Events a node emits: tests wait on them (never on sleeps) and the devnet shows progress with
 * them. Payloads are plain data.
 */
import { EventEmitter } from 'node:events';
import type { GossipAction } from './gossip/errors.ts';
import type { SignedEntityType } from '../protocol/message/signed-entity-type.ts';
import type { CertificatePublishedEvent } from './aggregation/aggregator.ts';
import type { CertificateStoredEvent } from './aggregation/chain.ts';

export interface MeshEventMap {
  /** A registration recorded at `epoch` was accepted (own or from a peer). */
  'registration:accepted': { epoch: number; partyId: string; own: boolean };
  /** The registration recorded at `epoch` closed; `avk` is its JSON-hex AVK. */
  'registration:closed': { epoch: number; signers: number; totalStake: bigint; avk: string };
  /** A valid single signature for `entity` was accepted (own or from a peer). */
  'signature:accepted': {
    entity: SignedEntityType;
    partyId: string;
    signerIndex: number;
    indexes: number;
    own: boolean;
  };
  /** A gossip message got a verdict other than accept. */
  'gossip:invalid': { topic: string; action: GossipAction; reason: string; from: string };
  /** A certificate became the one this node keeps for its beacon (first, preferred, or re-linked). */
  'certificate:stored': CertificateStoredEvent;
  /** This node's aggregator published a certificate. */
  'certificate:published': CertificatePublishedEvent;
  /** Number of connected peers changed. */
  'peers:changed': { connected: number };
}

export type MeshEventName = keyof MeshEventMap;

export class MeshEvents {
  private readonly emitter = new EventEmitter();
  private readonly anyListeners = new Set<
    <K extends MeshEventName>(name: K, payload: MeshEventMap[K]) => void
  >();

  constructor() {
    // Many tests and components listen at once; this is not a leak.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends MeshEventName>(name: K, payload: MeshEventMap[K]): void {
    this.emitter.emit(name, payload);
    for (const listener of this.anyListeners) listener(name, payload);
  }

  /** Every event, whatever its name (event streams, progress displays). */
  onAny(listener: <K extends MeshEventName>(name: K, payload: MeshEventMap[K]) => void): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  on<K extends MeshEventName>(name: K, listener: (payload: MeshEventMap[K]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** Resolves with the first payload matching `predicate`; rejects after `timeoutMs` or on abort. */
  waitFor<K extends MeshEventName>(
    name: K,
    predicate: (payload: MeshEventMap[K]) => boolean = () => true,
    { timeoutMs = 60_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<MeshEventMap[K]> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        off();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const off = this.on(name, (payload) => {
        if (!predicate(payload)) return;
        done();
        resolve(payload);
      });
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${name}`));
      }, timeoutMs);
      const onAbort = (): void => {
        done();
        reject(signal?.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
