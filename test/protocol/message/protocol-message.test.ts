import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { parseJson, stringifyJson } from '../../../protocol/codec/json.ts';
import {
  PROTOCOL_MESSAGE_PART_KEYS,
  ProtocolMessage,
  ProtocolMessageError,
} from '../../../protocol/message/protocol-message.ts';

const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('protocol/message/protocol-message', () => {
  it('reproduces the reference legacy-hash golden', () => {
    const message = new ProtocolMessage()
      .set('next_aggregate_verification_key', 'next-avk-123')
      .set('snapshot_digest', 'snapshot-digest-123');
    expect(message.computeHash()).to.equal(
      '71dee1e558cd647cdbc219a24b766940f568e7e8287c30a8292209ef11666e03',
    );
  });

  it('hashes key ‖ value in enum order (hand-computed SHA-256)', () => {
    const message = new ProtocolMessage()
      .set('current_epoch', '42')
      .set('next_protocol_parameters', 'pp')
      .set('cardano_transactions_merkle_root', 'ctx')
      .set('next_aggregate_verification_key', 'avk');
    const expected = sha256Hex(
      'cardano_transactions_merkle_rootctx' +
        'next_aggregate_verification_keyavk' +
        'next_protocol_parameterspp' +
        'current_epoch42',
    );
    expect(message.computeHash()).to.equal(expected);
    expect(Buffer.from(message.computeHashBytes()).toString('hex')).to.equal(expected);
  });

  it('hashes the empty message as SHA-256 of nothing', () => {
    expect(new ProtocolMessage().computeHash()).to.equal(sha256Hex(''));
  });

  it('orders every key by declaration, not alphabetically, whatever the insertion order', () => {
    const message = new ProtocolMessage();
    for (const key of [...PROTOCOL_MESSAGE_PART_KEYS].reverse()) message.set(key, key.length.toString());
    expect(message.entries().map(([k]) => k)).to.deep.equal([...PROTOCOL_MESSAGE_PART_KEYS]);
    const alphabetical = [...PROTOCOL_MESSAGE_PART_KEYS].sort();
    expect(alphabetical).to.not.deep.equal([...PROTOCOL_MESSAGE_PART_KEYS]);
  });

  it('gives the same hash for any set order and changes with any part', () => {
    const a = new ProtocolMessage()
      .set('cardano_blocks_transactions_merkle_root', 'A')
      .set('cardano_database_merkle_root', 'B');
    const b = new ProtocolMessage()
      .set('cardano_database_merkle_root', 'B')
      .set('cardano_blocks_transactions_merkle_root', 'A');
    expect(a.computeHash()).to.equal(b.computeHash());
    expect(a.equals(b)).to.equal(true);
    for (const key of PROTOCOL_MESSAGE_PART_KEYS) {
      expect(a.clone().set(key, 'other').computeHash(), key).to.not.equal(a.computeHash());
    }
  });

  it('serializes {"message_parts":{…}} in canonical order and parses it back', () => {
    const message = new ProtocolMessage()
      .set('current_epoch', '15')
      .set('next_protocol_parameters', 'c36d')
      .set('next_aggregate_verification_key', '7b22');
    const text = stringifyJson(message.toJson());
    expect(text).to.equal(
      '{"message_parts":{"next_aggregate_verification_key":"7b22","next_protocol_parameters":"c36d","current_epoch":"15"}}',
    );
    const back = ProtocolMessage.fromJson(parseJson(text));
    expect(back.equals(message)).to.equal(true);
    expect(stringifyJson(back.toJson())).to.equal(text);
  });

  it('re-sorts parts given out of order in JSON', () => {
    const back = ProtocolMessage.fromJson(
      parseJson('{"message_parts":{"current_epoch":"1","snapshot_digest":"d"},"hash_scheme":"legacy"}'),
    );
    expect(stringifyJson(back.toJson())).to.equal(
      '{"message_parts":{"snapshot_digest":"d","current_epoch":"1"}}',
    );
  });

  it('rejects unknown part keys, the rigid hash scheme and non-string values with typed errors', () => {
    const cases: [string, string][] = [
      ['{"message_parts":{"not_a_key":"x"}}', 'UNKNOWN_PART_KEY'],
      ['{"message_parts":{},"hash_scheme":"rigid"}', 'UNSUPPORTED_HASH_SCHEME'],
      ['{"message_parts":{"current_epoch":1}}', 'INVALID_FIELD'],
      ['{}', 'MISSING_FIELD'],
      ['[]', 'INVALID_FIELD'],
    ];
    for (const [text, code] of cases) {
      expect(() => ProtocolMessage.fromJson(parseJson(text)), text)
        .to.throw()
        .with.property('code', code);
    }
    expect(() => new ProtocolMessage().set('bogus' as never, 'x')).to.throw(ProtocolMessageError);
  });
});
