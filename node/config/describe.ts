/**
 * A one-screen summary of a node configuration for the startup log. The configuration holds no
 * secret (key directories are paths; keys are read by `node/identity`), and long lists are cut
 * so the summary stays short.
 */
import type { NodeConfig } from './types.ts';

/** Items shown per list before "… and N more". */
const LIST_ITEMS_SHOWN = 3;
const LABEL_WIDTH = 20;
const PERCENT = 100;

function list(items: readonly string[]): string {
  if (items.length === 0) return '(none)';
  const shown = items.slice(0, LIST_ITEMS_SHOWN).join(', ');
  const rest = items.length - LIST_ITEMS_SHOWN;
  return rest > 0 ? `${shown} … and ${rest} more` : shown;
}

export function describeConfig(config: NodeConfig): string {
  const { chain, protocol, p2p, registration } = config;
  const rows: [string, string][] = [
    ['network', config.network],
    ['data dir', config.dataDir],
    ['listen', list(config.listen)],
    ['announce', p2p.announce === undefined ? '(listen addresses)' : list(p2p.announce)],
    ['bootstrap', list(config.bootstrap)],
    [
      'identities',
      config.identities.length === 0 ? '(none)' : `${config.identities.length}: ${list(config.identities)}`,
    ],
    ['aggregator', config.aggregator ? 'yes' : 'no'],
    [
      'chain',
      `genesis ${new Date(chain.genesisTimeMs).toISOString()}, epochs of ${chain.epochLengthSeconds} s, ` +
        `slots of ${chain.slotLengthMs} ms, ${chain.slotsPerKesPeriod} slots per KES period`,
    ],
    ['stake distribution', chain.stakeDistributionFile],
    ['protocol', `k=${protocol.k} m=${protocol.m} phi_f=${protocol.phiF}`],
    ['signed entity types', config.signedEntityTypes.join(', ')],
    ['peers', `target ${p2p.targetPeers}, max ${p2p.maxPeers}${p2p.loopback ? ', loopback mode' : ''}`],
    [
      'registration',
      `closes at ${Math.round(registration.closeFraction * PERCENT)} % of the epoch, ` +
        `re-announced every ${registration.reannounceSeconds} s`,
    ],
    ['log level', config.log.level],
  ];
  return rows.map(([label, value]) => `${label.padEnd(LABEL_WIDTH)}${value}`).join('\n');
}
