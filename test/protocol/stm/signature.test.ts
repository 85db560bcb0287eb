import { expect } from 'chai';
import type { BlsBackend } from '../../../protocol/crypto/bls/backend.ts';
import { loadBlsBackend, nobleBackend } from '../../../protocol/crypto/bls/index.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { RegistrationError, StmVerificationError } from '../../../protocol/stm/errors.ts';
import { ClosedKeyRegistration } from '../../../protocol/stm/registration.ts';
import { StmSigner } from '../../../protocol/stm/signer.ts';
import { verifySingleSignature, verifySingleSignatures } from '../../../protocol/stm/single-signature.ts';
import type { SignatureWithRegisteredParty, SingleSignature } from '../../../protocol/stm/types.ts';
import {
  SK1,
  SK2,
  V3_INDEXES1,
  V3_INDEXES2,
  V3_MSG,
  V3_PARAMS,
  V3_SIGMA1,
  V3_SIGMA2,
  VK1,
  VK2,
} from './vectors.ts';

function verificationCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(StmVerificationError);
    return (e as StmVerificationError).code;
  }
  throw new Error('expected a StmVerificationError');
}

const v3Registration = (): ClosedKeyRegistration =>
  ClosedKeyRegistration.fromEntries([
    { vk: VK1, stake: 1n },
    { vk: VK2, stake: 1n },
  ]);

