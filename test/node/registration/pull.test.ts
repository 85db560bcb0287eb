import { expect } from 'chai';
import { concatBytes, u32BE, u64BE } from '../../../protocol/encoding/bytes.ts';
import { RegistrationServiceError } from '../../../node/registration/errors.ts';
import {
  MAX_REGISTRATIONS_PER_RESPONSE,
  MAX_REQUEST_BYTES,
  MAX_REQUEST_POOLS,
  MAX_RESPONSE_BYTES,
  decodeRegistrationsRequest,
  decodeRegistrationsResponse,
  encodeRegistrationsRequest,
  encodeRegistrationsResponse,
  registrationsProtocol,
} from '../../../node/registration/pull.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';

const hash = (n: number): Uint8Array => new Uint8Array(28).fill(n);
const message = (n: number): Uint8Array => new Uint8Array(797).fill(n);

describe('node/registration/pull: the registrations protocol frames', () => {
  it('names the protocol per network', () => {
    expect(registrationsProtocol('devnet')).to.equal('/mithril-mesh/devnet/registrations/1.0.0');
    expectCode(() => registrationsProtocol('Dev/Net'), RegistrationServiceError, 'INVALID_OPTIONS');
  });

  it('round-trips a request: epoch u64 ‖ count u32 ‖ 28-byte pool id hashes', () => {
    const bytes = encodeRegistrationsRequest({ epoch: 11, known: [hash(1), hash(2)] });
    expect(bytes).to.deep.equal(concatBytes(u64BE(11), u32BE(2), hash(1), hash(2)));
    expect(decodeRegistrationsRequest(bytes)).to.deep.equal({ epoch: 11, known: [hash(1), hash(2)] });
    expect(decodeRegistrationsRequest(encodeRegistrationsRequest({ epoch: 0, known: [] }))).to.deep.equal({
      epoch: 0,
      known: [],
    });
  });

  it('lists at most MAX_REQUEST_POOLS pools, within MAX_REQUEST_BYTES', () => {
    const known = Array.from({ length: MAX_REQUEST_POOLS + 5 }, (_, i) => hash(i % 256));
    const bytes = encodeRegistrationsRequest({ epoch: 3, known });
    expect(bytes.length).to.equal(MAX_REQUEST_BYTES);
    expect(decodeRegistrationsRequest(bytes).known).to.have.length(MAX_REQUEST_POOLS);
  });

  it('rejects malformed requests', () => {
    const bad = [
      new Uint8Array(11),
      concatBytes(u64BE(1), u32BE(1)),
      concatBytes(u64BE(1), u32BE(1), hash(1), Uint8Array.of(0)),
      concatBytes(u64BE(1), u32BE(MAX_REQUEST_POOLS + 1)),
      concatBytes(u64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n), u32BE(0)),
    ];
    for (const bytes of bad) {
      expectCode(() => decodeRegistrationsRequest(bytes), RegistrationServiceError, 'MALFORMED_REQUEST');
    }
  });

  it('round-trips a response: count u32 ‖ (length u32 ‖ message)*, capped at MAX_REGISTRATIONS_PER_RESPONSE', () => {
    const bytes = encodeRegistrationsResponse([message(1), message(2)]);
    expect(bytes).to.deep.equal(concatBytes(u32BE(2), u32BE(797), message(1), u32BE(797), message(2)));
    expect(decodeRegistrationsResponse(bytes)).to.deep.equal([message(1), message(2)]);
    const full = encodeRegistrationsResponse(
      Array.from({ length: MAX_REGISTRATIONS_PER_RESPONSE + 1 }, (_, i) => message(i % 256)),
    );
    expect(full.length).to.equal(MAX_RESPONSE_BYTES);
    expect(decodeRegistrationsResponse(full)).to.have.length(MAX_REGISTRATIONS_PER_RESPONSE);
  });

  it('rejects malformed responses', () => {
    const bad = [
      new Uint8Array(3),
      u32BE(1),
      concatBytes(u32BE(1), u32BE(797), message(1).subarray(1)),
      concatBytes(u32BE(1), u32BE(798), new Uint8Array(798)),
      concatBytes(u32BE(1), u32BE(797), message(1), Uint8Array.of(0)),
      u32BE(MAX_REGISTRATIONS_PER_RESPONSE + 1),
    ];
    for (const bytes of bad) {
      expectCode(() => decodeRegistrationsResponse(bytes), RegistrationServiceError, 'MALFORMED_RESPONSE');
    }
  });
});
