/**
 * Every error the pure protocol layer throws is a `ProtocolError` with a stable machine-readable
 * `code`, so callers (gossip validators, the CLI) can map it to a verdict or an exit status
 * without parsing messages. Modules subclass it to name their domain.
 */
export class ProtocolError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Malformed bytes, hex, JSON, CBOR or out-of-range values in an encoded object. */
export class DecodeError extends ProtocolError {}

/** A well-formed object that fails a cryptographic or protocol check. */
export class VerificationError extends ProtocolError {}
