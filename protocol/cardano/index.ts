/** Cardano-side cryptography and encodings of a Mithril signer: pool identity, KES, opcerts, genesis keys, DMQ ids. */
export * from './ed25519.ts';
export * from './pool-id.ts';
export * from './kes.ts';
export * from './opcert.ts';
export * from './text-envelope.ts';
export * from './key-certification.ts';
export * from './genesis-key.ts';
export * from './dmq.ts';
export * from './operator-keys.ts';
