/**
 * `mithril-mesh status --data-dir DIR [--json]`: a node's epoch, peers and latest certificate per
 * type. A stopped node is read from its store; a running one (LevelDB locked) from the
 * `status.json` it keeps up to date.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NodeStatus } from '../../node/status.ts';
import { STATUS_FILE } from '../../node/status.ts';
import { openMeshStore } from '../../node/store/index.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import { ACTIVE_SIGNED_ENTITY_TYPES } from '../../protocol/message/signed-entity-type.ts';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_OK } from './command.ts';

function readStatusFile(dataDir: string): NodeStatus | undefined {
  const file = join(dataDir, STATUS_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NodeStatus;
  } catch (e) {
    throw new CliUsageError(`${file} is not readable JSON: ${(e as Error).message}`);
  }
}

/** The status of the node whose data dir is `dataDir`. */
export async function nodeStatus(dataDir: string): Promise<NodeStatus & { source: 'store' | 'status-file' }> {
  const file = readStatusFile(dataDir);
  let store;
  try {
    store = await openMeshStore({ dataDir });
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    if (e.code === 'LOCKED') {
      if (file === undefined)
        throw new CliUsageError(`the node of ${dataDir} is running but has written no status yet`);
      return { ...file, source: 'status-file' };
    }
    throw new CliUsageError(`cannot read ${dataDir}: ${e.message}`);
  }
  try {
    const latestCertificates: NodeStatus['latestCertificates'] = {};
    const genesis = await store.certificates.genesis();
    if (genesis) latestCertificates.genesis = { hash: genesis.hash, epoch: genesis.epoch };
    for (const type of ACTIVE_SIGNED_ENTITY_TYPES) {
      const latest = await store.certificates.latest(type);
      if (latest) latestCertificates[type] = { hash: latest.hash, epoch: latest.epoch };
    }
    return {
      network: store.network,
      peerId: file?.peerId ?? 'unknown',
      running: false,
      epoch: file?.epoch ?? 0,
      peers: (await store.peers.list()).length,
      lastClosedRegistration: file?.lastClosedRegistration ?? null,
      latestCertificates,
      updatedAt: file?.updatedAt ?? '',
      source: 'store',
    };
  } finally {
    await store.close();
  }
}

export function formatStatus(status: NodeStatus & { source: string }): string[] {
  const lines = [
    status.running
      ? `node ${status.peerId} on ${status.network}: running, epoch ${status.epoch}, ${status.peers} peers connected (as of ${status.updatedAt})`
      : `node ${status.peerId} on ${status.network}: stopped (last seen in epoch ${status.epoch}), ${status.peers} peers remembered`,
    status.lastClosedRegistration
      ? `registration: last closed for epoch ${status.lastClosedRegistration.epoch} (${status.lastClosedRegistration.signers} signers)`
      : 'registration: none closed yet',
  ];
  const entries = Object.entries(status.latestCertificates);
  lines.push(entries.length === 0 ? 'certificates: none' : 'certificates (latest per type):');
  const width = Math.max(0, ...entries.map(([type]) => type.length));
  for (const [type, c] of entries) lines.push(`  ${type.padEnd(width)}  epoch ${c!.epoch}  ${c!.hash}`);
  return lines;
}

export const statusCommand: Command = {
  name: 'status',
  summary: "a node's epoch, peers and latest certificates",
  usage: 'usage: mithril-mesh status --data-dir DIR [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { 'data-dir': { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    });
    if (!values['data-dir']) throw new CliUsageError('--data-dir DIR is required');
    const status = await nodeStatus(values['data-dir']);
    if (values.json) io.out(JSON.stringify(status, null, 2));
    else for (const line of formatStatus(status)) io.out(line);
    return EXIT_OK;
  },
};
