import { expect } from 'chai';
import fc from 'fast-check';
import {
  KES_SECRET_KEY_BYTES,
  KES_SECRET_KEY_WITH_PERIOD_BYTES,
  KES_SIGNATURE_BYTES,
  KesDecodeError,
  KesError,
  kesCloneSecretKey,
  kesKeyGen,
  kesPublicKey,
  kesSecretKeyFromBytes,
  kesSecretKeyToBytes,
  kesSign,
  kesSignatureFromJson,
  kesSignatureFromJsonHex,
  kesSignatureToJson,
  kesSignatureToJsonHex,
  kesUpdate,
  kesVerify,
} from '../../../protocol/cardano/kes.ts';
import type { KesSecretKey } from '../../../protocol/cardano/kes.ts';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex, hexToBytes, utf8 } from '../../../protocol/encoding/bytes.ts';
import { expectCode, loadReferenceFixture } from './fixtures.ts';

interface PrecomputedKeys {
  vectors: { seed: string; secretKey: string; publicKey: string }[];
}
interface HaskellInterop {
  seedAscii: string;
  messageAscii: string;
  key6: string;
  key6update1: string;
  key6update5: string;
  key6Sig: string;
  key6Sig5: string;
}
interface Goldens {
  initializer_kes_signature: { json: string };
}
interface FakeKeys {
  goldens: { signer_verification_key_signature: string[] };
}

/** The 608 key bytes without the period counter, as hex. */
const rawKeyHex = (sk: KesSecretKey): string =>
  bytesToHex(kesSecretKeyToBytes(sk).subarray(0, KES_SECRET_KEY_BYTES));

describe('protocol/cardano/kes (Sum6, kes-summed-ed25519 0.2.1)', () => {
  it('keygen reproduces the reference precomputed keys (precomputed_kes_key.rs)', () => {
    const { vectors } = loadReferenceFixture<PrecomputedKeys>('cardano-precomputed-kes-keys.json');
    expect(vectors).to.have.length(10);
    for (const v of vectors) {
      const seed = hexToBytes(v.seed);
      const { secretKey, publicKey } = kesKeyGen(seed);
      expect(bytesToHex(kesSecretKeyToBytes(secretKey))).to.equal(v.secretKey);
      expect(bytesToHex(publicKey)).to.equal(v.publicKey);
      expect(bytesToHex(kesPublicKey(secretKey))).to.equal(v.publicKey);
      expect(bytesToHex(seed)).to.equal(v.seed, 'the caller seed is left untouched');
    }
  });

  it('matches the Haskell cardano-base keys and signatures, including updates (kes tests/data)', () => {
    const h = loadReferenceFixture<HaskellInterop>('cardano-kes-haskell-interop.json');
    const message = utf8(h.messageAscii);
    const { secretKey, publicKey } = kesKeyGen(utf8(h.seedAscii));
    expect(rawKeyHex(secretKey)).to.equal(h.key6);
    expect(bytesToHex(kesSign(secretKey, message))).to.equal(h.key6Sig);
    expect(kesUpdate(secretKey)).to.equal(1);
    expect(rawKeyHex(secretKey)).to.equal(h.key6update1);
    for (let i = 0; i < 4; i++) kesUpdate(secretKey);
    expect(secretKey.period).to.equal(5);
    expect(rawKeyHex(secretKey)).to.equal(h.key6update5);
    expect(bytesToHex(kesSign(secretKey, message))).to.equal(h.key6Sig5);
    expect(kesVerify(publicKey, 0, message, hexToBytes(h.key6Sig))).to.equal(true);
    expect(kesVerify(publicKey, 5, message, hexToBytes(h.key6Sig5))).to.equal(true);
  });

  it('signs at every period across the whole lifetime; wrong period, message or key fail', () => {
    const { secretKey, publicKey } = kesKeyGen(new Uint8Array(32).fill(42));
    const other = kesKeyGen(new Uint8Array(32).fill(43)).publicKey;
    const message = utf8('vk ‖ pop');
    const checked = new Set([0, 1, 2, 15, 16, 31, 32, 33, 47, 48, 62, 63]);
    for (let period = 0; period <= 63; period++) {
      expect(secretKey.period).to.equal(period);
      expect(bytesToHex(kesPublicKey(secretKey))).to.equal(bytesToHex(publicKey));
      if (checked.has(period)) {
        const sig = kesSign(secretKey, message);
        expect(kesVerify(publicKey, period, message, sig), `period ${period}`).to.equal(true);
        if (period > 0) expect(kesVerify(publicKey, period - 1, message, sig)).to.equal(false);
        if (period < 63) expect(kesVerify(publicKey, period + 1, message, sig)).to.equal(false);
        expect(kesVerify(publicKey, period, utf8('vk ‖ poP'), sig)).to.equal(false);
        expect(kesVerify(other, period, message, sig)).to.equal(false);
        const tampered = Uint8Array.from(sig);
        tampered[64 + 5]! ^= 1;
        expect(kesVerify(publicKey, period, message, tampered)).to.equal(false);
      }
      if (period < 63) kesUpdate(secretKey);
    }
    // Like the crate, periods ≥ 63 all follow the right-most path.
    const last = kesSign(secretKey, message);
    expect(kesVerify(publicKey, 64, message, last)).to.equal(true);
    expect(kesVerify(publicKey, 2 ** 32 - 1, message, last)).to.equal(true);
    // Evolving past period 63 fails and leaves the key as it was.
    const before = bytesToHex(kesSecretKeyToBytes(secretKey));
    expectCode(() => kesUpdate(secretKey), KesError, 'KEY_EXHAUSTED');
    expect(bytesToHex(kesSecretKeyToBytes(secretKey))).to.equal(before);
    expect(secretKey.period).to.equal(63);
  });

  it('round-trips secret key bytes, clones independently and wipes', () => {
    const { secretKey } = kesKeyGen(new Uint8Array(32).fill(7));
    kesUpdate(secretKey);
    kesUpdate(secretKey);
    const bytes = kesSecretKeyToBytes(secretKey);
    expect(bytes).to.have.length(KES_SECRET_KEY_WITH_PERIOD_BYTES);
    expect(bytesToHex(bytes.subarray(KES_SECRET_KEY_BYTES))).to.equal('00000002');
    const decoded = kesSecretKeyFromBytes(bytes);
    expect(decoded.period).to.equal(2);
    expect(bytesToHex(kesSign(decoded, utf8('m')))).to.equal(bytesToHex(kesSign(secretKey, utf8('m'))));
    const clone = kesCloneSecretKey(decoded);
    kesUpdate(clone);
    expect([clone.period, decoded.period]).to.deep.equal([3, 2]);
    clone.wipe();
    expect(kesSecretKeyToBytes(clone).every((b) => b === 0)).to.equal(true);
    expect(JSON.stringify(decoded)).to.equal('{}');
  });

  it('rejects malformed secret keys, signatures and periods with typed errors', () => {
    expectCode(() => kesKeyGen(new Uint8Array(31)), KesDecodeError, 'INVALID_LENGTH');
    expectCode(() => kesSecretKeyFromBytes(new Uint8Array(608)), KesDecodeError, 'INVALID_LENGTH');
    const beyond = new Uint8Array(KES_SECRET_KEY_WITH_PERIOD_BYTES);
    beyond[611] = 64;
    expectCode(() => kesSecretKeyFromBytes(beyond), KesDecodeError, 'INVALID_PERIOD');
    const pk = new Uint8Array(32);
    const sig = new Uint8Array(KES_SIGNATURE_BYTES);
    expectCode(() => kesVerify(pk, 0, utf8('m'), sig.subarray(1)), KesDecodeError, 'INVALID_LENGTH');
    expectCode(() => kesVerify(pk.subarray(1), 0, utf8('m'), sig), KesDecodeError, 'INVALID_LENGTH');
    expectCode(() => kesVerify(pk, -1, utf8('m'), sig), KesError, 'INVALID_PERIOD');
    expectCode(() => kesVerify(pk, 2 ** 32, utf8('m'), sig), KesError, 'INVALID_PERIOD');
    expectCode(() => kesVerify(pk, 1.5, utf8('m'), sig), KesError, 'INVALID_PERIOD');
    expect(kesVerify(pk, 0, utf8('m'), sig)).to.equal(false);
  });
});

