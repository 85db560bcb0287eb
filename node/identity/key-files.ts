/**
 * The key directory of one pool, as `mithril-mesh keygen` writes it and a node loads it; file
 * names as cardano-cli's documentation uses them.
 */
export const KEY_FILES = {
  coldSigningKey: 'cold.skey',
  coldVerificationKey: 'cold.vkey',
  kesSigningKey: 'kes.skey',
  kesVerificationKey: 'kes.vkey',
  operationalCertificate: 'opcert.cert',
} as const;
