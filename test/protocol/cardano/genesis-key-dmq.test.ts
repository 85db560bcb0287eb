import { expect } from 'chai';
import fc from 'fast-check';
import { dmqBytesToSign, dmqMessageId } from '../../../protocol/cardano/dmq.ts';
import {
  ed25519KeyPairFromSeed,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
} from '../../../protocol/cardano/ed25519.ts';
import {
  GenesisKeyError,
  genesisVerificationKeyFromBundleHex,
  genesisVerificationKeyFromBytesHex,
  genesisVerificationKeyFromHex,
  genesisVerificationKeyFromLegacyHex,
  genesisVerificationKeyToLegacyHex,
} from '../../../protocol/cardano/genesis-key.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex, hexToBytes, utf8 } from '../../../protocol/encoding/bytes.ts';
import { expectCode, loadReferenceFixture } from './fixtures.ts';

interface Goldens {
  ed25519_legacy_keys: { verification_key_json_hex: string; secret_key_json_hex: string };
  genesis_bundles: { verification_bundle_hex: string; signing_bundle_hex: string };
}
interface FakeKeys {
  goldens: { genesis_verification_key: string[] };
}

const V6_SECRET = '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7';
const V6_PUBLIC = '20fdbac9b10b7587bba7b5bc163bce69e796d71e4ed44c10fcb4488689f7a144';

