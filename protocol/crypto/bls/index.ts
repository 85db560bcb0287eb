/**
 * BLS for Mithril (signatures in G1, keys in G2, empty-DST hash-to-G1) behind one interface,
 * with two interchangeable backends: `noble` (pure JavaScript, the reference) and `mcl`
 * (WebAssembly, several times faster; the default).
 */
import { BlsError } from './backend.ts';
import type { BlsBackend } from './backend.ts';
import { createMclBackend } from './mcl.ts';
import { nobleBackend } from './noble.ts';

export { BlsError };
export type { BatchVerifyItem, BlsBackend, ProofOfPossessionItem } from './backend.ts';
export { verifyProofsOfPossession } from './proof-batch.ts';
export type { ProofOfPossessionVerdict } from './proof-batch.ts';
export { hashToFieldG1, hashToG1 } from './hash-to-g1.ts';
export type { G1Point } from './hash-to-g1.ts';
export {
  CURVE_ORDER,
  SECRET_KEY_BYTES,
  assertSecretKey,
  generateSecretKey,
  secretKeyFromBytes,
  secretKeyFromIkm,
  secretKeyToBytes,
} from './keys.ts';
export { createMclBackend } from './mcl.ts';
export { G1_BYTES, G2_BYTES, POP_BYTES, POP_MESSAGE, nobleBackend } from './noble.ts';

export type BlsBackendName = 'noble' | 'mcl';

let mclBackend: Promise<BlsBackend> | undefined;

/** The named backend; the mcl one is created once per process and shared. */
export function loadBlsBackend(name: BlsBackendName = 'mcl'): Promise<BlsBackend> {
  if (name === 'noble') return Promise.resolve(nobleBackend);
  if (name !== 'mcl') {
    return Promise.reject(new BlsError('UNKNOWN_BACKEND', `unknown BLS backend ${String(name)}`));
  }
  mclBackend ??= createMclBackend().catch((error: unknown) => {
    mclBackend = undefined;
    throw error;
  });
  return mclBackend;
}
