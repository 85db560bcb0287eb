import { expect } from 'chai';
import fc from 'fast-check';
import { ed25519KeyPairFromSeed } from '../../../protocol/cardano/ed25519.ts';
import { KesError, kesKeyGen, kesSecretKeyToBytes, kesUpdate } from '../../../protocol/cardano/kes.ts';
import { kesSignatureFromJsonHex } from '../../../protocol/cardano/kes.ts';
import type { KesSecretKey } from '../../../protocol/cardano/kes.ts';
import {
  KeyCertificationError,
  kesEvolutions,
  registerSignerMessageFromJson,
  registerSignerMessageToJson,
  registrationMessage,
  signRegistration,
  verifyRegistration,
} from '../../../protocol/cardano/key-certification.ts';
import type { KesTiming, RegisterSignerMessage } from '../../../protocol/cardano/key-certification.ts';
import type { OpCert } from '../../../protocol/cardano/opcert.ts';
import { createOpCert, opCertFromJsonHex } from '../../../protocol/cardano/opcert.ts';
import { vkPopFromJsonHex } from '../../../protocol/codec/json-hex.ts';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import { nobleBackend } from '../../../protocol/crypto/bls/noble.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import type { VerificationKeyPoP } from '../../../protocol/stm/types.ts';
import { expectCode, loadReferenceFixture } from './fixtures.ts';

interface RegisterSignerFixture {
  current_json: string;
}
interface CommonFakeKeys {
  goldens: { signer_verification_key: { values: string[] } };
}

const golden = loadReferenceFixture<RegisterSignerFixture>('cardano-register-signer.json').current_json;
const goldenMessage = registerSignerMessageFromJson(golden);
const fakeVkPops =
  loadReferenceFixture<CommonFakeKeys>('common-fake-keys.json').goldens.signer_verification_key.values.map(
    vkPopFromJsonHex,
  );

describe('protocol/cardano/key-certification: the reference registration (V5)', () => {
  it('decodes RegisterSignerMessage CURRENT_JSON and re-encodes it in field order', () => {
    expect(goldenMessage.epoch).to.equal(123n);
    expect(goldenMessage.partyId).to.equal('pool1m8crhnqj5k2kyszf5j2scshupystyxc887zdfrpzh6ty6eun4fx');
    expect(goldenMessage.kesPeriod).to.equal(6n);
    expect(registerSignerMessageToJson(goldenMessage)).to.equal(stringifyJson(parseJson(golden)));
  });

  it('fully verifies: opcert, KES at evolution 6, derived pool id, PoP', () => {
    const vkPop = vkPopFromJsonHex(goldenMessage.verificationKey);
    const kesSignature = kesSignatureFromJsonHex(goldenMessage.verificationKeySignature!);
    const opCert = opCertFromJsonHex(goldenMessage.operationalCertificate!);
    expect([opCert.issueNumber, opCert.startKesPeriod]).to.deep.equal([2n, 128n]);
    const base = { vkPop, kesSignature, opCert, bls: nobleBackend };
    const viaDeclared = verifyRegistration({ ...base, kesEvolutions: goldenMessage.kesPeriod! });
    expect(viaDeclared).to.deep.include({
      partyId: goldenMessage.partyId,
      kesEvolutions: 6n,
      verifiedEvolution: 6,
    });
    // The aggregator's own view: current KES period 128 + 7 is still within the ±1 tolerance.
    expect(verifyRegistration({ ...base, currentKesPeriod: 135n }).verifiedEvolution).to.equal(6);
    expectCode(
      () => verifyRegistration({ ...base, currentKesPeriod: 136n }),
      KeyCertificationError,
      'KES_SIGNATURE_INVALID',
    );
    // Another signer's vk + PoP is valid BLS but was not KES-signed.
    expectCode(
      () => verifyRegistration({ ...base, vkPop: fakeVkPops[1]!, kesEvolutions: 6n }),
      KeyCertificationError,
      'KES_SIGNATURE_INVALID',
    );
    expectCode(
      () => verifyRegistration({ ...base, opCert: { ...opCert, issueNumber: 3n }, kesEvolutions: 6n }),
      KeyCertificationError,
      'OPCERT_INVALID',
    );
  });
});

