/**
 * Certificate exchange with peers (docs/convergence.md, "Exchange"), on the `certificates`
 * request/response protocol:
 *
 * - serving: one certificate by hash (kept, or remembered after being displaced), or the kept
 *   certificates of epochs ≥ X in chain order, page by page;
 * - fetching by hash: announced certificates, and the unknown parents of received ones, walking
 *   back until a known certificate (at most `MAX_ANCESTORS` steps);
 * - pull-on-connect: the certificates since the epoch before our latest master; if a fetched
 *   ancestor shows the peer's chain forked from ours earlier, a second pull from the fork's epoch
 *   brings the certificates off the path too (the other beacons of the forked epochs).
 *
 * Everything fetched is validated like gossip (`CertificateValidator`, mode 'fetched') and
 * offered to the chain, which keeps the preferred candidate per beacon.
 */
import { logger } from '@libp2p/logger';
import { GossipValidationError } from '../gossip/errors.ts';
import type { RequestResponse } from '../p2p/request-response.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { CertificatesRequest, CertificatesResponse } from './certificate-message.ts';
import {
  MAX_CERTIFICATES_REQUEST_BYTES,
  MAX_CERTIFICATES_RESPONSE_BYTES,
  certificatesProtocol,
  decodeCertificate,
  decodeCertificatesRequest,
  decodeCertificatesResponse,
  encodeCertificate,
  encodeCertificatesRequest,
  encodeCertificatesResponse,
} from './certificate-message.ts';
import type { CertificateChain } from './chain.ts';
import type { CertificateValidator } from './validator.ts';

const log = logger('mithril-mesh:aggregation:sync');

/** As the registrations pull: a response of a few MB arrives well within it on any usable link. */
export const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Parents fetched one by one for a received certificate: a master links to the previous epoch's,
 * so this is the depth of a fork in epochs (64 epochs, most of a year on mainnet); deeper forks
 * are reconciled by the pull since the fork's epoch.
 */
export const MAX_ANCESTORS = 64;
/** Pages of one pull: 256 pages of up to ~4 MiB hold any realistic chain. */
const MAX_PULL_PAGES = 256;
/** Parent resolutions running at once for gossiped certificates; more are dropped (pulls catch up). */
const MAX_RESOLVING = 16;

export interface CertificateSyncOptions {
  network: string;
  requests: RequestResponse;
  certificates: CertificateChain;
  validator: CertificateValidator;
  /** Default `REQUEST_TIMEOUT_MS`. */
  requestTimeoutMs?: number;
}

/** What one pass of processing fetched certificates saw. */
interface Pass {
  stored: number;
  /** Lowest epoch of an ancestor fetched because it was unknown. */
  forkEpoch: number | undefined;
}

export class CertificateSync {
  private readonly protocol: string;
  private readonly timeoutMs: number;
  private readonly encoded = new WeakMap<Certificate, Uint8Array>();
  private readonly resolving = new Map<string, Promise<void>>();
  private running = false;