describe('protocol/cardano/kes signature JSON and JSON-hex', () => {
  it('reads and writes the serde shape of the reference golden (key_certification.rs)', () => {
    const { json } = loadReferenceFixture<Goldens>('cardano-goldens.json').initializer_kes_signature;
    const sig = kesSignatureFromJson(parseJson(json));
    expect(stringifyJson(kesSignatureToJson(sig))).to.equal(json);
    // Six nested levels, the innermost sigma being the 64 Ed25519 bytes.
    expect(json.startsWith('{"sigma":'.repeat(6) + '[71,225,')).to.equal(true);
    expect(bytesToHex(sig.subarray(0, 2))).to.equal('47e1');
  });

  it('round-trips the fake_keys JSON-hex signatures byte for byte', () => {
    const { signer_verification_key_signature: hexes } =
      loadReferenceFixture<FakeKeys>('cardano-fake-keys.json').goldens;
    for (const hex of hexes) {
      const sig = kesSignatureFromJsonHex(hex);
      expect(sig).to.have.length(KES_SIGNATURE_BYTES);
      expect(kesSignatureToJsonHex(sig)).to.equal(hex);
      // The reference's bytes-hex fallback: the raw 448 bytes.
      expect(bytesToHex(kesSignatureFromJsonHex(bytesToHex(sig)))).to.equal(bytesToHex(sig));
    }
    expect(bytesToHex(kesSignatureFromJsonHex(`  ${hexes[0]!.toUpperCase()}\n`))).to.equal(
      bytesToHex(kesSignatureFromJsonHex(hexes[0]!)),
    );
  });

  it('ignores unknown fields but rejects missing ones and bad byte arrays', () => {
    const sig = kesKeyGen(new Uint8Array(32)).secretKey;
    const json = kesSignatureToJson(kesSign(sig, utf8('x')));
    expect(kesSignatureFromJson({ ...json, extra: 1n })).to.have.length(KES_SIGNATURE_BYTES);
    const { lhs_pk: _dropped, ...missing } = json;
    expect(() => kesSignatureFromJson(missing)).to.throw(DecodeError);
    expect(() => kesSignatureFromJson({ ...json, rhs_pk: [1n] })).to.throw(DecodeError);
    expect(() => kesSignatureFromJson([])).to.throw(DecodeError);
  });

  it('fuzz: malformed JSON-hex input only ever raises DecodeError', () => {
    const valid = kesSignatureToJsonHex(kesSign(kesKeyGen(new Uint8Array(32)).secretKey, utf8('x')));
    const decodeOrDecodeError = (text: string): void => {
      try {
        expect(kesSignatureFromJsonHex(text)).to.have.length(KES_SIGNATURE_BYTES);
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (text) => decodeOrDecodeError(text)),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.constantFrom(...'0123456789abcdefxz '), (i, c) =>
        decodeOrDecodeError(valid.slice(0, i) + c + valid.slice(i + 1)),
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length), (cut) => decodeOrDecodeError(valid.slice(0, cut))),
      { numRuns: 100 },
    );
  });
});