describe('protocol/cardano/genesis-key (V6)', () => {
  const goldens = loadReferenceFixture<Goldens>('cardano-goldens.json');
  const fake = loadReferenceFixture<FakeKeys>('cardano-fake-keys.json').goldens.genesis_verification_key;

  it('the deterministic genesis signer: ChaCha20 seed 0 → Ed25519 key 20fdbac9…f7a144', () => {
    const secret = chaCha20Random(new Uint8Array(32))(32);
    expect(bytesToHex(secret)).to.equal(V6_SECRET);
    const { secretKey, publicKey } = ed25519KeyPairFromSeed(secret);
    expect(bytesToHex(publicKey)).to.equal(V6_PUBLIC);
    const sig = ed25519Sign(secretKey, utf8('genesis signed message'));
    expect(ed25519Verify(publicKey, utf8('genesis signed message'), sig)).to.equal(true);
  });

  it('reads the legacy JSON-hex form and writes it back byte for byte (fake_keys)', () => {
    expect(fake[0]!.startsWith('5b')).to.equal(true);
    expect(bytesToHex(genesisVerificationKeyFromHex(fake[0]!))).to.equal(V6_PUBLIC);
    for (const hex of fake) {
      expect(genesisVerificationKeyToLegacyHex(genesisVerificationKeyFromHex(hex))).to.equal(hex);
    }
    const legacy = goldens.ed25519_legacy_keys;
    const secret = Uint8Array.from(
      JSON.parse(Buffer.from(legacy.secret_key_json_hex, 'hex').toString()) as number[],
    );
    expect(bytesToHex(genesisVerificationKeyFromLegacyHex(legacy.verification_key_json_hex))).to.equal(
      bytesToHex(ed25519PublicKey(secret)),
    );
  });

  it('reads the version-1 bundle, keeping only its Ed25519 key (bundles.rs goldens)', () => {
    const { verification_bundle_hex: bundle, signing_bundle_hex: signing } = goldens.genesis_bundles;
    expect(bundle.startsWith('012020fdbac9')).to.equal(true);
    expect(bytesToHex(genesisVerificationKeyFromHex(bundle))).to.equal(V6_PUBLIC);
    expect(bytesToHex(genesisVerificationKeyFromBundleHex(bundle))).to.equal(V6_PUBLIC);
    // The signing bundle of the same golden holds the V6 secret (0x01 ‖ 0x20 ‖ ed25519 sk ‖ …).
    expect(signing.slice(4, 68)).to.equal(V6_SECRET);
  });

  it('accepts surrounding whitespace and the raw bytes-hex form', () => {
    expect(bytesToHex(genesisVerificationKeyFromHex(`\n ${fake[0]!}\n`))).to.equal(V6_PUBLIC);
    expect(bytesToHex(genesisVerificationKeyFromBytesHex(V6_PUBLIC))).to.equal(V6_PUBLIC);
    // A raw key whose hex starts with '5' takes the legacy branch and ProtocolKey's bytes-hex fallback.
    const raw5 = bytesToHex(ed25519KeyPairFromSeed(new Uint8Array(32).fill(16)).publicKey);
    expect(raw5.startsWith('5c9c6df2')).to.equal(true);
    expect(bytesToHex(genesisVerificationKeyFromHex(raw5))).to.equal(raw5);
  });

  it('rejects malformed keys with typed errors', () => {
    const bundle = goldens.genesis_bundles.verification_bundle_hex;
    expectCode(() => genesisVerificationKeyFromHex('  '), GenesisKeyError, 'EMPTY_INPUT');
    expectCode(() => genesisVerificationKeyFromHex(V6_PUBLIC), GenesisKeyError, 'UNRECOGNISED_FORMAT');
    expectCode(
      () => genesisVerificationKeyFromHex('02' + bundle.slice(2)),
      GenesisKeyError,
      'UNSUPPORTED_VERSION',
    );
    expectCode(
      () => genesisVerificationKeyFromHex('0121' + bundle.slice(4)),
      GenesisKeyError,
      'LENGTH_PREFIX_MISMATCH',
    );
    expectCode(() => genesisVerificationKeyFromHex(bundle + 'aa'), GenesisKeyError, 'TRAILING_BYTES');
    expectCode(() => genesisVerificationKeyFromHex(bundle.slice(0, -2)), GenesisKeyError, 'TRUNCATED');
    expectCode(() => genesisVerificationKeyFromHex('01'), GenesisKeyError, 'TRUNCATED');
    expectCode(() => genesisVerificationKeyFromBytesHex('00'.repeat(31)), DecodeError, 'INVALID_LENGTH');
    // y = 2 is not a curve point.
    expectCode(
      () => genesisVerificationKeyFromBytesHex('02' + '00'.repeat(31)),
      DecodeError,
      'INVALID_POINT',
    );
    expect(() => genesisVerificationKeyFromHex('5b312c325d')).to.throw(DecodeError);
  });

  it('fuzz: arbitrary and mutated inputs only ever raise DecodeError', () => {
    const inputs = [fake[0]!, goldens.genesis_bundles.verification_bundle_hex];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .tuple(fc.constantFrom(...inputs), fc.nat(), fc.constantFrom(...'05abfz '))
            .map(([s, i, c]) => s.slice(0, i % s.length) + c + s.slice((i % s.length) + 1)),
        ),
        (text) => {
          try {
            expect(genesisVerificationKeyFromHex(text)).to.have.length(32);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('protocol/cardano/dmq (V9)', () => {
  const payload = { body: hexToBytes('0102030405060708090a'), kesPeriod: 123n, expiresAt: 123456 };

  it('bytes_to_sign is CBOR [bstr body, uint kes_period, uint expires_at]; msg_id its BLAKE2b-256', () => {
    expect(bytesToHex(dmqBytesToSign(payload))).to.equal('834a0102030405060708090a187b1a0001e240');
    expect(bytesToHex(dmqMessageId(payload))).to.equal(
      'cae6855d1dcca1fc57b79c65c1fbacf5ab62b3d5e8d8ef095e9bc2e2f61132b9',
    );
  });

  it('encodes the full u64 / u32 ranges and rejects values outside them', () => {
    const max = dmqBytesToSign({
      body: new Uint8Array(0),
      kesPeriod: (1n << 64n) - 1n,
      expiresAt: 2 ** 32 - 1,
    });
    expect(bytesToHex(max)).to.equal('83401bffffffffffffffff1affffffff');
    expectCode(() => dmqBytesToSign({ ...payload, kesPeriod: 1n << 64n }), DecodeError, 'OUT_OF_RANGE');
    expectCode(() => dmqBytesToSign({ ...payload, expiresAt: 2 ** 32 }), DecodeError, 'OUT_OF_RANGE');
    expectCode(() => dmqBytesToSign({ ...payload, expiresAt: 1.5 }), DecodeError, 'OUT_OF_RANGE');
  });
});
