/**
 * `ProtocolParameters` of mithril-common (`entities/protocol_parameters.rs`): the STM parameters
 * as certificates carry them, their hash (committed to by `next_protocol_parameters`) and the
 * fixed-point equality the reference uses.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { JsonObject, JsonValue } from '../codec/json.ts';
import { expectField, expectF64, expectObject, expectSafeUint } from '../codec/json.ts';
import { concatBytes, bytesToHex, u32BE, u64BE } from '../encoding/bytes.ts';
import { DecodeError } from '../errors.ts';
import type { StmParameters } from '../stm/types.ts';

export class ProtocolParametersError extends DecodeError {}

/** mithril-common field order is k, m, phi_f (the STM struct orders m, k, phi_f). */
export interface ProtocolParameters {
  /** Quorum: distinct winning lottery indexes an aggregate needs. */
  k: number;
  /** Number of lottery indexes per signer. */
  m: number;
  /** φ_f in φ(w) = 1 - (1 - φ_f)^w, a Rust f64. */
  phiF: number;
}

/** U8F24 has 24 fractional bits (`fixed::types::U8F24`). */
const U8F24_FRAC_BITS = 24;
/** U8F24 has 8 integer bits, so values must lie in [0, 2^8). */
const U8F24_LIMIT = 2 ** 8;

/**
 * `U8F24::from_num(phi_f)` as raw bits: round(φ_f · 2^24) to nearest, ties to even (the `fixed`
 * crate's float conversion). Scaling by a power of two is exact in f64, so only the final
 * rounding matters. The reference wraps silently on overflow in release builds; values outside
 * [0, 256) are meaningless for φ_f and are rejected instead.
 */
export function phiFToU8F24(phiF: number): number {
  if (!Number.isFinite(phiF) || phiF < 0 || phiF >= U8F24_LIMIT) {
    throw new ProtocolParametersError('INVALID_PHI_F', `phi_f ${phiF} does not fit U8F24 [0, 256)`);
  }
  const scaled = phiF * 2 ** U8F24_FRAC_BITS;
  const floor = Math.floor(scaled);
  const rest = scaled - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** SHA-256(BE64 k ‖ BE64 m ‖ BE32 U8F24(φ_f)), lowercase hex (`compute_hash`). */
export function computeProtocolParametersHash(params: ProtocolParameters): string {
  const preimage = concatBytes(
    u64BE(params.k, 'k'),
    u64BE(params.m, 'm'),
    u32BE(phiFToU8F24(params.phiF), 'phi_f'),
  );
  return bytesToHex(sha256(preimage));
}

/** Reference `PartialEq`: k and m equal and φ_f equal once converted to U8F24. */
export function protocolParametersEqual(a: ProtocolParameters, b: ProtocolParameters): boolean {
  return a.k === b.k && a.m === b.m && phiFToU8F24(a.phiF) === phiFToU8F24(b.phiF);
}

export function protocolParametersToJson(params: ProtocolParameters): JsonObject {
  return { k: BigInt(params.k), m: BigInt(params.m), phi_f: params.phiF };
}

export function protocolParametersFromJson(
  value: JsonValue | undefined,
  what = 'protocol parameters',
): ProtocolParameters {
  const obj = expectObject(value, what);
  return {
    k: expectSafeUint(expectField(obj, 'k', what), `${what}.k`),
    m: expectSafeUint(expectField(obj, 'm', what), `${what}.m`),
    phiF: expectF64(expectField(obj, 'phi_f', what), `${what}.phi_f`),
  };
}

/** The STM `Parameters` these protocol parameters stand for. */
export function toStmParameters(params: ProtocolParameters): StmParameters {
  return { m: params.m, k: params.k, phiF: params.phiF };
}

export function fromStmParameters(params: StmParameters): ProtocolParameters {
  return { k: params.k, m: params.m, phiF: params.phiF };
}
