/**
 * Typed errors of the registration service (gossip verdicts use `GossipValidationError`).
 * Codes: INVALID_OPTIONS (a constructor option out of range), MALFORMED_REQUEST and
 * MALFORMED_RESPONSE (bytes of the `registrations` protocol that do not parse).
 */
export class RegistrationServiceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistrationServiceError';
    this.code = code;
  }
}
