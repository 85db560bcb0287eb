/** The STM codecs: serde JSON, JSON-hex, CBOR v1 + legacy bytes (reference `from_bytes`), wire form. */
export * from './json.ts';
export * from './shape.ts';
export * from './stm-json.ts';
export * from './json-hex.ts';
export * from './cbor.ts';
export * from './legacy-bytes.ts';
export * from './stm-cbor.ts';
export * from './wire.ts';
