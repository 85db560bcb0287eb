/**
 * Registration agreement (docs/node-design.md, "When views differ"): the certified chain decides
 * which signer set is used. When the node keeps a master certificate of epoch E, the set recorded
 * at E is the one its `next_aggregate_verification_key` names; the genesis names the set recorded
 * at the genesis epoch. If the node closed another set, it adopts the certified one from peers.
 */
import { logger } from '@libp2p/logger';
import { avkFromJsonHex } from '../../protocol/codec/json-hex.ts';
import type { AggregateVerificationKey } from '../../protocol/stm/types.ts';
import type { MeshEvents } from '../events.ts';
import type { RegistrationService } from '../registration/service.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import type { CertificateChain } from './chain.ts';

const log = logger('mithril-mesh:registration-agreement');
/** Peers may close or receive the certified set a little later: retry a few times. */
const MAX_ATTEMPTS = 5;

export interface RegistrationAgreementOptions {
  certificates: CertificateChain;
  registration: Pick<RegistrationService, 'adoptCertifiedSet'>;
  events: MeshEvents;
  clock: Clock;
  /** Wait between two attempts (e.g. a twentieth of an epoch). */
  retryMs: number;
}

export class RegistrationAgreement {
  private unsubscribe: (() => void) | undefined;
  private readonly timers = new Set<TimerHandle>();

  constructor(private readonly options: RegistrationAgreementOptions) {}

  start(): void {
    this.unsubscribe = this.options.events.on('certificate:stored', ({ hash, genesis, entity }) => {
      if (!genesis && entity.type !== 'MithrilStakeDistribution') return;
      const certificate = this.options.certificates.get(hash);
      if (certificate === undefined) return;
      if (genesis) {
        this.adopt(certificate.epoch, certificate.aggregateVerificationKey, 1);
        return;
      }
      const next = certificate.protocolMessage.get('next_aggregate_verification_key');
      if (next !== undefined) this.adopt(certificate.epoch, avkFromJsonHex(next), 1);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const timer of this.timers) this.options.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private adopt(epoch: number, avk: AggregateVerificationKey, attempt: number): void {
    this.options.registration
      .adoptCertifiedSet(epoch, avk)
      .then((result) => {
        if (result === 'adopted') log('adopted the certified signer set recorded at %d', epoch);
        if (result !== 'unavailable' || attempt >= MAX_ATTEMPTS || this.unsubscribe === undefined) return;
        const timer = this.options.clock.setTimeout(() => {
          this.timers.delete(timer);
          this.adopt(epoch, avk, attempt + 1);
        }, this.options.retryMs);
        this.timers.add(timer);
      })
      .catch((error: unknown) => log('no adoption of the set recorded at %d: %s', epoch, error));
  }
}
