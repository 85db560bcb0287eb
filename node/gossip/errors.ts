/**
 * Gossip validation outcome as a typed error: handlers throw it, one adapter
 * (`node/gossip/validation.ts`) maps it to gossipsub's IGNORE or REJECT and counts it by reason.
 * IGNORE: not useful now but not the sender's fault (late, duplicate, unknown yet). REJECT: the
 * sender relayed something provably invalid; gossipsub penalises it.
 */
export type GossipAction = 'ignore' | 'reject';

export class GossipValidationError extends Error {
  readonly action: GossipAction;
  /** Stable reason code, used as the counter label (e.g. MALFORMED, WRONG_EPOCH, BAD_SIGNATURE). */
  readonly reason: string;

  constructor(action: GossipAction, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GossipValidationError';
    this.action = action;
    this.reason = reason;
  }
}

export const ignore = (reason: string, message: string): GossipValidationError =>
  new GossipValidationError('ignore', reason, message);
export const reject = (reason: string, message: string, cause?: unknown): GossipValidationError =>
  new GossipValidationError('reject', reason, message, cause === undefined ? undefined : { cause });