describe('protocol/cardano/key-certification: signing and the ±1 evolution window', () => {
  const cold = ed25519KeyPairFromSeed(new Uint8Array(32).fill(21));
  const kes = kesKeyGen(new Uint8Array(32).fill(22));
  const startKesPeriod = 500n;
  const opCert = createOpCert({
    kesVk: kes.publicKey,
    issueNumber: 4n,
    startKesPeriod,
    coldSecretKey: cold.secretKey,
  });
  const vkPop = fakeVkPops[0]!;

  const verify =
    (
      timing: KesTiming,
      over: Partial<{ vkPop: VerificationKeyPoP; kesSignature: Uint8Array; opCert: OpCert }> = {},
    ) =>
    (kesSignature: Uint8Array) =>
      verifyRegistration({ vkPop, kesSignature, opCert, bls: nobleBackend, ...over, ...timing });

  it('signs vk ‖ PoP at current − start without touching the caller key, and verifies at evolution ±1 only', () => {
    const before = bytesToHex(kesSecretKeyToBytes(kes.secretKey));
    const signed = signRegistration({
      vkPop,
      kesSecretKey: kes.secretKey,
      opCert,
      currentKesPeriod: startKesPeriod + 5n,
    });
    expect(signed.kesEvolutions).to.equal(5n);
    expect(bytesToHex(kesSecretKeyToBytes(kes.secretKey))).to.equal(before);
    for (const [delta, ok] of [
      [-2n, false],
      [-1n, true],
      [0n, true],
      [1n, true],
      [2n, false],
    ] as const) {
      const run = verify({ currentKesPeriod: startKesPeriod + 5n + delta });
      if (ok) {
        expect(run(signed.kesSignature)).to.deep.include({ verifiedEvolution: 5, kesEvolutions: 5n + delta });
      } else {
        expectCode(() => run(signed.kesSignature), KeyCertificationError, 'KES_SIGNATURE_INVALID');
      }
    }
    expect(verify({ kesEvolutions: 4n })(signed.kesSignature).partyId).to.match(/^pool1/);
  });

  it('saturates evolutions at 0, clamps the window at 64 and reports evolutions beyond it', () => {
    const atStart = signRegistration({
      vkPop,
      kesSecretKey: kes.secretKey,
      opCert,
      currentKesPeriod: startKesPeriod,
    });
    expect(kesEvolutions(startKesPeriod - 10n, startKesPeriod)).to.equal(0n);
    expect(
      verify({ currentKesPeriod: startKesPeriod - 10n })(atStart.kesSignature).verifiedEvolution,
    ).to.equal(0);

    const key: KesSecretKey = kesKeyGen(new Uint8Array(32).fill(22)).secretKey;
    for (let i = 0; i < 63; i++) kesUpdate(key);
    const last = signRegistration({
      vkPop,
      kesSecretKey: key,
      opCert,
      currentKesPeriod: startKesPeriod + 63n,
    });
    // The reference tries 64 at most, and period 64 verifies like 63 in the crate.
    expect(verify({ kesEvolutions: 65n })(last.kesSignature).verifiedEvolution).to.equal(64);
    expectCode(
      () => verify({ kesEvolutions: 66n })(last.kesSignature),
      KeyCertificationError,
      'KES_PERIOD_OUT_OF_RANGE',
    );
    expectCode(() => verify({ kesEvolutions: 1n << 64n })(last.kesSignature), DecodeError, 'OUT_OF_RANGE');
  });

  it('reports a bad BLS key or proof of possession after the KES check', () => {
    const swappedPop = { vk: fakeVkPops[0]!.vk, pop: fakeVkPops[1]!.pop };
    const signed = signRegistration({
      vkPop: swappedPop,
      kesSecretKey: kes.secretKey,
      opCert,
      currentKesPeriod: startKesPeriod,
    });
    expectCode(
      () => verify({ kesEvolutions: 0n }, { vkPop: swappedPop })(signed.kesSignature),
      KeyCertificationError,
      'POP_INVALID',
    );
    const badVk = { vk: new Uint8Array(96), pop: fakeVkPops[0]!.pop };
    const signedBad = signRegistration({
      vkPop: badVk,
      kesSecretKey: kes.secretKey,
      opCert,
      currentKesPeriod: startKesPeriod,
    });
    expectCode(
      () => verify({ kesEvolutions: 0n }, { vkPop: badVk })(signedBad.kesSignature),
      KeyCertificationError,
      'VK_INVALID',
    );
    expectCode(
      () => registrationMessage({ vk: new Uint8Array(95), pop: new Uint8Array(96) }),
      DecodeError,
      'INVALID_LENGTH',
    );
  });

  it('refuses to sign for a period before the opcert, past the key, or with another key', () => {
    const sign = (kesSecretKey: KesSecretKey, currentKesPeriod: bigint) =>
      signRegistration({ vkPop, kesSecretKey, opCert, currentKesPeriod });
    expectCode(() => sign(kes.secretKey, startKesPeriod - 1n), KesError, 'KES_PERIOD_MISMATCH');
    expectCode(() => sign(kes.secretKey, startKesPeriod + 64n), KesError, 'KEY_EXHAUSTED');
    expectCode(
      () => sign(kesKeyGen(new Uint8Array(32)).secretKey, startKesPeriod),
      KesError,
      'KES_KEY_MISMATCH',
    );
    const evolved = kesKeyGen(new Uint8Array(32).fill(22)).secretKey;
    kesUpdate(evolved);
    kesUpdate(evolved);
    expectCode(() => sign(evolved, startKesPeriod + 1n), KesError, 'KES_PERIOD_MISMATCH');
    expect(sign(evolved, startKesPeriod + 2n).kesEvolutions).to.equal(2n);
  });
});

