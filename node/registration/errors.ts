/**
 * Typed errors of the registration service (gossip verdicts use `GossipValidationError`).
 * Codes: INVALID_OPTIONS (a constructor option out of range), MALFORMED_REQUEST and
 * MALFORMED_RESPONSE (bytes of the `registrations` or `closed-registrations` protocol that do not
 * parse), CLOSED_SET_TOO_LARGE (a closed set above what one response carries), NOT_RUNNING (an
 * adoption asked of a stopped service), EPOCH_NOT_RETAINED (an adoption for an epoch the node
 * does not keep).
 */
export class RegistrationServiceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistrationServiceError';
    this.code = code;
  }
}
