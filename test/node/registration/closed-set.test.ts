import { expect } from 'chai';
import { concatBytes, u32BE, u64BE } from '../../../protocol/encoding/bytes.ts';
import { RegistrationServiceError } from '../../../node/registration/errors.ts';
import {
  CLOSED_SET_REQUEST_BYTES,
  MAX_CLOSED_SET_REGISTRATIONS,
  MAX_CLOSED_SET_RESPONSE_BYTES,
  closedRegistrationsProtocol,
  decodeClosedSetRequest,
  decodeClosedSetResponse,
  encodeClosedSetRequest,
  encodeClosedSetResponse,
} from '../../../node/registration/closed-set.ts';
import { expectCode } from '../../protocol/cardano/fixtures.ts';

const message = (n: number): Uint8Array => new Uint8Array(797).fill(n);

describe('node/registration/closed-set: the closed-registrations protocol frames', () => {
  it('names the protocol per network', () => {
    expect(closedRegistrationsProtocol('devnet')).to.equal('/mithril-mesh/devnet/closed-registrations/1.0.0');
    expectCode(() => closedRegistrationsProtocol('Dev/Net'), RegistrationServiceError, 'INVALID_OPTIONS');
  });

  it('round-trips a request: epoch u64', () => {
    expect(encodeClosedSetRequest(11)).to.deep.equal(u64BE(11));
    expect(CLOSED_SET_REQUEST_BYTES).to.equal(8);
    expect(decodeClosedSetRequest(encodeClosedSetRequest(0))).to.equal(0);
    expect(decodeClosedSetRequest(encodeClosedSetRequest(Number.MAX_SAFE_INTEGER))).to.equal(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('rejects malformed requests', () => {
    const bad = [new Uint8Array(7), new Uint8Array(9), u64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n)];
    for (const bytes of bad) {
      expectCode(() => decodeClosedSetRequest(bytes), RegistrationServiceError, 'MALFORMED_REQUEST');
    }
  });

  it('round-trips a response: count u32 ‖ (length u32 ‖ message)*, an empty one when there is no set', () => {
    const bytes = encodeClosedSetResponse([message(1), message(2)]);
    expect(bytes).to.deep.equal(concatBytes(u32BE(2), u32BE(797), message(1), u32BE(797), message(2)));
    expect(decodeClosedSetResponse(bytes)).to.deep.equal([message(1), message(2)]);
    expect(encodeClosedSetResponse([])).to.deep.equal(u32BE(0));
    expect(decodeClosedSetResponse(u32BE(0))).to.deep.equal([]);
  });

  it('carries a whole set of MAX_CLOSED_SET_REGISTRATIONS within MAX_CLOSED_SET_RESPONSE_BYTES, never a part of a larger one', () => {
    const all = Array.from({ length: MAX_CLOSED_SET_REGISTRATIONS }, (_, i) => message(i % 256));
    const full = encodeClosedSetResponse(all);
    expect(full.length).to.equal(MAX_CLOSED_SET_RESPONSE_BYTES);
    expect(decodeClosedSetResponse(full)).to.have.length(MAX_CLOSED_SET_REGISTRATIONS);
    expectCode(
      () => encodeClosedSetResponse([...all, message(0)]),
      RegistrationServiceError,
      'CLOSED_SET_TOO_LARGE',
    );
  });

  it('rejects malformed responses', () => {
    const bad = [
      new Uint8Array(3),
      u32BE(1),
      concatBytes(u32BE(1), u32BE(797), message(1).subarray(1)),
      concatBytes(u32BE(1), u32BE(798), new Uint8Array(798)),
      concatBytes(u32BE(1), u32BE(797), message(1), Uint8Array.of(0)),
      u32BE(MAX_CLOSED_SET_REGISTRATIONS + 1),
    ];
    for (const bytes of bad) {
      expectCode(() => decodeClosedSetResponse(bytes), RegistrationServiceError, 'MALFORMED_RESPONSE');
    }
  });
});
