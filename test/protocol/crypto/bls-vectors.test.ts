import { expect } from 'chai';
import {
  BlsError,
  CURVE_ORDER,
  generateSecretKey,
  loadBlsBackend,
  secretKeyFromBytes,
  secretKeyFromIkm,
  secretKeyToBytes,
} from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackendName } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { bigIntToBytesBE, bytesToHex, concatBytes, hexToBytes } from '../../../protocol/encoding/bytes.ts';

// Spec §11 V1: BLS keys from ChaCha20Rng::from_seed([0; 32]) (mithril-stm bls_multi_signature goldens).
const V1 = {
  ikm1: '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7',
  ikm2: 'da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
  sk1: '408157791befddd702672dcfcfc99da3512f9c0ea818890fcb6ab749580ef2cf',
  sk2: '59ba5cc216c306e6297b87559bbcedcc28605455876ffce2fd4b78742811d357',
  vk1:
    '8fa1ff304e39ccdc19dda4fcf80e387eba87e4bc91b534c86163d52e00c7c159bb581d87adf45624533643a406895e48' +
    '066980805d30b00b04f68a30b4855a8ec018c16f8e1f4c6f6eea995ad0c01f7c5f66319e6334dca55efb44457910e0c2',
  vk2:
    '9138af207abbd6e2fb94580901679f9250a66bf3fbec291c6f80cfa48493e453f6e4aa44594e3c1c7b8258ea26612a41' +
    '016435124e83083d7a83ee54e9df9a7676491c1b654e50e97bcedcae86cd476e70b4616200714591e7a82badac3868d0',
  pop1:
    'a832e9c10f8841487b9481b026c6d12f1cccb09039fb2a1c424c59619e3f36c6c2b087dd0eb9c5e1ca62f34ae9e18f97' +
    '93b1aa7542a5423e21d8e84b4472c31664412cc604a666e9fdf03baf3c758e728c7a11576ebb01110ac39a0df95636e2',
  sigZeros:
    '845f7cc5b969c1ab72b634abcd77cabc02d53d7ddbf20a8335db35c59d2a98c2eaa1f4cc02862fb3b031c8e878f1b4f6',
};

// Spec §11 V2/V3: the concatenation signatures σ1, σ2 are BLS signatures on msg' = 0^16 ‖ AVK root.
const V3 = {
  root: '38255f6b9d62fcc2beccaa1ae00ad407d65974c4d97a6f3871fd602daa79eb9f',
  sigma1: '959dc9bb8c360080d15810cb3d4e4d62a1853a981d4ad97140640aa1baa78572d399da38df5469f22936e0aad0b97e53',
  sigma2: '95a916c9d861a3bc73d2d9ece9a1c90d2a840c3f051f78164eb17d86d0cd493af78d3b3ebb51d51e99da292a6e9ca1cd',
};

function expectBlsError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(BlsError);
    expect((error as BlsError).code).to.equal(code);
    return;
  }
  expect.fail(`expected BlsError ${code}`);
}

