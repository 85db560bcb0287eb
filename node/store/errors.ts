/**
 * Errors of the persistent store. Codes:
 * - FOREIGN_DATA_DIR: the data dir belongs to another network or is not a mithril-mesh store.
 * - UNSUPPORTED_SCHEMA: written by a newer version of the node.
 * - CORRUPT: LevelDB refuses to open the database (corrupt, or not a LevelDB at all).
 * - LOCKED: another process (or another open in this one) holds the database.
 * - IO_ERROR: the data dir itself cannot be created or read.
 * - CORRUPT_RECORD: a stored value or index entry does not decode; the message names its key.
 * - BEACON_CONFLICT: another certificate is already kept for that beacon.
 * - INVALID_VALUE: a value the store cannot keep faithfully (a negative stake, a fractional
 *   timestamp); inside a stored record it is reported as CORRUPT_RECORD.
 * None of them is ever "repaired" by rewriting or deleting data.
 */
import { ProtocolError } from '../../protocol/errors.ts';

export class StoreError extends ProtocolError {}
