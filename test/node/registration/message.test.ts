import { expect } from 'chai';
import fc from 'fast-check';
import { loadBlsBackend } from '../../../protocol/crypto/bls/index.ts';
import type { BlsBackend } from '../../../protocol/crypto/bls/index.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { u64BE } from '../../../protocol/encoding/bytes.ts';
import {
  REGISTRATION_MESSAGE_BYTES,
  decodeRegistration,
  encodeRegistration,
} from '../../../node/registration/message.ts';
import type { RegistrationMessage } from '../../../node/registration/message.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';
import { START_KES_PERIOD, craft, expectVerdict, testPool, vkPopOf } from './fixtures.ts';
import type { TestPool } from './fixtures.ts';

describe('node/registration/message', () => {
  let bls: BlsBackend;
  let pool: TestPool;
  let message: RegistrationMessage;

  before(async () => {
    bls = await loadBlsBackend('mcl');
    pool = testPool(1);
    message = craft(pool, 42, vkPopOf(bls, 7n), START_KES_PERIOD + 3n);
  });

  it('is 797 bytes laid out as the design says, and round-trips', () => {
    expect(REGISTRATION_MESSAGE_BYTES).to.equal(797);
    const { bytes } = message;
    expect(bytes.length).to.equal(797);
    expect(bytes[0]).to.equal(1);
    expect(bytes.subarray(1, 9)).to.deep.equal(u64BE(42));
    expect(bytes.subarray(9, 105)).to.deep.equal(message.vkPop.vk);
    expect(bytes.subarray(345, 349)).to.deep.equal(Uint8Array.of(0, 0, 0, 3));
    expect(bytes.subarray(349)).to.deep.equal(message.kesSignature);

    const decoded = decodeRegistration(bytes);
    expect(decoded).to.deep.equal(message);
    expect(decoded.partyId).to.equal(pool.partyId);
    expect(decoded.opCert).to.deep.equal(pool.opCert);
    expect(decoded.kesEvolutions).to.equal(3n);
    expect(encodeRegistration(decoded)).to.deep.equal(bytes);
  });

  it('keeps its own copy of the input', () => {
    const input = Uint8Array.from(message.bytes);
    const decoded = decodeRegistration(input);
    input.fill(0);
    expect(decoded.bytes).to.deep.equal(message.bytes);
    expect(decoded.vkPop.vk).to.deep.equal(message.vkPop.vk);
  });

  it('rejects MALFORMED any other length', async () => {
    for (const length of [0, 1, 796, 798, 1594]) {
      const data = new Uint8Array(length);
      if (length > 0) data[0] = 1;
      await expectVerdict(() => decodeRegistration(data), 'reject', 'MALFORMED');
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        fc.pre(data.length !== REGISTRATION_MESSAGE_BYTES);
        try {
          decodeRegistration(data);
          return false;
        } catch (error) {
          return (error as { reason?: string }).reason === 'MALFORMED';
        }
      }),
    );
  });

  it('rejects MALFORMED an unknown version', async () => {
    for (const version of [0, 2, 255]) {
      const data = Uint8Array.from(message.bytes);
      data[0] = version;
      await expectVerdict(() => decodeRegistration(data), 'reject', 'MALFORMED');
    }
  });

  it('rejects MALFORMED an epoch beyond 2^53 − 1 and accepts 2^53 − 1', async () => {
    const data = Uint8Array.from(message.bytes);
    data.set(u64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n), 1);
    await expectVerdict(() => decodeRegistration(data), 'reject', 'MALFORMED');
    data.set(u64BE(Number.MAX_SAFE_INTEGER), 1);
    expect(decodeRegistration(data).epoch).to.equal(Number.MAX_SAFE_INTEGER);
  });

  it('refuses to encode fields of the wrong size', () => {
    expectCode(
      () => encodeRegistration({ ...message, vkPop: { vk: new Uint8Array(95), pop: message.vkPop.pop } }),
      DecodeError,
      'INVALID_LENGTH',
    );
    expectCode(
      () => encodeRegistration({ ...message, kesSignature: new Uint8Array(447) }),
      DecodeError,
      'INVALID_LENGTH',
    );
    expectCode(
      () => encodeRegistration({ ...message, opCert: { ...message.opCert, coldVk: new Uint8Array(33) } }),
      DecodeError,
      'INVALID_LENGTH',
    );
    expectCode(
      () => encodeRegistration({ ...message, kesEvolutions: 1n << 32n }),
      DecodeError,
      'OUT_OF_RANGE',
    );
    expectCode(() => encodeRegistration({ ...message, epoch: -1 }), DecodeError, 'OUT_OF_RANGE');
  });
});