describe('protocol/crypto/bls: reference vectors (spec §11 V1)', () => {
  it('derives ikm1, ikm2 from the seeded ChaCha20 stream and sk1, sk2 by KeyGen', () => {
    const random = chaCha20Random(new Uint8Array(32));
    const ikm1 = random(32);
    const ikm2 = random(32);
    expect(bytesToHex(ikm1)).to.equal(V1.ikm1);
    expect(bytesToHex(ikm2)).to.equal(V1.ikm2);
    expect(bytesToHex(secretKeyToBytes(secretKeyFromIkm(ikm1)))).to.equal(V1.sk1);
    expect(bytesToHex(secretKeyToBytes(secretKeyFromIkm(ikm2)))).to.equal(V1.sk2);

    const again = chaCha20Random(new Uint8Array(32));
    expect(bytesToHex(secretKeyToBytes(generateSecretKey(again)))).to.equal(V1.sk1);
    expect(bytesToHex(secretKeyToBytes(generateSecretKey(again)))).to.equal(V1.sk2);
  });

  it('round-trips secret keys and rejects bytes outside [1, r)', () => {
    const sk1 = secretKeyFromBytes(hexToBytes(V1.sk1));
    expect(bytesToHex(secretKeyToBytes(sk1))).to.equal(V1.sk1);
    expectBlsError(() => secretKeyFromBytes(new Uint8Array(32)), 'INVALID_SECRET_KEY');
    expectBlsError(() => secretKeyFromBytes(bigIntToBytesBE(CURVE_ORDER, 32)), 'INVALID_SECRET_KEY');
    expectBlsError(() => secretKeyFromBytes(new Uint8Array(32).fill(0xff)), 'INVALID_SECRET_KEY');
    expect(secretKeyFromBytes(bigIntToBytesBE(CURVE_ORDER - 1n, 32))).to.equal(CURVE_ORDER - 1n);
    expectBlsError(() => secretKeyFromBytes(new Uint8Array(31)), 'INVALID_LENGTH');
    expectBlsError(() => secretKeyFromBytes(new Uint8Array(33)), 'INVALID_LENGTH');
    expectBlsError(() => secretKeyToBytes(0n), 'INVALID_SECRET_KEY');
    expectBlsError(() => secretKeyToBytes(CURVE_ORDER), 'INVALID_SECRET_KEY');
    // blst key_gen refuses IKM shorter than 32 bytes.
    expectBlsError(() => secretKeyFromIkm(new Uint8Array(31)), 'INVALID_LENGTH');
  });

  for (const name of ['noble', 'mcl'] as BlsBackendName[]) {
    describe(`${name} backend`, () => {
      const sk1 = BigInt('0x' + V1.sk1);
      const sk2 = BigInt('0x' + V1.sk2);
      const zeros32 = new Uint8Array(32);
      const msgPrime = concatBytes(new Uint8Array(16), hexToBytes(V3.root));

      it('vk1, vk2 = sk·G2', async () => {
        const bls = await loadBlsBackend(name);
        expect(bytesToHex(bls.verificationKey(sk1))).to.equal(V1.vk1);
        expect(bytesToHex(bls.verificationKey(sk2))).to.equal(V1.vk2);
      });

      it('PoP(sk1) = sk1·H("PoP") ‖ sk1·G1, and it verifies against vk1 only', async () => {
        const bls = await loadBlsBackend(name);
        expect(bytesToHex(bls.proofOfPossession(sk1))).to.equal(V1.pop1);
        expect(bls.verifyProofOfPossession(hexToBytes(V1.vk1), hexToBytes(V1.pop1))).to.equal(true);
        expect(bls.verifyProofOfPossession(hexToBytes(V1.vk2), hexToBytes(V1.pop1))).to.equal(false);
      });

      it('sign(sk1, 0^32) with the empty DST, and it verifies', async () => {
        const bls = await loadBlsBackend(name);
        expect(bytesToHex(bls.sign(sk1, zeros32))).to.equal(V1.sigZeros);
        expect(bls.verify(zeros32, hexToBytes(V1.vk1), hexToBytes(V1.sigZeros))).to.equal(true);
        expect(bls.verify(new Uint8Array(31), hexToBytes(V1.vk1), hexToBytes(V1.sigZeros))).to.equal(false);
        expect(bls.verify(zeros32, hexToBytes(V1.vk2), hexToBytes(V1.sigZeros))).to.equal(false);
      });

      it('σ1, σ2 of V3 are sign(sk, 0^16 ‖ root) and aggregate', async () => {
        const bls = await loadBlsBackend(name);
        expect(bytesToHex(bls.sign(sk1, msgPrime))).to.equal(V3.sigma1);
        expect(bytesToHex(bls.sign(sk2, msgPrime))).to.equal(V3.sigma2);
        const vks = [hexToBytes(V1.vk1), hexToBytes(V1.vk2)];
        const sigs = [hexToBytes(V3.sigma1), hexToBytes(V3.sigma2)];
        expect(bls.verifyAggregateSameMessage(msgPrime, vks, sigs, [3n, 5n])).to.equal(true);
        expect(bls.verifyAggregateSameMessage(msgPrime, vks, sigs.reverse(), [3n, 5n])).to.equal(false);
      });
    });
  }
});
