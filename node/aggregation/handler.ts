/**
 * The gossip handlers of the certificate topics, one per signed entity type. A full certificate is
 * validated as it is; an announced one is first fetched from the peer that relayed the
 * announcement (which holds it: it validated it before relaying), then validated the same way. A
 * certificate whose parent is unknown is IGNOREd and its ancestors are fetched in the background.
 * `accept` offers the certificate to the chain, which keeps it if it is preferred.
 */
import { logger } from '@libp2p/logger';
import { GossipValidationError, ignore, reject } from '../gossip/errors.ts';
import type { TopicHandler } from '../gossip/handler.ts';
import { entityKey } from '../signing/open-message.ts';
import type { Certificate } from '../../protocol/certificate/index.ts';
import { certificateSignedEntityType } from '../../protocol/certificate/index.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { SignedEntityTypeName } from '../../protocol/message/signed-entity-type.ts';
import type { CertificateGossip } from './certificate-message.ts';
import {
  CertificateMessageError,
  MAX_CERTIFICATE_BYTES,
  MAX_GOSSIP_CERTIFICATE_BYTES,
  decodeCertificateGossip,
  encodeCertificate,
} from './certificate-message.ts';
import type { CertificateChain } from './chain.ts';
import type { CertificateSync } from './sync.ts';
import type { CertificateValidator } from './validator.ts';

const log = logger('mithril-mesh:aggregation:handler');

export interface CertificateHandlersOptions {
  /** Types whose certificate topic this node joins. */
  entityTypes: readonly SignedEntityTypeName[];
  validator: CertificateValidator;
  certificates: CertificateChain;
  sync: CertificateSync;
}

export function createCertificateHandlers(
  options: CertificateHandlersOptions,
): TopicHandler<CertificateGossip>[] {
  /** Announced certificates fetched and validated, until `accept` takes them. */
  const fetched = new Map<string, Certificate>();

  async function validateCertificate(
    type: SignedEntityTypeName,
    certificate: Certificate,
    from: string,
  ): Promise<void> {
    try {
      await options.validator.validate(type, certificate, 'gossip');
    } catch (error) {
      if (error instanceof GossipValidationError && error.reason === 'PARENT_UNKNOWN') {
        options.sync.resolveLater(certificate, from);
      }
      throw error;
    }
  }

  async function fetchAnnounced(
    type: SignedEntityTypeName,
    message: Extract<CertificateGossip, { form: 'announce' }>,
    from: string,
  ): Promise<Certificate> {
    if (message.entity.type !== type)
      throw reject('WRONG_TOPIC', `${message.entity.type} announced on the ${type} topic`);
    if (options.certificates.get(message.hash) !== undefined)
      throw ignore('DUPLICATE', `certificate ${message.hash} is known`);
    if (message.size <= MAX_GOSSIP_CERTIFICATE_BYTES || message.size > MAX_CERTIFICATE_BYTES) {
      throw reject('MALFORMED', `a certificate of ${message.size} bytes is not announced`);
    }
    const certificate = await options.sync.fetchByHash(from, message.hash);
    if (certificate === undefined)
      throw ignore('FETCH_FAILED', `${from} did not serve certificate ${message.hash}`);
    const size = encodeCertificate(certificate).length;
    if (
      entityKey(message.entity) !== entityKey(certificateSignedEntityType(certificate)) ||
      size !== message.size
    ) {
      throw reject('MALFORMED', `the announcement of ${message.hash} does not describe it`);
    }
    return certificate;
  }

  const handler = (type: SignedEntityTypeName): TopicHandler<CertificateGossip> => ({
    topic: { kind: 'certificate', entityType: type },
    // Full certificates up to the gossip bound; larger ones travel as (small) announcements.
    maxMessageBytes: MAX_GOSSIP_CERTIFICATE_BYTES,
    decode(data) {
      try {
        return decodeCertificateGossip(data);
      } catch (error) {
        if (!(error instanceof CertificateMessageError)) throw error;
        throw reject('MALFORMED', `certificate message: ${error.message}`, error);
      }
    },
    async validate(message, from) {
      if (message.form === 'full') return validateCertificate(type, message.certificate, from);
      const certificate = await fetchAnnounced(type, message, from);
      await validateCertificate(type, certificate, from);
      fetched.set(certificate.hash, certificate);
    },
    async accept(message) {
      const certificate = message.form === 'full' ? message.certificate : fetched.get(message.hash);
      // Our own announcement, run through `accept` by the publisher: the certificate is stored already.
      if (certificate === undefined) return;
      fetched.delete(certificate.hash);
      try {
        const outcome = await options.certificates.offer(certificate);
        log(
          'certificate %s of %s: %s',
          certificate.hash,
          entityKey(certificateSignedEntityType(certificate)),
          outcome,
        );
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        log.error('certificate %s was not stored: %s', certificate.hash, error.message);
      }
    },
  });
  return [...new Set(options.entityTypes)].map(handler);
}