describe('protocol/cardano/key-certification: RegisterSignerMessage JSON', () => {
  it('omits absent optional fields and reads null as absent', () => {
    const minimal: RegisterSignerMessage = { epoch: 1n, partyId: '', verificationKey: 'ab' };
    expect(registerSignerMessageToJson(minimal)).to.equal(
      '{"epoch":1,"party_id":"","verification_key":"ab"}',
    );
    expect(
      registerSignerMessageFromJson(
        '{"kes_period":null,"epoch":1,"party_id":"","verification_key":"ab","x":[]}',
      ),
    ).to.deep.equal(minimal);
    const full: RegisterSignerMessage = {
      ...minimal,
      verificationKeySignature: 'cd',
      operationalCertificate: 'ef',
      kesPeriod: 7n,
      verificationKeyForSnark: '01',
      verificationKeySignatureForSnark: '02',
    };
    const text = registerSignerMessageToJson(full);
    expect(text).to.equal(
      '{"epoch":1,"party_id":"","verification_key":"ab","verification_key_signature":"cd","operational_certificate":"ef","kes_period":7,"verification_key_for_snark":"01","verification_key_signature_for_snark":"02"}',
    );
    expect(registerSignerMessageFromJson(text)).to.deep.equal(full);
  });

  it('rejects malformed messages with DecodeError (fuzz)', () => {
    expect(() => registerSignerMessageFromJson('{"epoch":-1,"party_id":"","verification_key":""}')).to.throw(
      DecodeError,
    );
    expect(() => registerSignerMessageFromJson('{"epoch":1,"party_id":"","verification_key":1}')).to.throw(
      DecodeError,
    );
    expect(() => registerSignerMessageFromJson('{"epoch":1,"party_id":""}')).to.throw(DecodeError);
    fc.assert(
      fc.property(fc.nat(golden.length - 1), fc.string({ maxLength: 2 }), (i, s) => {
        try {
          registerSignerMessageFromJson(golden.slice(0, i) + s + golden.slice(i + 1));
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 200 },
    );
  });
});
