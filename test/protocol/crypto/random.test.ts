import { expect } from 'chai';
import fc from 'fast-check';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { RandomSourceError, chaCha20Random, systemRandom } from '../../../protocol/crypto/random.ts';
import { bytesToHex, concatBytes } from '../../../protocol/encoding/bytes.ts';
import { ProtocolError } from '../../../protocol/errors.ts';

// RFC 8439 appendix A.1, test vectors #1 and #2: zero key, zero nonce, block counters 0 and 1.
const BLOCK0 =
  '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7' +
  'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586';
const BLOCK1 =
  '9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed' +
  '29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f';

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(RandomSourceError);
    expect(error).to.be.instanceOf(ProtocolError);
    expect((error as RandomSourceError).code).to.equal(code);
    return;
  }
  expect.fail(`expected a RandomSourceError ${code}`);
}

describe('protocol/crypto/random', () => {
  it('chaCha20Random(zeros) is the IETF ChaCha20 keystream, continued across calls', () => {
    const random = chaCha20Random(new Uint8Array(32));
    // The reference draws two 32-byte IKMs from this stream for its BLS key vectors (spec V1).
    expect(bytesToHex(random(32))).to.equal(BLOCK0.slice(0, 64));
    expect(bytesToHex(random(32))).to.equal(BLOCK0.slice(64));
    expect(bytesToHex(random(64))).to.equal(BLOCK1);
  });

  it('gives the same stream however the draws are split (multiples of 4)', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const total = 1200;
    const expected = chacha20(seed, new Uint8Array(12), new Uint8Array(total));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 90 }), { maxLength: 40 }), (words) => {
        const random = chaCha20Random(seed);
        const parts: Uint8Array[] = [];
        let drawn = 0;
        for (const w of words) {
          const length = Math.min(w * 4, total - drawn);
          parts.push(random(length));
          drawn += length;
        }
        parts.push(random(total - drawn));
        expect(concatBytes(...parts)).to.deep.equal(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('refuses lengths that are not a multiple of 4 and seeds that are not 32 bytes', () => {
    const random = chaCha20Random(new Uint8Array(32));
    for (const length of [1, 2, 3, 5, 33, -4, 4.5]) expectCode(() => random(length), 'UNSUPPORTED_LENGTH');
    expect(random(0)).to.have.length(0);
    expectCode(() => chaCha20Random(new Uint8Array(31)), 'INVALID_SEED');
    expectCode(() => chaCha20Random(new Uint8Array(64)), 'INVALID_SEED');
  });

  it('does not alias the seed', () => {
    const seed = new Uint8Array(32);
    const random = chaCha20Random(seed);
    seed.fill(1);
    expect(bytesToHex(random(64))).to.equal(BLOCK0);
  });

  it('systemRandom returns fresh bytes of the requested length', () => {
    const a = systemRandom(32);
    const b = systemRandom(32);
    expect(a).to.be.instanceOf(Uint8Array).with.length(32);
    expect(bytesToHex(a)).to.not.equal(bytesToHex(b));
    expect(systemRandom(7)).to.have.length(7);
  });
});
