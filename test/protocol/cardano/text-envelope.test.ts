import { expect } from 'chai';
import fc from 'fast-check';
import { ed25519KeyPairFromSeed } from '../../../protocol/cardano/ed25519.ts';
import { kesKeyGen, kesPublicKey, kesSecretKeyToBytes, kesUpdate } from '../../../protocol/cardano/kes.ts';
import { createOpCert } from '../../../protocol/cardano/opcert.ts';
import {
  TEXT_ENVELOPE_KINDS,
  TextEnvelopeError,
  formatTextEnvelope,
  parseTextEnvelope,
  readColdSigningKey,
  readColdVerificationKey,
  readKesSigningKey,
  readKesVerificationKey,
  readOperationalCertificate,
  writeColdSigningKey,
  writeColdVerificationKey,
  writeKesSigningKey,
  writeKesVerificationKey,
  writeOperationalCertificate,
} from '../../../protocol/cardano/text-envelope.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex } from '../../../protocol/encoding/bytes.ts';
import { expectCode, loadReferenceFixture } from './fixtures.ts';

interface Goldens {
  kes_signing_key_cbor: { cbor_hex_608: string; cbor_hex_612: string };
}

const kesEnvelope = (cborHex: string): string =>
  formatTextEnvelope({ ...TEXT_ENVELOPE_KINDS.kesSigningKey, cborHex });

describe('protocol/cardano/text-envelope', () => {
  const cold = ed25519KeyPairFromSeed(new Uint8Array(32).fill(11));

  it('reads the reference KES key goldens in both the 608-byte and the 612-byte form (codec.rs)', () => {
    const golden = loadReferenceFixture<Goldens>('cardano-goldens.json').kes_signing_key_cbor;
    expect(golden.cbor_hex_608.startsWith('590260')).to.equal(true);
    expect(golden.cbor_hex_612.startsWith('590264')).to.equal(true);
    const fromCli = readKesSigningKey(kesEnvelope(golden.cbor_hex_608));
    const fromMithril = readKesSigningKey(kesEnvelope(golden.cbor_hex_612));
    expect(fromCli.period).to.equal(0);
    expect(bytesToHex(kesSecretKeyToBytes(fromCli))).to.equal(bytesToHex(kesSecretKeyToBytes(fromMithril)));
    expect(bytesToHex(kesSecretKeyToBytes(fromCli))).to.equal(golden.cbor_hex_612.slice(6));
  });

  it('writes cardano-cli layout and round-trips every key kind', () => {
    const coldSkText = writeColdSigningKey(cold.secretKey);
    expect(coldSkText).to.equal(
      '{\n' +
        '    "type": "StakePoolSigningKey_ed25519",\n' +
        '    "description": "Stake Pool Operator Signing Key",\n' +
        `    "cborHex": "5820${bytesToHex(cold.secretKey)}"\n` +
        '}\n',
    );
    expect(readColdSigningKey(coldSkText)).to.deep.equal(cold.secretKey);
    expect(readColdVerificationKey(writeColdVerificationKey(cold.publicKey))).to.deep.equal(cold.publicKey);

    const { secretKey, publicKey } = kesKeyGen(new Uint8Array(32).fill(12));
    const kesText = writeKesSigningKey(secretKey);
    expect(parseTextEnvelope(kesText).cborHex.startsWith('590260')).to.equal(true);
    expect(bytesToHex(kesPublicKey(readKesSigningKey(kesText)))).to.equal(bytesToHex(publicKey));
    expect(readKesVerificationKey(writeKesVerificationKey(publicKey))).to.deep.equal(publicKey);
    // An evolved key keeps its period in the 612-byte form.
    kesUpdate(secretKey);
    const evolvedText = writeKesSigningKey(secretKey);
    expect(parseTextEnvelope(evolvedText).cborHex.startsWith('590264')).to.equal(true);
    expect(readKesSigningKey(evolvedText).period).to.equal(1);

    const opCert = createOpCert({
      kesVk: publicKey,
      issueNumber: 3n,
      startKesPeriod: 400n,
      coldSecretKey: cold.secretKey,
    });
    const certText = writeOperationalCertificate(opCert);
    expect(parseTextEnvelope(certText)).to.include({ type: 'NodeOperationalCertificate', description: '' });
    expect(readOperationalCertificate(certText)).to.deep.equal(opCert);
  });

  it('accepts compact JSON with extra fields, as serde does', () => {
    const text = JSON.stringify({
      type: 'StakePoolVerificationKey_ed25519',
      description: 'anything',
      cborHex: `5820${bytesToHex(cold.publicKey).toUpperCase()}`,
      extra: true,
    });
    expect(readColdVerificationKey(text)).to.deep.equal(cold.publicKey);
  });

  it('rejects wrong types, lengths and malformed payloads with typed errors', () => {
    const coldSkText = writeColdSigningKey(cold.secretKey);
    expectCode(() => readKesSigningKey(coldSkText), TextEnvelopeError, 'WRONG_TYPE');
    expectCode(() => readOperationalCertificate(coldSkText), TextEnvelopeError, 'WRONG_TYPE');
    expectCode(
      () => readKesSigningKey(kesEnvelope('5820' + '00'.repeat(32))),
      TextEnvelopeError,
      'INVALID_LENGTH',
    );
    expect(() => readKesSigningKey(kesEnvelope('590260' + '00'.repeat(10)))).to.throw(DecodeError);
    expect(() => readKesSigningKey(kesEnvelope('8200'))).to.throw(DecodeError);
    expect(() => readKesSigningKey(kesEnvelope('0x12'))).to.throw(DecodeError);
    expect(() => parseTextEnvelope('{"type":"x","cborHex":""}')).to.throw(DecodeError);
    expect(() => parseTextEnvelope('[1]')).to.throw(DecodeError);
    expectCode(() => writeColdSigningKey(new Uint8Array(31)), TextEnvelopeError, 'INVALID_LENGTH');
    expectCode(() => writeKesVerificationKey(new Uint8Array(31)), TextEnvelopeError, 'INVALID_LENGTH');
  });

  it('fuzz: arbitrary text only ever raises DecodeError', () => {
    const valid = writeColdVerificationKey(cold.publicKey);
    const readers = [
      readColdSigningKey,
      readColdVerificationKey,
      readKesSigningKey,
      readOperationalCertificate,
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.nat(valid.length - 1).map((i) => valid.slice(0, i)),
        ),
        (text) => {
          for (const read of readers) {
            try {
              read(text);
            } catch (e) {
              if (!(e instanceof DecodeError)) throw e;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
