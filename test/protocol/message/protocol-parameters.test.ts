import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import {
  computeProtocolParametersHash,
  phiFToU8F24,
  protocolParametersEqual,
  protocolParametersFromJson,
  protocolParametersToJson,
  ProtocolParametersError,
  toStmParameters,
} from '../../../protocol/message/protocol-parameters.ts';

describe('protocol/message/protocol-parameters', () => {
  it('V8: (k=1000, m=100, φ_f=0.123) hashes to the reference golden', () => {
    expect(computeProtocolParametersHash({ k: 1000, m: 100, phiF: 0.123 })).to.equal(
      'ace019657cd995b0dfbb1ce8721a1092715972c4ae0171cc636ab4a44e6e4279',
    );
  });

  it('matches the next_protocol_parameters of the devnet certificates (70, 105, 0.95)', () => {
    expect(computeProtocolParametersHash({ k: 70, m: 105, phiF: 0.95 })).to.equal(
      'c36d7a800cb88eed32791ad2de7a37d758ed878c3c721b254a9a29e42cc6ad4f',
    );
  });

  it('hashes BE64 k ‖ BE64 m ‖ BE32 U8F24 (hand-built preimage)', () => {
    const preimage = Buffer.alloc(20);
    preimage.writeBigUInt64BE(1944n, 0);
    preimage.writeBigUInt64BE(16948n, 8);
    preimage.writeUInt32BE(3355443, 16); // round(0.2 · 2^24) = round(3355443.2)
    const expected = createHash('sha256').update(preimage).digest('hex');
    expect(computeProtocolParametersHash({ k: 1944, m: 16948, phiF: 0.2 })).to.equal(expected);
  });

  describe('U8F24 (fixed crate from_num: nearest, ties to even)', () => {
    const ulp = 2 ** -24;
    it('rounds to nearest', () => {
      expect(phiFToU8F24(0.123)).to.equal(2063598); // 2063597.568
      expect(phiFToU8F24(0.95)).to.equal(15938355); // 15938355.2
      expect(phiFToU8F24(0)).to.equal(0);
      expect(phiFToU8F24(1)).to.equal(1 << 24);
      expect(phiFToU8F24(255.99999994039536)).to.equal(2 ** 32 - 1); // 256 − 2^-24
    });
    it('breaks exact ties toward the even neighbour', () => {
      expect(phiFToU8F24(0.5 * ulp)).to.equal(0);
      expect(phiFToU8F24(1.5 * ulp)).to.equal(2);
      expect(phiFToU8F24(2.5 * ulp)).to.equal(2);
      expect(phiFToU8F24(3.5 * ulp)).to.equal(4);
      expect(phiFToU8F24(0.25 * ulp)).to.equal(0);
      expect(phiFToU8F24(0.75 * ulp)).to.equal(1);
    });
    it('just above a tie rounds up', () => {
      expect(phiFToU8F24(2.5 * ulp + 2 ** -60)).to.equal(3);
    });
    it('rejects values that do not fit [0, 256)', () => {
      for (const bad of [-0.1, 256, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => phiFToU8F24(bad))
          .to.throw(ProtocolParametersError)
          .with.property('code', 'INVALID_PHI_F');
      }
    });
  });

  it('compares φ_f through U8F24 like the reference PartialEq', () => {
    const p = (phiF: number, k = 1000, m = 100) => ({ k, m, phiF });
    expect(protocolParametersEqual(p(0.123001), p(0.123001))).to.equal(true);
    expect(protocolParametersEqual(p(0.1230011), p(0.1230012))).to.equal(false);
    expect(protocolParametersEqual(p(0.12301), p(0.123))).to.equal(false);
    expect(protocolParametersEqual(p(0.123, 1001), p(0.123))).to.equal(false);
    expect(protocolParametersEqual(p(0.123, 1000, 101), p(0.123))).to.equal(false);
    // Differ below 2^-25: same U8F24.
    expect(protocolParametersEqual(p(0.5), p(0.5 + 2 ** -27))).to.equal(true);
  });

  it('encodes JSON in mithril-common order {k, m, phi_f} and decodes it back', () => {
    const params = { k: 2422, m: 20973, phiF: 0.2 };
    const text = stringifyJson(protocolParametersToJson(params));
    expect(text).to.equal('{"k":2422,"m":20973,"phi_f":0.2}');
    expect(protocolParametersFromJson(parseJson(text))).to.deep.equal(params);
    expect(protocolParametersFromJson(parseJson('{"m":1,"phi_f":1,"k":2}'))).to.deep.equal({
      k: 2,
      m: 1,
      phiF: 1,
    });
  });

  it('rejects malformed JSON parameters with typed errors', () => {
    expect(() => protocolParametersFromJson(parseJson('{"k":1,"m":2}')))
      .to.throw()
      .with.property('code', 'MISSING_FIELD');
    expect(() => protocolParametersFromJson(parseJson('{"k":-1,"m":2,"phi_f":0.2}')))
      .to.throw()
      .with.property('code', 'INVALID_FIELD');
  });

  it('converts to STM parameters', () => {
    expect(toStmParameters({ k: 5, m: 100, phiF: 0.65 })).to.deep.equal({ m: 100, k: 5, phiF: 0.65 });
  });
});
