/**
 * The chain manager (docs/convergence.md): the canonical certificate of every certified beacon,
 * mirrored in memory from the `CertificateStore` and changed only here.
 *
 * - Parents: MithrilStakeDistribution(E), the master of E, links to the master of E-1 (the
 *   genesis certificate stands for MithrilStakeDistribution of its epoch, so the first master
 *   links to it); every other beacon signed in E links to the master of E.
 * - Preference (rule 1): a beacon keeps the multi-signature with the smallest `preferenceKey`.
 * - Linking (rule 2): an offered certificate is linked to the beacon's canonical parent before it
 *   is stored; when a kept certificate is displaced, its dependents are linked again, down the
 *   chain, each verified against its new parent. A dependent that no longer verifies (its AVK was
 *   certified by the displaced master only) is orphaned: left in the store, but no longer part of
 *   the chain, and replaced as soon as a valid certificate for its beacon comes.
 * - Epoch order (rule 3): a certificate is stored only once its parent is, and only if it
 *   verifies against it (`verifyCertificate`: AVK and parameters chaining to the parent).
 *
 * Every change goes through one queue, so decisions never act on a stale view. Valid certificates
 * that are not kept (displaced, or losing candidates seen while resolving a chain) are remembered
 * for a while: a certificate still linking to one of them can be verified, and peers can fetch it.
 */
import { logger } from '@libp2p/logger';
import { entityKey } from '../signing/open-message.ts';
import type { CertificateStore } from '../store/types.ts';
import type { Certificate, VerifierContext } from '../../protocol/certificate/index.ts';
import {
  CertificateVerificationError,
  certificateSignedEntityType,
  isGenesisCertificate,
  verifyCertificate,
} from '../../protocol/certificate/index.ts';
import type { SignedEntityType } from '../../protocol/message/signed-entity-type.ts';
import { epochWhenSigned } from '../../protocol/message/signed-entity-type.ts';
import { preferenceKey, relinkCertificate } from './builder.ts';

const log = logger('mithril-mesh:aggregation:chain');

/**
 * Valid certificates not kept, remembered by hash. A beacon has a handful of candidates at most
 * (storm control) and two beacons are certified per epoch, so 64 covers the churn of several
 * epochs; a mainnet certificate is under 1 MB decoded, bounding this memory to tens of MB.
 */
export const RECENT_CAPACITY = 64;

/** What `offer` did: stored (new or preferred), or why not. */
export type OfferOutcome =
  'stored' | 'duplicate' | 'not-preferred' | 'parent-missing' | 'genesis-conflict' | 'before-genesis';

/** A certificate was stored for its beacon (the lead maps it to the 'certificate:stored' event). */
export interface CertificateStoredEvent {
  hash: string;
  previousHash: string;
  entity: SignedEntityType;
  /** The signing epoch (the certificate's epoch). */
  epoch: number;
  genesis: boolean;
  /** Built by this node's aggregator (or genesis service). */
  own: boolean;
  /** The certificate it displaced: another multi-signature, or the same one linked to another parent. */
  replaced?: string;
}

export interface CertificateChainOptions {
  store: CertificateStore;
  /** BLS backend and the network's genesis verification key. */
  verifier: VerifierContext;
  /** Default `RECENT_CAPACITY`. */
  recentCapacity?: number;
}

/** The beacon whose certificate `entity`'s certificate links to. */
export function parentBeacon(entity: SignedEntityType): SignedEntityType {
  const signingEpoch = epochWhenSigned(entity);
  return {
    type: 'MithrilStakeDistribution',
    epoch: entity.type === 'MithrilStakeDistribution' ? signingEpoch - 1 : signingEpoch,
  };
}

/** Genesis first, then by epoch, each epoch's master before its other certificates. */
function chainOrder(a: Certificate, b: Certificate): number {
  const rank = (c: Certificate): number =>
    isGenesisCertificate(c) ? 0 : certificateSignedEntityType(c).type === 'MithrilStakeDistribution' ? 1 : 2;
  const keyA = entityKey(certificateSignedEntityType(a));
  const keyB = entityKey(certificateSignedEntityType(b));
  return a.epoch - b.epoch || rank(a) - rank(b) || (keyA < keyB ? -1 : keyA > keyB ? 1 : 0);
}

