import { expect } from 'chai';
import {
  SIGNATURE_MESSAGE_VERSION,
  SignatureMessageEncodeError,
  SignatureMessageError,
  decodeSignatureMessage,
  encodeSignatureMessage,
  maxSignatureMessageBytes,
} from '../../../node/signing/message.ts';
import { parsePoolId } from '../../../protocol/cardano/pool-id.ts';
import { singleSignatureToWire } from '../../../protocol/codec/wire.ts';
import { concatBytes, u32BE, u64BE } from '../../../protocol/encoding/bytes.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import type { SingleSignature } from '../../../protocol/stm/types.ts';
import { poolId } from './fakes.ts';

const M = 20;
const SIGNATURE: SingleSignature = {
  sigma: new Uint8Array(48).fill(0xaa),
  indexes: [1, 4, 5, 20],
  signerIndex: 3,
};
const SIGNED = new Uint8Array(32).fill(7);
const PARTY = poolId(9);

const ENTITIES: SignedEntityType[] = [
  { type: 'MithrilStakeDistribution', epoch: 5 },
  { type: 'CardanoStakeDistribution', epoch: 4 },
  { type: 'CardanoTransactions', epoch: 5, blockNumber: 1234 },
  { type: 'CardanoDatabase', epoch: 5, immutableFileNumber: 77 },
  { type: 'CardanoBlocksTransactions', epoch: 5, blockNumber: 1200, blockNumberOffset: 15 },
];

function encode(entity: SignedEntityType = ENTITIES[0]!, signature = SIGNATURE): Uint8Array {
  return encodeSignatureMessage({ entity, signedMessage: SIGNED, partyId: PARTY, signature });
}

function decodeCode(bytes: Uint8Array, m = M): string {
  try {
    decodeSignatureMessage(bytes, m);
  } catch (e) {
    expect(e).to.be.instanceOf(SignatureMessageError);
    return (e as SignatureMessageError).code;
  }
  throw new Error('expected a SignatureMessageError');
}

/** A MithrilStakeDistribution(5) message with the given signature bytes and declared length. */
function withWire(wire: Uint8Array, length = wire.length): Uint8Array {
  return concatBytes(Uint8Array.of(1, 0), u64BE(5), SIGNED, parsePoolId(PARTY), u32BE(length), wire);
}

describe('signing/message', () => {
  it('lays out version, type id, beacon, signed message, pool hash, length and wire signature', () => {
    const bytes = encode();
    const wire = singleSignatureToWire(SIGNATURE);
    expect(bytes).to.deep.equal(withWire(wire));
    expect(bytes[0]).to.equal(SIGNATURE_MESSAGE_VERSION);
  });

  for (const entity of ENTITIES) {
    it(`round-trips ${entity.type}`, () => {
      const bytes = encode(entity);
      const decoded = decodeSignatureMessage(bytes, M);
      expect(decoded.entity).to.deep.equal(entity);
      expect(decoded.signedMessage).to.deep.equal(SIGNED);
      expect(decoded.partyId).to.equal(PARTY);
      expect(decoded.signature).to.deep.equal(SIGNATURE);
      expect(decoded.bytes).to.deep.equal(bytes);
    });
  }

  it('fails on every truncation and on trailing bytes', () => {
    const bytes = encode(ENTITIES[4]!);
    for (let n = 0; n < bytes.length; n++) decodeCode(bytes.subarray(0, n));
    expect(decodeCode(concatBytes(bytes, Uint8Array.of(0)))).to.equal('TRAILING_BYTES');
  });

  it('rejects another version, unknown and discontinued types, beacons beyond 2^53-1', () => {
    const bytes = encode();
    expect(decodeCode(Uint8Array.from([2, ...bytes.subarray(1)]))).to.equal('UNSUPPORTED_VERSION');
    expect(decodeCode(Uint8Array.from([1, 9, ...bytes.subarray(2)]))).to.equal('UNKNOWN_ENTITY_TYPE');
    expect(decodeCode(Uint8Array.from([1, 2, ...bytes.subarray(2)]))).to.equal('UNKNOWN_ENTITY_TYPE');
    const huge = Uint8Array.from(bytes);
    huge.set(u64BE(2n ** 53n), 2);
    expect(decodeCode(huge)).to.equal('OUT_OF_RANGE');
  });

  it('bounds the signature by m and checks its encoding and indexes', () => {
    const wire = singleSignatureToWire(SIGNATURE);
    expect(decodeCode(withWire(wire, 2 ** 32 - 1))).to.equal('SIGNATURE_TOO_LARGE');
    const thirty = singleSignatureToWire({ ...SIGNATURE, indexes: Array.from({ length: 30 }, (_, i) => i) });
    expect(decodeCode(withWire(thirty), 4)).to.equal('SIGNATURE_TOO_LARGE');
    expect(decodeCode(withWire(wire, wire.length + 1))).to.equal('TRUNCATED');
    expect(decodeCode(withWire(Uint8Array.from([1, 1, ...wire.subarray(2)])))).to.equal(
      'INVALID_SIGNATURE_ENCODING',
    );
    expect(decodeCode(withWire(singleSignatureToWire({ ...SIGNATURE, indexes: [] })))).to.equal('NO_INDEXES');
    // Six indexes fit the byte bound of m = 4 (one byte each) but exceed its m + 1 = 5 values.
    const six = singleSignatureToWire({ ...SIGNATURE, indexes: [0, 1, 2, 3, 4, 5] });
    expect(decodeCode(withWire(six), 4)).to.equal('TOO_MANY_INDEXES');
  });

  it('keeps the largest signature at mainnet m within maxSignatureMessageBytes', () => {
    const m = 16948;
    const indexes = Array.from({ length: m + 1 }, (_, i) => i);
    const signature = { sigma: SIGNATURE.sigma, indexes, signerIndex: 99_999 };
    const bytes = encode(ENTITIES[4]!, signature);
    expect(bytes.length).to.be.at.most(maxSignatureMessageBytes(m));
    expect(decodeSignatureMessage(bytes, m).signature.indexes).to.have.length(m + 1);
  });

  it('refuses to encode bad fields', () => {
    const base = { entity: ENTITIES[0]!, signedMessage: SIGNED, partyId: PARTY, signature: SIGNATURE };
    expect(() => encodeSignatureMessage({ ...base, signedMessage: new Uint8Array(31) }))
      .to.throw(SignatureMessageEncodeError)
      .with.property('code', 'INVALID_VALUE');
    expect(() => encodeSignatureMessage({ ...base, partyId: 'pool1nope' }))
      .to.throw(SignatureMessageEncodeError)
      .with.property('code', 'INVALID_VALUE');
    expect(() =>
      encodeSignatureMessage({
        ...base,
        entity: { type: 'CardanoImmutableFilesFull', epoch: 1, immutableFileNumber: 2 },
      }),
    )
      .to.throw(SignatureMessageEncodeError)
      .with.property('code', 'DISCONTINUED_ENTITY_TYPE');
  });
});
