/**
 * `mithril-mesh start --config FILE`: runs one node until SIGINT or SIGTERM, then stops it
 * cleanly (services, libp2p, LevelDB). With `--events json` every node event is printed as one
 * JSON line on stdout (the devnet and simulations read them).
 */
import { parseArgs } from 'node:util';
import type { NodeConfigInput } from '../../node/config/index.ts';
import { describeConfig, loadNodeConfig } from '../../node/config/index.ts';
import { MeshNode } from '../../node/mesh-node.ts';
import type { EventLineMap, EventLineName } from '../devnet/event-lines.ts';
import { formatEventLine } from '../devnet/event-lines.ts';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_OK } from './command.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'run one node until Ctrl-C',
  usage: [
    'usage: mithril-mesh start --config FILE [--events json|text] [--data-dir DIR] [--bootstrap ADDR]...',
    '',
    'FILE is JSON or YAML (see docs/node-design.md); MITHRIL_MESH_* environment variables and the',
    'flags override it. --events json prints every node event as one JSON line on stdout.',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        events: { type: 'string', default: 'text' },
        'data-dir': { type: 'string' },
        bootstrap: { type: 'string', multiple: true },
      },
      strict: true,
    });
    if (values.events !== 'json' && values.events !== 'text')
      throw new CliUsageError('--events must be json or text');
    const overrides: NodeConfigInput = {
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
      ...(values.bootstrap !== undefined ? { bootstrap: values.bootstrap } : {}),
    };
    const config = await loadNodeConfig({
      ...(values.config !== undefined ? { file: values.config } : {}),
      env: process.env,
      overrides,
    });
    const json = values.events === 'json';
    const emit = <K extends EventLineName>(event: K, data: EventLineMap[K]): void => {
      if (json) io.out(formatEventLine(Date.now(), event, data));
    };
    if (!json) io.out(describeConfig(config));

    const node = await MeshNode.create({ config });
    node.events.onAny((name, payload) => emit(name, payload as EventLineMap[typeof name]));
    const stopped = new Promise<string>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    try {
      await node.start();
      emit('node:listening', { peerId: node.peerId, multiaddrs: node.multiaddrs() });
      if (!json) io.out(`listening as ${node.peerId} on ${node.multiaddrs().join(', ')}`);
      const signal = await stopped;
      emit('node:stopping', { signal });
      if (!json) io.out(`${signal}: stopping`);
    } finally {
      await node.stop();
    }
    return EXIT_OK;
  },
};
