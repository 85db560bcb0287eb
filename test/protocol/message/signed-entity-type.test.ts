import { expect } from 'chai';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import type { SignedEntityType } from '../../../protocol/message/signed-entity-type.ts';
import {
  epochWhenSigned,
  isDiscontinued,
  openMessageTimeoutSeconds,
  signedEntityTypeEqual,
  signedEntityTypeFeedHash,
  signedEntityTypeFromJson,
  signedEntityTypeId,
  signedEntityTypeToJson,
  SignedEntityTypeError,
  timePointToSignedEntityType,
} from '../../../protocol/message/signed-entity-type.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const be64 = (n: number): string => n.toString(16).padStart(16, '0');

/** Every type with its CertificateMessage JSON, DB id and the feed_hash bytes built by hand. */
const CASES: { entity: SignedEntityType; json: string; id: number; feed: string }[] = [
  {
    entity: { type: 'MithrilStakeDistribution', epoch: 10 },
    json: '{"MithrilStakeDistribution":10}',
    id: 0,
    feed: be64(10),
  },
  {
    entity: { type: 'CardanoStakeDistribution', epoch: 7 },
    json: '{"CardanoStakeDistribution":7}',
    id: 1,
    feed: be64(7),
  },
  {
    entity: { type: 'CardanoImmutableFilesFull', epoch: 9, immutableFileNumber: 1728 },
    json: '{"CardanoImmutableFilesFull":{"epoch":9,"immutable_file_number":1728}}',
    id: 2,
    feed: be64(9) + be64(1728),
  },
  {
    entity: { type: 'CardanoImmutableFilesFull', network: 'mainnet', epoch: 9, immutableFileNumber: 1728 },
    json: '{"CardanoImmutableFilesFull":{"network":"mainnet","epoch":9,"immutable_file_number":1728}}',
    id: 2,
    feed: Buffer.from('mainnet').toString('hex') + be64(9) + be64(1728),
  },
  {
    entity: { type: 'CardanoTransactions', epoch: 23, blockNumber: 689 },
    json: '{"CardanoTransactions":[23,689]}',
    id: 3,
    feed: be64(23) + be64(689),
  },
  {
    entity: { type: 'CardanoDatabase', epoch: 10, immutableFileNumber: 1728 },
    json: '{"CardanoDatabase":{"epoch":10,"immutable_file_number":1728}}',
    id: 4,
    feed: be64(10) + be64(1728),
  },
  {
    entity: { type: 'CardanoBlocksTransactions', epoch: 22, blockNumber: 660, blockNumberOffset: 1 },
    json: '{"CardanoBlocksTransactions":[22,660,1]}',
    id: 5,
    feed: '0005' + be64(22) + be64(660) + be64(1),
  },
];

