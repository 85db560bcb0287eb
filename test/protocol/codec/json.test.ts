import { expect } from 'chai';
import fc from 'fast-check';
import type { JsonValue } from '../../../protocol/codec/json.ts';
import {
  expectByteArray,
  expectSafeUint,
  expectU64,
  JsonDecodeError,
  parseJson,
  stringifyJson,
} from '../../../protocol/codec/json.ts';

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
  ),
})).value as fc.Arbitrary<JsonValue>;

describe('protocol/codec/json (serde_json compatible)', () => {
  it('keeps integers above 2^53 exact', () => {
    const text = '{"total_stake":22000000000000001,"nr_leaves":3}';
    const v = parseJson(text);
    expect(v).to.deep.equal({ total_stake: 22000000000000001n, nr_leaves: 3n });
    expect(stringifyJson(v)).to.equal(text);
  });

  it('formats f64 as serde_json does', () => {
    expect(stringifyJson(0.65)).to.equal('0.65');
    expect(stringifyJson(1)).to.equal('1.0');
    expect(stringifyJson(1e21)).to.equal('1e21');
    expect(stringifyJson(1e-7)).to.equal('1e-7');
    expect(parseJson('1.0')).to.equal(1);
    expect(parseJson('1')).to.equal(1n);
  });

  it('keeps declaration (insertion) order and writes compact output', () => {
    const v = parseJson('{ "m" : 10, "k" : 5, "phi_f" : 0.8 }');
    expect(stringifyJson(v)).to.equal('{"m":10,"k":5,"phi_f":0.8}');
  });

  it('round-trips any value', () => {
    fc.assert(
      fc.property(jsonValue, (v) => {
        const text = stringifyJson(v);
        expect(stringifyJson(parseJson(text))).to.equal(text);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects malformed text with JsonDecodeError only', () => {
    for (const bad of ['', '{', '[1,]', '{"a":1,"a":2}', '01', '"\\x"', 'nul', '[1] 2', '{"a" 1}', '1e999']) {
      expect(() => parseJson(bad), bad).to.throw(JsonDecodeError);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseJson(s);
        } catch (e) {
          expect(e).to.be.instanceOf(JsonDecodeError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('enforces depth and size limits', () => {
    expect(() => parseJson('['.repeat(100) + ']'.repeat(100))).to.throw(JsonDecodeError, /nesting/);
    expect(() => parseJson('[1,2,3]', { maxLength: 3, maxDepth: 4 })).to.throw(JsonDecodeError, /longer/);
  });

  it('typed accessors check ranges', () => {
    expect(expectU64(18446744073709551615n, 'stake')).to.equal(18446744073709551615n);
    expect(() => expectU64(18446744073709551616n, 'stake')).to.throw(JsonDecodeError, /2\^64-1/);
    expect(() => expectU64(-1n, 'stake')).to.throw(JsonDecodeError);
    expect(() => expectU64(1.5, 'stake')).to.throw(JsonDecodeError);
    expect(() => expectSafeUint(1n << 60n, 'index')).to.throw(JsonDecodeError, /2\^53-1/);
    expect(expectByteArray(parseJson('[0,255]'), 'b')).to.deep.equal(new Uint8Array([0, 255]));
    expect(() => expectByteArray(parseJson('[256]'), 'b')).to.throw(JsonDecodeError);
    expect(() => expectByteArray(parseJson('[1,2]'), 'b', 3)).to.throw(JsonDecodeError, /expected 3/);
  });
});