describe('stm/signer and single signatures', () => {
  let backend: BlsBackend;
  before(async () => {
    backend = await loadBlsBackend('mcl');
  });

  for (const name of ['noble', 'mcl']) {
    it(`V3 (${name}): sk1 signs σ1 winning [1,4,5,8] as signer 0, sk2 signs σ2 winning [0,3,4,5,6]`, () => {
      const b = name === 'noble' ? nobleBackend : backend;
      const reg = v3Registration();
      const s1 = new StmSigner(b, SK1, reg, V3_PARAMS).sign(V3_MSG);
      const s2 = new StmSigner(b, SK2, reg, V3_PARAMS).sign(V3_MSG);
      expect(s1).to.deep.equal({ sigma: V3_SIGMA1, indexes: V3_INDEXES1, signerIndex: 0 });
      expect(s2).to.deep.equal({ sigma: V3_SIGMA2, indexes: V3_INDEXES2, signerIndex: 1 });
      verifySingleSignature(b, { sig: s1!, entry: reg.entries[0]! }, reg.avk, V3_PARAMS, V3_MSG);
      verifySingleSignature(b, { sig: s2!, entry: reg.entries[1]! }, reg.avk, V3_PARAMS, V3_MSG);
    });
  }

  it('refuses a signer whose key is not registered, returns null when no index wins', () => {
    const reg = ClosedKeyRegistration.fromEntries([
      { vk: VK1, stake: 1n },
      { vk: VK2, stake: 1_000_000_000n },
    ]);
    expect(() => new StmSigner(backend, 12345n, reg, V3_PARAMS))
      .to.throw(RegistrationError)
      .with.property('code', 'NOT_REGISTERED');
    // φ(1e-9) at φ_f = 0.8 is about 1.6e-9: one index essentially never wins.
    expect(new StmSigner(backend, SK1, reg, { m: 1, k: 1, phiF: 0.8 }).sign(V3_MSG)).to.equal(null);
  });

  it('rejects out-of-bound, losing and forged indexes, and σ from another key', () => {
    const reg = v3Registration();
    const entry = reg.entries[0]!;
    const check = (sig: SingleSignature, params = V3_PARAMS): string =>
      verificationCode(() => verifySingleSignature(backend, { sig, entry }, reg.avk, params, V3_MSG));
    const sig: SingleSignature = { sigma: V3_SIGMA1, indexes: V3_INDEXES1, signerIndex: 0 };
    // σ1 wins index 10 = m and 11 as well: the bound is `index > m`, so 10 passes and 11 does not.
    verifySingleSignature(backend, { sig: { ...sig, indexes: [1, 10] }, entry }, reg.avk, V3_PARAMS, V3_MSG);
    expect(check({ ...sig, indexes: [1, 11] })).to.equal('INDEX_BOUND');
    expect(check(sig, { ...V3_PARAMS, m: 7 })).to.equal('INDEX_BOUND');
    verifySingleSignature(backend, { sig, entry }, reg.avk, { ...V3_PARAMS, m: 8 }, V3_MSG);
    expect(check({ ...sig, indexes: [1, 2] })).to.equal('LOTTERY_LOST');
    expect(check({ ...sig, indexes: [-1] })).to.equal('INDEX_BOUND');
    expect(check({ ...sig, indexes: [0.5] })).to.equal('INDEX_BOUND');
    // σ2 wins 4 and 5 with the same stake, but is not a signature by vk1.
    expect(check({ ...sig, sigma: V3_SIGMA2, indexes: [4, 5] })).to.equal('SIGNATURE_INVALID');
    // An empty index list plays no lottery (as in the reference); an undecodable σ is invalid.
    expect(check({ ...sig, sigma: new Uint8Array(48).fill(0xff), indexes: [] })).to.equal(
      'SIGNATURE_INVALID',
    );
    expect(
      verificationCode(() =>
        verifySingleSignature(backend, { sig, entry }, reg.avk, V3_PARAMS, new Uint8Array(16).fill(1)),
      ),
    ).to.be.oneOf(['LOTTERY_LOST', 'SIGNATURE_INVALID']);
  });

  it('batch verification returns the single verdicts and finds the bad ones', () => {
    const sks = [SK1, SK2, ...[3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n].map((k) => k * 0x1234567n)];
    const reg = ClosedKeyRegistration.fromEntries(
      sks.map((sk, i) => ({ vk: backend.verificationKey(sk), stake: BigInt(10 + i) })),
    );
    const params = { m: 20, k: 5, phiF: 0.8 };
    const msg = new Uint8Array(32).fill(9);
    const items: SignatureWithRegisteredParty[] = sks
      .map((sk) => new StmSigner(backend, sk, reg, params).sign(msg))
      .filter((s): s is SingleSignature => s !== null)
      .map((sig) => ({ sig, entry: reg.entries[sig.signerIndex]! }));
    expect(items.length).to.be.greaterThan(6);
    const random = chaCha20Random(new Uint8Array(32).fill(3));
    expect(verifySingleSignatures(backend, items, reg.avk, params, msg, random)).to.deep.equal(
      items.map(() => null),
    );
    expect(verifySingleSignatures(backend, [], reg.avk, params, msg, random)).to.deep.equal([]);

    const bad = [...items];
    // Another signer's σ with a lottery-free claim: only the BLS check can catch it.
    bad[1] = { ...bad[1]!, sig: { ...bad[1]!.sig, sigma: bad[2]!.sig.sigma, indexes: [] } };
    bad[4] = { ...bad[4]!, sig: { ...bad[4]!.sig, indexes: [...bad[4]!.sig.indexes, 99] } };
    bad[5] = { ...bad[5]!, sig: { ...bad[5]!.sig, sigma: new Uint8Array(48).fill(0xff), indexes: [] } };
    const verdicts = verifySingleSignatures(backend, bad, reg.avk, params, msg, random);
    expect(verdicts.map((v) => v?.code ?? null)).to.deep.equal(
      bad.map((_, i) => (i === 1 || i === 5 ? 'SIGNATURE_INVALID' : i === 4 ? 'INDEX_BOUND' : null)),
    );
    for (const [i, verdict] of verdicts.entries()) {
      if (verdict === null) verifySingleSignature(backend, bad[i]!, reg.avk, params, msg);
      else {
        expect(
          verificationCode(() => verifySingleSignature(backend, bad[i]!, reg.avk, params, msg)),
        ).to.equal(verdict.code);
      }
    }
  });
});