export class CertificateChain {
  private genesisCertificate: Certificate | undefined;
  private readonly byBeacon = new Map<string, Certificate>();
  private readonly byHash = new Map<string, Certificate>();
  /** Beacon → hash of a stored certificate that no longer chains (replaced by the next one). */
  private readonly orphans = new Map<string, string>();
  private readonly recent = new Map<string, Certificate>();
  private readonly keys = new WeakMap<Certificate, string>();
  /** Certificate → hash of the parent it verified against ('' for genesis). */
  private readonly verified = new WeakMap<Certificate, string>();
  private readonly listeners = new Set<(event: CertificateStoredEvent) => void>();
  private readonly recentCapacity: number;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CertificateChainOptions) {
    this.recentCapacity = options.recentCapacity ?? RECENT_CAPACITY;
  }

  /** Loads the stored certificates and re-links any whose link a crash left stale. */
  load(): Promise<void> {
    return this.exclusive(async () => {
      const { store } = this.options;
      const stored = await store.list();
      this.genesisCertificate = await store.genesis();
      for (const certificate of stored) this.index(certificate);
      for (const certificate of stored.sort(chainOrder)) {
        // Skips the genesis, and certificates already re-linked as dependents of an earlier one.
        if (isGenesisCertificate(certificate) || this.byHash.get(certificate.hash) !== certificate) continue;
        const entity = certificateSignedEntityType(certificate);
        const parent = this.parentOf(entity);
        if (parent === undefined) {
          log.error('stored certificate %s has no parent certificate: orphaned', certificate.hash);
          this.orphan(certificate);
        } else if (certificate.previousHash !== parent.hash) {
          await this.relinkOne(certificate, parent);
        }
      }
      log('loaded %d certificates', this.byBeacon.size);
    });
  }

  genesis(): Certificate | undefined {
    return this.genesisCertificate;
  }

  /** A kept certificate, or a remembered valid one, by hash. */
  get(hash: string): Certificate | undefined {
    return this.byHash.get(hash) ?? this.recent.get(hash);
  }

  /** The canonical certificate of a beacon. */
  getByBeacon(entity: SignedEntityType): Certificate | undefined {
    return this.byBeacon.get(entityKey(entity));
  }

  /** Whether the beacon has a certificate (the signing layer's `isCertified` hook). */
  isCertified(entity: SignedEntityType): boolean {
    return this.byBeacon.has(entityKey(entity));
  }

  /** False for a beacon signed at or before the genesis epoch: no certificate can chain there. */
  certifiable(entity: SignedEntityType): boolean {
    const genesis = this.genesisCertificate;
    return genesis === undefined || epochWhenSigned(entity) > genesis.epoch;
  }

  /** The canonical certificate `entity`'s certificate links to, once there is one. */
  parentOf(entity: SignedEntityType): Certificate | undefined {
    return this.getByBeacon(parentBeacon(entity));
  }

  /** Rule 1's key of a multi-signature certificate. */
  preferenceKeyOf(certificate: Certificate): string {
    let key = this.keys.get(certificate);
    if (key === undefined) {
      if (certificate.signature.type !== 'multi')
        throw new TypeError('a genesis certificate has no preference key');
      key = preferenceKey(certificate.signature.multiSignature);
      this.keys.set(certificate, key);
    }
    return key;
  }

  /**
   * `verifyCertificate` against `parent` (null for genesis), remembered so that storing the same
   * object later does not verify it again. Throws `CertificateVerificationError`.
   */
  verify(certificate: Certificate, parent: Certificate | null): void {
    const parentHash = parent?.hash ?? '';
    if (this.verified.get(certificate) === parentHash) return;
    verifyCertificate(certificate, parent, this.options.verifier);
    this.verified.set(certificate, parentHash);
  }

  /** The epoch of the latest master (genesis included), undefined without genesis. */
  latestMasterEpoch(): number | undefined {
    let latest: number | undefined;
    for (const certificate of this.byBeacon.values()) {
      const entity = certificateSignedEntityType(certificate);
      if (
        entity.type === 'MithrilStakeDistribution' &&
        (latest === undefined || certificate.epoch > latest)
      ) {
        latest = certificate.epoch;
      }
    }
    return latest;
  }

  /** The canonical certificates of epochs ≥ `epoch`, in chain order (parents first). */
  since(epoch: number): Certificate[] {
    return [...this.byBeacon.values()].filter((c) => c.epoch >= epoch).sort(chainOrder);
  }

  /** Calls `listener` after each certificate stored; returns the unsubscribe function. */
  subscribe(listener: (event: CertificateStoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Offers a candidate (rule 1): stored, linked to the canonical parent and verified against it, if
   * its beacon has no certificate yet or it is preferred over the kept one; then the dependents of
   * the displaced certificate are linked again. A genesis certificate is verified with the genesis
   * key and stored if there is none. Throws `CertificateVerificationError` when the candidate does
   * not verify against the canonical parent, and the store's errors.
   */
  offer(certificate: Certificate, own = false): Promise<OfferOutcome> {
    return this.exclusive(() =>
      isGenesisCertificate(certificate)
        ? this.offerGenesis(certificate, own)
        : this.offerStandard(certificate, own),
    );
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async offerGenesis(certificate: Certificate, own: boolean): Promise<OfferOutcome> {
    if (this.genesisCertificate !== undefined) {
      return this.genesisCertificate.hash === certificate.hash ? 'duplicate' : 'genesis-conflict';
    }
    this.verify(certificate, null);
    await this.options.store.put(certificate);
    this.genesisCertificate = certificate;
    this.index(certificate);
    this.emit(certificate, own, undefined);
    return 'stored';
  }

  private async offerStandard(certificate: Certificate, own: boolean): Promise<OfferOutcome> {
    const entity = certificateSignedEntityType(certificate);
    if (!this.certifiable(entity)) return 'before-genesis';
    const kept = this.getByBeacon(entity);
    if (kept?.hash === certificate.hash) return 'duplicate';
    if (kept !== undefined) {
      const candidateKey = this.preferenceKeyOf(certificate);
      const keptKey = this.preferenceKeyOf(kept);
      if (candidateKey === keptKey) {
        // The kept multi-signature linked to another parent: certificates linking to it verify.
        this.rememberIfVerified(certificate);
        return 'duplicate';
      }
      if (keptKey < candidateKey) {
        this.rememberIfVerified(certificate);
        return 'not-preferred';
      }
    }
    const parent = this.parentOf(entity);
    if (parent === undefined) {
      this.rememberIfVerified(certificate);
      return 'parent-missing';
    }
    const canonical = relinkCertificate(certificate, parent);
    this.verify(canonical, parent);
    await this.persist(kept, canonical);
    this.emit(canonical, own, kept?.hash);
    if (kept !== undefined) await this.relinkDependents(kept.hash, canonical);
    return 'stored';
  }

  /** Stores `canonical` in place of `kept` (or of the beacon's orphan) and updates the index. */
  private async persist(kept: Certificate | undefined, canonical: Certificate): Promise<void> {
    const key = entityKey(certificateSignedEntityType(canonical));
    const previous = kept?.hash ?? this.orphans.get(key);
    if (previous === undefined) await this.options.store.put(canonical);
    else await this.options.store.replaceForBeacon(previous, canonical);
    this.orphans.delete(key);
    if (kept !== undefined) {
      this.byHash.delete(kept.hash);
      this.remember(kept);
    }
    this.index(canonical);
  }

  /** Links again every kept certificate that links to `previousHash`, and theirs in turn. */
  private async relinkDependents(previousHash: string, parent: Certificate): Promise<void> {
    const dependents = [...this.byBeacon.values()].filter(
      (c) => !isGenesisCertificate(c) && c.previousHash === previousHash,
    );
    for (const dependent of dependents.sort(chainOrder)) await this.relinkOne(dependent, parent);
  }

  private async relinkOne(certificate: Certificate, parent: Certificate): Promise<void> {
    let relinked: Certificate;
    try {
      relinked = relinkCertificate(certificate, parent);
      this.verify(relinked, parent);
    } catch (error) {
      if (!(error instanceof CertificateVerificationError)) throw error;
      log.error(
        'certificate %s does not verify under its new parent %s: orphaned (%s)',
        certificate.hash,
        parent.hash,
        error.message,
      );
      this.orphan(certificate);
      return;
    }
    await this.persist(certificate, relinked);
    this.emit(relinked, false, certificate.hash);
    await this.relinkDependents(certificate.hash, relinked);
  }

  /** Takes `certificate` and, transitively, its dependents out of the chain (they stay stored). */
  private orphan(certificate: Certificate): void {
    const key = entityKey(certificateSignedEntityType(certificate));
    this.byBeacon.delete(key);
    this.byHash.delete(certificate.hash);
    this.orphans.set(key, certificate.hash);
    for (const dependent of [...this.byBeacon.values()]) {
      if (!isGenesisCertificate(dependent) && dependent.previousHash === certificate.hash)
        this.orphan(dependent);
    }
  }

  private index(certificate: Certificate): void {
    this.byBeacon.set(entityKey(certificateSignedEntityType(certificate)), certificate);
    this.byHash.set(certificate.hash, certificate);
  }

  /** Remembers a candidate that is not kept once verified (`get` serves remembered ones as valid). */
  private rememberIfVerified(certificate: Certificate): void {
    if (this.verified.get(certificate) !== undefined) this.remember(certificate);
  }

  /** Remembers a valid certificate that is not kept, dropping the oldest beyond the capacity. */
  private remember(certificate: Certificate): void {
    this.recent.delete(certificate.hash);
    this.recent.set(certificate.hash, certificate);
    const oldest = this.recent.keys().next();
    if (this.recent.size > this.recentCapacity && !oldest.done) this.recent.delete(oldest.value);
  }

  private emit(certificate: Certificate, own: boolean, replaced: string | undefined): void {
    const event: CertificateStoredEvent = {
      hash: certificate.hash,
      previousHash: certificate.previousHash,
      entity: certificateSignedEntityType(certificate),
      epoch: certificate.epoch,
      genesis: isGenesisCertificate(certificate),
      own,
      ...(replaced === undefined ? {} : { replaced }),
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error('a certificate listener failed: %s', error);
      }
    }
  }
}
