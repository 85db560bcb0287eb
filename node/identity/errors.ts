import { ProtocolError } from '../../protocol/errors.ts';

/**
 * An SPO identity that cannot be loaded or used. Codes: KEY_FILE_MISSING, KEY_FILE_UNREADABLE,
 * KEY_FILE_INSECURE (a secret key file open to group or others), KEY_FILE_INVALID (not the
 * expected text envelope), OPCERT_COLD_KEY_MISMATCH, OPCERT_KES_KEY_MISMATCH, OPCERT_INVALID,
 * INVALID_SEED, IDENTITY_WIPED. `file` names the offending file when there is one.
 */
export class IdentityError extends ProtocolError {
  readonly file: string | undefined;

  constructor(code: string, message: string, options?: { file?: string; cause?: unknown }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.file = options?.file;
  }
}
