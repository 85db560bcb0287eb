import { expect } from 'chai';
import fc from 'fast-check';
import { ed25519KeyPairFromSeed } from '../../../protocol/cardano/ed25519.ts';
import { kesKeyGen } from '../../../protocol/cardano/kes.ts';
import type { OpCert } from '../../../protocol/cardano/opcert.ts';
import {
  OpCertDecodeError,
  createOpCert,
  opCertFromCbor,
  opCertFromJson,
  opCertFromJsonHex,
  opCertSigningPayload,
  opCertToCbor,
  opCertToJson,
  opCertToJsonHex,
  opCertWithoutColdKeyToCbor,
  verifyOpCert,
} from '../../../protocol/cardano/opcert.ts';
import { poolIdFromColdVerificationKey } from '../../../protocol/cardano/pool-id.ts';
import { stringifyJson } from '../../../protocol/codec/json.ts';
import { chaCha20Random } from '../../../protocol/crypto/random.ts';
import { DecodeError } from '../../../protocol/errors.ts';
import { bytesToHex, hexToBytes } from '../../../protocol/encoding/bytes.ts';
import { expectCode, loadReferenceFixture } from './fixtures.ts';

interface FakeKeys {
  goldens: { operational_certificate: string[] };
}

/** V7 (opcert.rs `test_vector_opcert`): cold key from ChaCha20 seed [0; 32], KES key from seed 0. */
function v7OpCert(): OpCert {
  const coldSecretKey = chaCha20Random(new Uint8Array(32))(32);
  const { publicKey: kesVk } = kesKeyGen(new Uint8Array(32));
  return createOpCert({ kesVk, issueNumber: 0n, startKesPeriod: 0n, coldSecretKey });
}

