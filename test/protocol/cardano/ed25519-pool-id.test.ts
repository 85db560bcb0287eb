import { expect } from 'chai';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import {
  Ed25519Error,
  assertEd25519PublicKey,
  ed25519KeyPairFromSeed,
  ed25519Sign,
  ed25519Verify,
  ed25519VerifyOnNoble,
} from '../../../protocol/cardano/ed25519.ts';
import {
  PoolIdError,
  parsePoolId,
  poolIdFromColdVerificationKey,
  poolIdFromHash,
  poolIdHashFromColdVerificationKey,
} from '../../../protocol/cardano/pool-id.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import {
  bigIntToBytesBE,
  bytesToBigIntLE,
  bytesToHex,
  concatBytes,
  hexToBytes,
  utf8,
} from '../../../protocol/encoding/bytes.ts';
import { expectCode } from './fixtures.ts';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const le32 = (n: bigint): Uint8Array => bigIntToBytesBE(n, 32).reverse();
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint =>
  bytesToBigIntLE(sha512(concatBytes(r, a, m))) % L;

describe('protocol/cardano/ed25519 (dalek verify_strict semantics)', () => {
  it('reproduces RFC 8032 §7.1 test vectors 1 and 2', () => {
    const v1 = ed25519KeyPairFromSeed(
      hexToBytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
    );
    expect(bytesToHex(v1.publicKey)).to.equal(
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    );
    const sig1 = ed25519Sign(v1.secretKey, new Uint8Array(0));
    expect(bytesToHex(sig1)).to.equal(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(ed25519Verify(v1.publicKey, new Uint8Array(0), sig1)).to.equal(true);
    const v2 = ed25519KeyPairFromSeed(
      hexToBytes('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb'),
    );
    const sig2 = ed25519Sign(v2.secretKey, Uint8Array.of(0x72));
    expect(bytesToHex(sig2)).to.equal(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
    expect(ed25519Verify(v2.publicKey, Uint8Array.of(0x72), sig2)).to.equal(true);
  });

  it('rejects tampered messages and signatures, and a non-canonical s', () => {
    const { secretKey, publicKey } = ed25519KeyPairFromSeed(new Uint8Array(32).fill(3));
    const msg = utf8('mithril');
    const sig = ed25519Sign(secretKey, msg);
    expect(ed25519Verify(publicKey, utf8('mithriL'), sig)).to.equal(false);
    const flipped = Uint8Array.from(sig);
    flipped[5]! ^= 1;
    expect(ed25519Verify(publicKey, msg, flipped)).to.equal(false);
    // s + ℓ satisfies the equation mod ℓ but is not canonical.
    const s = bytesToBigIntLE(sig.subarray(32));
    const malleated = concatBytes(sig.subarray(0, 32), le32(s + L));
    expect(ed25519Verify(publicKey, msg, malleated)).to.equal(false);
  });

  it('rejects small-order keys and small-order R even when the equation holds', () => {
    const msg = utf8('weak');
    // A = identity: [s]B − [k]A = [r]B = R for any k.
    const identity = Point.ZERO.toBytes();
    const r = 777n;
    const rBytes = Point.BASE.multiply(r).toBytes();
    expect(ed25519Verify(identity, msg, concatBytes(rBytes, le32(r)))).to.equal(false);
    // R = identity with s = k·a: [s]B − [k]A = identity.
    const seed = new Uint8Array(32).fill(9);
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
    const k = challenge(identity, pointBytes, msg);
    expect(ed25519Verify(pointBytes, msg, concatBytes(identity, le32((k * scalar) % L)))).to.equal(false);
  });

  it('checks the cofactorless equation (noble zip215:false alone would accept a torsioned R)', () => {
    const seed = new Uint8Array(32).fill(5);
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
    const msg = utf8('torsion');
    const r = 123456789n;
    const torsion = Point.fromHex(ED25519_TORSION_SUBGROUP[1]!);
    const rBytes = Point.BASE.multiply(r).add(torsion).toBytes();
    const s = (r + challenge(rBytes, pointBytes, msg) * scalar) % L;
    const sig = concatBytes(rBytes, le32(s));
    expect(ed25519.verify(sig, msg, pointBytes, { zip215: false })).to.equal(true);
    expect(ed25519Verify(pointBytes, msg, sig)).to.equal(false);
  });

  it('gives the same verdict on OpenSSL as on noble arithmetic, whatever the encodings', () => {
    const seed = new Uint8Array(32).fill(3);
    const { scalar, pointBytes } = ed25519.utils.getExtendedPublicKey(seed);
    const msg = utf8('both ways');
    const cases: [Uint8Array, Uint8Array][] = [];
    const sig = ed25519Sign(seed, msg);
    cases.push([pointBytes, sig]);
    for (const i of [0, 7, 31, 40, 63]) {
      const bad = Uint8Array.from(sig);
      bad[i]! ^= 0x40;
      cases.push([pointBytes, bad]);
    }
    // Mixed-order key A + T (T of order 2): the cofactorless equation holds when k is even.
    const t2 = Point.fromHex(ED25519_TORSION_SUBGROUP[4]!);
    const mixed = Point.BASE.multiply(scalar).add(t2).toBytes();
    for (let r = 1n; r < 40n; r++) {
      const rBytes = Point.BASE.multiply(r).toBytes();
      cases.push([mixed, concatBytes(rBytes, le32((r + challenge(rBytes, mixed, msg) * scalar) % L))]);
    }
    // Non-canonical encodings (y + p, only for y < 19): keys dalek reduces, Rs it cannot match.
    const nonCanonical = (y: number, sign: boolean): Uint8Array => {
      const bytes = le32(2n ** 255n - 19n + BigInt(y));
      if (sign) bytes[31]! |= 0x80;
      return bytes;
    };
    for (let y = 0; y < 19; y++) {
      for (const sign of [false, true]) {
        cases.push([nonCanonical(y, sign), sig]);
        cases.push([pointBytes, concatBytes(nonCanonical(y, sign), sig.subarray(32))]);
      }
    }
    for (const hex of ED25519_TORSION_SUBGROUP) cases.push([Point.fromHex(hex).toBytes(), sig]);
    let accepted = 0;
    for (const [key, signature] of cases) {
      const verdict = ed25519Verify(key, msg, signature);
      expect(verdict, `${bytesToHex(key)} ${bytesToHex(signature)}`).to.equal(
        ed25519VerifyOnNoble(key, msg, signature),
      );
      if (verdict) accepted++;
    }
    // The genuine signature and the mixed-order ones with an even challenge (about half).
    expect(accepted).to.be.within(10, 35);
  });

  it('gives typed errors for bad lengths and undecodable keys', () => {
    expectCode(() => ed25519KeyPairFromSeed(new Uint8Array(31)), Ed25519Error, 'INVALID_LENGTH');
    expectCode(() => ed25519Sign(new Uint8Array(33), utf8('x')), Ed25519Error, 'INVALID_LENGTH');
    expectCode(
      () => ed25519Verify(new Uint8Array(32), utf8('x'), new Uint8Array(63)),
      Ed25519Error,
      'INVALID_LENGTH',
    );
    expectCode(
      () => ed25519Verify(new Uint8Array(31), utf8('x'), new Uint8Array(64)),
      Ed25519Error,
      'INVALID_LENGTH',
    );
    // y = 2 is not the y-coordinate of a curve point.
    const notAPoint = new Uint8Array(32);
    notAPoint[0] = 2;
    expectCode(() => assertEd25519PublicKey(notAPoint), Ed25519Error, 'INVALID_POINT');
    expect(ed25519Verify(notAPoint, utf8('x'), new Uint8Array(64))).to.equal(false);
  });
});

describe('protocol/cardano/pool-id', () => {
  // V7: the cold key of `ColdKeyGenerator::create_deterministic_keypair([0; 32])`.
  const coldSeed = chaCha20Random(new Uint8Array(32))(32);
  const coldVk = ed25519KeyPairFromSeed(coldSeed).publicKey;

  it('derives bech32("pool", BLAKE2b-224(cold_vk)) as the reference (V7)', () => {
    expect(bytesToHex(coldSeed)).to.equal('76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7');
    expect(bytesToHex(poolIdHashFromColdVerificationKey(coldVk))).to.equal(
      'd9899c574fd7a710732391706b59e878bfd416214c49d2b3841c5c8b',
    );
    expect(poolIdFromColdVerificationKey(coldVk)).to.equal(
      'pool1mxyec46067n3querj9cxkk0g0zlag93pf3ya9vuyr3wgkq2e6t7',
    );
  });

  it('matches the reference bech32 golden (codec/bech32.rs)', () => {
    const hash = hexToBytes('edfa208d441511f9595ba80e8f3a7b07b6a80cbc9dda9d8e9d1dc039');
    expect(poolIdFromHash(hash)).to.equal('pool1ahazpr2yz5gljk2m4q8g7wnmq7m2sr9unhdfmr5arhqrjnntwdz');
    expect(bytesToHex(parsePoolId('pool1ahazpr2yz5gljk2m4q8g7wnmq7m2sr9unhdfmr5arhqrjnntwdz'))).to.equal(
      bytesToHex(hash),
    );
  });

  it('parses strictly', () => {
    const id = 'pool1mxyec46067n3querj9cxkk0g0zlag93pf3ya9vuyr3wgkq2e6t7';
    expectCode(() => parsePoolId(id.toUpperCase()), PoolIdError, 'INVALID_POOL_ID');
    expectCode(() => parsePoolId(id.slice(0, -1) + 'q'), PoolIdError, 'INVALID_POOL_ID');
    expectCode(
      () => parsePoolId(poolIdFromHash(new Uint8Array(28)).replace('pool', 'pule')),
      PoolIdError,
      'INVALID_POOL_ID',
    );
    expectCode(() => parsePoolId('stake1' + id.slice(5)), PoolIdError, 'INVALID_POOL_ID');
    expectCode(() => poolIdFromHash(new Uint8Array(32)), PoolIdError, 'INVALID_LENGTH');
    expectCode(() => poolIdHashFromColdVerificationKey(new Uint8Array(28)), Ed25519Error, 'INVALID_LENGTH');
  });
});