  constructor(private readonly options: CertificateSyncOptions) {
    this.protocol = certificatesProtocol(options.network);
    this.timeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  /** Serves the protocol. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.options.requests.handle(this.protocol, (request) => Promise.resolve(this.respond(request)), {
      maxRequestBytes: MAX_CERTIFICATES_REQUEST_BYTES,
    });
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.options.requests.unhandle(this.protocol);
    await this.whenIdle();
  }

  /** Resolves once the parent resolutions started so far are done. */
  async whenIdle(): Promise<void> {
    await Promise.all(this.resolving.values());
  }

  /** One certificate by hash from `peerId`, checked to be the one asked; undefined when the peer fails. */
  async fetchByHash(peerId: string, hash: string): Promise<Certificate | undefined> {
    const page = await this.ask(peerId, { kind: 'by-hash', hash });
    const bytes = page?.certificates[0];
    if (bytes === undefined) return undefined;
    try {
      const certificate = decodeCertificate(bytes);
      if (certificate.hash === hash) return certificate;
      log('peer %s answered %s with certificate %s', peerId, hash, certificate.hash);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      log('peer %s sent an undecodable certificate: %s', peerId, error.message);
    }
    return undefined;
  }

  /** Pull-on-connect from `peerId`; resolves with the number of certificates stored. */
  async pull(peerId: string): Promise<number> {
    const latest = this.options.certificates.latestMasterEpoch();
    const since = latest === undefined ? 0 : Math.max(0, latest - 1);
    const first = await this.pullSince(peerId, since);
    if (first.forkEpoch === undefined || first.forkEpoch >= since) return first.stored;
    log('chain of %s forked from ours at epoch %d: pulling from there', peerId, first.forkEpoch);
    const second = await this.pullSince(peerId, first.forkEpoch);
    return first.stored + second.stored;
  }

  /**
   * In the background: fetches the unknown ancestors of a received certificate from `peerId`,
   * then processes them and the certificate, oldest first.
   */
  resolveLater(certificate: Certificate, peerId: string): void {
    if (this.resolving.has(certificate.hash) || this.resolving.size >= MAX_RESOLVING) return;
    const run = this.ingest(certificate, peerId, 0, { stored: 0, forkEpoch: undefined })
      .catch((error: unknown) => log.error('resolving the parents of %s failed: %s', certificate.hash, error))
      .finally(() => this.resolving.delete(certificate.hash));
    this.resolving.set(certificate.hash, run);
  }

  private respond(bytes: Uint8Array): Uint8Array {
    const request = decodeCertificatesRequest(bytes);
    const { certificates } = this.options;
    if (request.kind === 'by-hash') {
      const certificate = certificates.get(request.hash);
      return encodeCertificatesResponse(certificate === undefined ? [] : [this.encode(certificate)]).bytes;
    }
    const page = certificates.since(request.epoch).slice(request.offset);
    return encodeCertificatesResponse(page.map((c) => this.encode(c))).bytes;
  }

  private encode(certificate: Certificate): Uint8Array {
    let bytes = this.encoded.get(certificate);
    if (bytes === undefined) {
      bytes = encodeCertificate(certificate);
      this.encoded.set(certificate, bytes);
    }
    return bytes;
  }

  private async ask(peerId: string, request: CertificatesRequest): Promise<CertificatesResponse | undefined> {
    try {
      const response = await this.options.requests.request(
        peerId,
        this.protocol,
        encodeCertificatesRequest(request),
        {
          maxResponseBytes: MAX_CERTIFICATES_RESPONSE_BYTES,
          timeoutMs: this.timeoutMs,
        },
      );
      return decodeCertificatesResponse(response);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      log('%s request to %s failed: %s', request.kind, peerId, error.message);
      return undefined;
    }
  }

  private async pullSince(peerId: string, epoch: number): Promise<Pass> {
    const pass: Pass = { stored: 0, forkEpoch: undefined };
    let offset = 0;
    for (let page = 0; page < MAX_PULL_PAGES; page++) {
      const response = await this.ask(peerId, { kind: 'since', epoch, offset });
      if (response === undefined) break;
      for (const bytes of response.certificates) {
        let certificate: Certificate;
        try {
          certificate = decodeCertificate(bytes);
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          log('peer %s sent an undecodable certificate: %s', peerId, error.message);
          return pass;
        }
        await this.ingest(certificate, peerId, 0, pass);
      }
      if (!response.more || response.certificates.length === 0) break;
      offset += response.certificates.length;
    }
    log('pulled from %s since epoch %d: %d stored', peerId, epoch, pass.stored);
    return pass;
  }

  /** Validates and offers `certificate`, fetching its unknown parent first (up to `MAX_ANCESTORS` deep). */
  private async ingest(certificate: Certificate, peerId: string, depth: number, pass: Pass): Promise<void> {
    const { validator, certificates } = this.options;
    for (let attempt = 0; ; attempt++) {
      try {
        await validator.validate(undefined, certificate, 'fetched');
        break;
      } catch (error) {
        if (!(error instanceof GossipValidationError)) throw error;
        if (error.reason !== 'PARENT_UNKNOWN' || attempt > 0 || depth >= MAX_ANCESTORS) {
          if (error.action === 'reject')
            log('peer %s sent an invalid certificate: %s', peerId, error.message);
          return;
        }
      }
      const parent = await this.fetchByHash(peerId, certificate.previousHash);
      if (parent === undefined) return;
      await this.ingest(parent, peerId, depth + 1, pass);
    }
    if (depth > 0 && (pass.forkEpoch === undefined || certificate.epoch < pass.forkEpoch)) {
      pass.forkEpoch = certificate.epoch;
    }
    try {
      if ((await certificates.offer(certificate)) === 'stored') pass.stored++;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      log.error('certificate %s from %s was not stored: %s', certificate.hash, peerId, error.message);
    }
  }
}
