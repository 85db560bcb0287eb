/** Seeded randomness of simulations: every random choice of a run comes from the scenario seed. */
import { sha256 } from '@noble/hashes/sha2.js';

/** mulberry32 constants (Tommy Ettinger's 32-bit generator) and 2^32, to scale its output into [0, 1). */
const MULBERRY_INCREMENT = 0x6d2b79f5;
const MULBERRY_SHIFT_A = 15;
const MULBERRY_SHIFT_B = 7;
const MULBERRY_SHIFT_C = 14;
const MULBERRY_MULT_A = 61;
const UINT32_RANGE = 4294967296;

/** A deterministic generator of numbers in [0, 1) (mulberry32): every random choice of a run comes from the seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + MULBERRY_INCREMENT) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> MULBERRY_SHIFT_A), t | 1);
    t ^= t + Math.imul(t ^ (t >>> MULBERRY_SHIFT_B), t | MULBERRY_MULT_A);
    return ((t ^ (t >>> MULBERRY_SHIFT_C)) >>> 0) / UINT32_RANGE;
  };
}

/** 32 bytes derived from the scenario seed and a purpose, for keys and random streams. */
export function derivedSeed(seed: number, purpose: string): Uint8Array {
  return sha256(new TextEncoder().encode(`mithril-mesh simnet ${seed} ${purpose}`));
}

/** A generator of numbers in [0, 1) for one purpose of a scenario. */
export function derivedRandom(seed: number, purpose: string): () => number {
  return seededRandom(new DataView(derivedSeed(seed, purpose).buffer).getUint32(0));
}
