/**
 * Errors of the aggregation layer (never caused by a gossip peer: those are verdicts). Codes:
 * - INVALID_OPTIONS: a service was configured with values it cannot run with.
 * - UNKNOWN_SIGNER: a multi-signature holds a signer index the signer set does not have.
 * - NO_CLOSED_REGISTRATION: no closed registration is stored for the genesis epoch.
 * - GENESIS_CONFLICT: another genesis certificate is already stored.
 * - INVALID_GENESIS_KEY: the genesis signing key file does not hold a 32-byte Ed25519 key.
 */
import { ProtocolError } from '../../protocol/errors.ts';

export class AggregationError extends ProtocolError {}