describe('protocol/cardano/opcert', () => {
  const v7 = v7OpCert();

  it('V7: reproduces the reference operational certificate, its CBOR and pool id', () => {
    expect(verifyOpCert(v7)).to.equal(true);
    expect(bytesToHex(opCertWithoutColdKeyToCbor(v7))).to.equal(
      '845820e650d7531509bb6cffd7998c28c68e4ec8fa621a0952206ea11eb03fcd7dcb2900005840d4abce27da05ff03c1342cc6ab53135072e1babf9cc05492f59f1ff009f70457aaa862c7158b13be0cfb41d7a91a562589bc110eb2cdaf5d2756048abbea5f05',
    );
    expect(poolIdFromColdVerificationKey(v7.coldVk)).to.equal(
      'pool1mxyec46067n3querj9cxkk0g0zlag93pf3ya9vuyr3wgkq2e6t7',
    );
  });

  it('signs kes_vk ‖ BE64(issue_number) ‖ BE64(start_kes_period)', () => {
    const payload = opCertSigningPayload(new Uint8Array(32).fill(0xaa), 0x0102n, 0x0304n);
    expect(bytesToHex(payload)).to.equal('aa'.repeat(32) + '0000000000000102' + '0000000000000304');
    expectCode(() => opCertSigningPayload(new Uint8Array(31), 0n, 0n), OpCertDecodeError, 'INVALID_LENGTH');
    expectCode(() => opCertSigningPayload(new Uint8Array(32), -1n, 0n), DecodeError, 'OUT_OF_RANGE');
  });

  it('verifies the fake_keys certificates and round-trips their JSON-hex byte for byte', () => {
    const { operational_certificate: hexes } =
      loadReferenceFixture<FakeKeys>('cardano-fake-keys.json').goldens;
    const decoded = hexes.map(opCertFromJsonHex);
    expect(decoded.map((c) => [c.issueNumber, c.startKesPeriod])).to.deep.equal([
      [2n, 128n],
      [1n, 165n],
    ]);
    expect(decoded.map((c) => poolIdFromColdVerificationKey(c.coldVk))).to.deep.equal([
      'pool1m8crhnqj5k2kyszf5j2scshupystyxc887zdfrpzh6ty6eun4fx',
      'pool1t9uuagsat8hlr0n0ga4wzge0jxlyjuhl6mugrm8atc285vzkf2e',
    ]);
    decoded.forEach((c, i) => {
      expect(verifyOpCert(c)).to.equal(true);
      expect(opCertToJsonHex(c)).to.equal(hexes[i]);
    });
  });

  it('fails verification when any signed field changes', () => {
    expect(verifyOpCert({ ...v7, issueNumber: 1n })).to.equal(false);
    expect(verifyOpCert({ ...v7, startKesPeriod: 1n })).to.equal(false);
    expect(verifyOpCert({ ...v7, kesVk: new Uint8Array(32) })).to.equal(false);
    const other = ed25519KeyPairFromSeed(new Uint8Array(32).fill(1)).publicKey;
    expect(verifyOpCert({ ...v7, coldVk: other })).to.equal(false);
  });

  it('encodes JSON as [[[kes_vk],n,p,[sig]],[cold_vk]] and node.cert CBOR, both round-tripping', () => {
    const json = stringifyJson(opCertToJson(v7));
    expect(json.startsWith('[[[230,80,215,')).to.equal(true);
    expect(json).to.contain('],0,0,[212,171,');
    const cbor = opCertToCbor(v7);
    expect(bytesToHex(cbor)).to.equal(
      '82' + bytesToHex(opCertWithoutColdKeyToCbor(v7)) + '5820' + bytesToHex(v7.coldVk),
    );
    expect(opCertFromCbor(cbor)).to.deep.equal(v7);
    expect(opCertFromJson(opCertToJson(v7))).to.deep.equal(v7);
    // The JSON-hex decoder falls back to the CBOR bytes-hex, as the reference.
    expect(opCertFromJsonHex(bytesToHex(cbor))).to.deep.equal(v7);
  });

  it('rejects malformed certificates with typed errors', () => {
    const json = opCertToJson(v7) as [[unknown, bigint, bigint, unknown], unknown];
    const body = json[0];
    expectCode(() => opCertFromJson([body] as never), OpCertDecodeError, 'INVALID_LENGTH');
    expectCode(
      () => opCertFromJson([[body[0], 0n, 0n], json[1]] as never),
      OpCertDecodeError,
      'INVALID_LENGTH',
    );
    expectCode(
      () => opCertFromJson([[body[0], -1n, 0n, body[3]], json[1]] as never),
      DecodeError,
      'INVALID_FIELD',
    );
    expectCode(
      () => opCertFromJson([[[1n], 0n, 0n, body[3]], json[1]] as never),
      OpCertDecodeError,
      'INVALID_LENGTH',
    );
    // A cold key that is not a curve point (y = 2).
    const badCold = Array.from({ length: 32 }, (_, i) => (i === 0 ? 2n : 0n));
    expectCode(() => opCertFromJson([body, badCold] as never), DecodeError, 'INVALID_POINT');
    const cbor = opCertToCbor(v7);
    expectCode(() => opCertFromCbor(cbor.subarray(0, cbor.length - 1)), DecodeError, 'TRUNCATED');
    expect(() => opCertFromCbor(hexToBytes('8200'))).to.throw(DecodeError);
    expect(() => opCertFromJsonHex('zz')).to.throw(DecodeError);
  });

  it('fuzz: malformed JSON-hex and CBOR only ever raise DecodeError', () => {
    const jsonHex = opCertToJsonHex(v7);
    const cbor = opCertToCbor(v7);
    const decodeOrDecodeError = (decode: () => OpCert): void => {
      try {
        decode();
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.nat(jsonHex.length - 1), fc.constantFrom(...'0123456789abcdef'), (i, c) =>
        decodeOrDecodeError(() => opCertFromJsonHex(jsonHex.slice(0, i) + c + jsonHex.slice(i + 1))),
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.nat(cbor.length - 1), fc.nat(255), (i, b) => {
        const mutated = Uint8Array.from(cbor);
        mutated[i] = b;
        decodeOrDecodeError(() => opCertFromCbor(mutated));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) =>
        decodeOrDecodeError(() => opCertFromCbor(bytes)),
      ),
      { numRuns: 200 },
    );
  });
});