describe('protocol/message/signed-entity-type', () => {
  it('encodes and decodes the CertificateMessage JSON of every type', () => {
    for (const { entity, json } of CASES) {
      expect(stringifyJson(signedEntityTypeToJson(entity)), json).to.equal(json);
      expect(signedEntityTypeFromJson(parseJson(json)), json).to.deep.equal(entity);
    }
  });

  it('feeds the certificate hash with the reference bytes of every type', () => {
    for (const { entity, feed, json } of CASES)
      expect(hex(signedEntityTypeFeedHash(entity)), json).to.equal(feed);
  });

  it('tells CardanoTransactions from CardanoBlocksTransactions in the hash', () => {
    const tx = signedEntityTypeFeedHash({ type: 'CardanoTransactions', epoch: 1, blockNumber: 2 });
    const blocks = signedEntityTypeFeedHash({
      type: 'CardanoBlocksTransactions',
      epoch: 1,
      blockNumber: 2,
      blockNumberOffset: 0,
    });
    expect(hex(tx)).to.not.equal(hex(blocks));
  });

  it('gives database ids, signing epochs, timeouts and the discontinued flag', () => {
    for (const { entity, id } of CASES) expect(signedEntityTypeId(entity)).to.equal(id);
    expect(CASES.filter((c) => isDiscontinued(c.entity)).map((c) => c.id)).to.deep.equal([2, 2]);
    expect(epochWhenSigned({ type: 'CardanoStakeDistribution', epoch: 3 })).to.equal(4);
    expect(epochWhenSigned({ type: 'MithrilStakeDistribution', epoch: 3 })).to.equal(3);
    expect(epochWhenSigned({ type: 'CardanoDatabase', epoch: 12, immutableFileNumber: 987 })).to.equal(12);
    expect(openMessageTimeoutSeconds({ type: 'MithrilStakeDistribution', epoch: 1 })).to.equal(3600);
    expect(openMessageTimeoutSeconds({ type: 'CardanoStakeDistribution', epoch: 1 })).to.equal(1800);
    expect(openMessageTimeoutSeconds({ type: 'CardanoTransactions', epoch: 1, blockNumber: 1 })).to.equal(
      600,
    );
  });

  it('compares entities structurally', () => {
    expect(signedEntityTypeEqual(CASES[0]!.entity, { type: 'MithrilStakeDistribution', epoch: 10 })).to.equal(
      true,
    );
    expect(signedEntityTypeEqual(CASES[0]!.entity, { type: 'CardanoStakeDistribution', epoch: 10 })).to.equal(
      false,
    );
  });

  it('rejects unknown and malformed types with typed errors', () => {
    const cases: [string, string][] = [
      ['{"Unknown":1}', 'UNKNOWN_SIGNED_ENTITY_TYPE'],
      ['{}', 'UNKNOWN_SIGNED_ENTITY_TYPE'],
      ['{"MithrilStakeDistribution":1,"CardanoStakeDistribution":1}', 'UNKNOWN_SIGNED_ENTITY_TYPE'],
      ['null', 'INVALID_FIELD'],
      ['"MithrilStakeDistribution"', 'INVALID_FIELD'],
      ['{"MithrilStakeDistribution":"1"}', 'INVALID_FIELD'],
      ['{"MithrilStakeDistribution":-1}', 'INVALID_FIELD'],
      ['{"CardanoTransactions":[1]}', 'INVALID_BEACON'],
      ['{"CardanoBlocksTransactions":[1,2,3,4]}', 'INVALID_BEACON'],
      ['{"CardanoDatabase":{"epoch":1}}', 'MISSING_FIELD'],
      ['{"MithrilStakeDistribution":9007199254740992}', 'OUT_OF_RANGE'],
    ];
    for (const [text, code] of cases) {
      expect(() => signedEntityTypeFromJson(parseJson(text)), text)
        .to.throw()
        .with.property('code', code);
    }
    expect(() => signedEntityTypeFromJson(parseJson('{"Nope":1}'))).to.throw(SignedEntityTypeError);
  });

  describe('beacon derivation from a time point', () => {
    const tp = { epoch: 500, immutableFileNumber: 9000, blockNumber: 10_000_000 };
    it('MithrilStakeDistribution signs the current epoch, CardanoStakeDistribution the previous one', () => {
      expect(timePointToSignedEntityType('MithrilStakeDistribution', tp)).to.deep.equal({
        type: 'MithrilStakeDistribution',
        epoch: 500,
      });
      expect(timePointToSignedEntityType('CardanoStakeDistribution', tp)).to.deep.equal({
        type: 'CardanoStakeDistribution',
        epoch: 499,
      });
      expect(() => timePointToSignedEntityType('CardanoStakeDistribution', { ...tp, epoch: 0 }))
        .to.throw(SignedEntityTypeError)
        .with.property('code', 'EPOCH_UNDERFLOW');
    });

    it('CardanoDatabase takes the epoch and the immutable file number', () => {
      expect(timePointToSignedEntityType('CardanoDatabase', tp)).to.deep.equal({
        type: 'CardanoDatabase',
        epoch: 500,
        immutableFileNumber: 9000,
      });
    });

    it('block-based types follow the reference signing configs (signed_entity_config.rs tests)', () => {
      const tx = (step: number, securityParameter: number, blockNumber: number) =>
        timePointToSignedEntityType(
          'CardanoTransactions',
          { ...tp, blockNumber },
          { cardanoTransactions: { step, securityParameter } },
        );
      const txCases: [number, number, number, number][] = [
        // [step, security parameter, tip block, signed block]
        [15, 0, 105, 104],
        [29, 0, 76, 74], // step rounded down to one block range
        [31, 0, 76, 59], // step rounded down to two block ranges
        [14, 0, 149, 134], // step raised to one block range
        [14, 0, 14, 0], // saturating − 1
        [30, 100, 50, 0], // saturating − security parameter
      ];
      for (const [step, security, tip, signed] of txCases) {
        expect(tx(step, security, tip), `${step}/${security}/${tip}`).to.deep.equal({
          type: 'CardanoTransactions',
          epoch: 500,
          blockNumber: signed,
        });
      }
      const blocks = (step: number, securityParameter: number, blockNumber: number) =>
        timePointToSignedEntityType(
          'CardanoBlocksTransactions',
          { ...tp, blockNumber },
          { cardanoBlocksTransactions: { step, securityParameter } },
        );
      const blockCases: [number, number, number, number][] = [
        [15, 0, 105, 105],
        [15, 5, 100, 90],
        [15, 85, 100, 15],
        [30, 0, 29, 0],
        [30, 100, 50, 0],
        [14, 0, 150, 140],
        [16, 0, 150, 144],
        [21, 0, 150, 147],
        [9, 0, 150, 144],
        [5, 0, 14, 10],
      ];
      for (const [step, security, tip, signed] of blockCases) {
        expect(blocks(step, security, tip), `${step}/${security}/${tip}`).to.deep.equal({
          type: 'CardanoBlocksTransactions',
          epoch: 500,
          blockNumber: signed,
          blockNumberOffset: security,
        });
      }
      expect(() => timePointToSignedEntityType('CardanoTransactions', tp))
        .to.throw(SignedEntityTypeError)
        .with.property('code', 'MISSING_SIGNING_CONFIG');
      expect(() => timePointToSignedEntityType('CardanoImmutableFilesFull', tp))
        .to.throw(SignedEntityTypeError)
        .with.property('code', 'DISCONTINUED_SIGNED_ENTITY_TYPE');
    });
  });
});
