/**
 * A simulated node alone in its own process (`processes: separate`), driven over the IPC channel
 * by `child-node.ts`: it makes its signers' keys (and preloaded registrations, whose BLS keys stay
 * here) while loading, writes the preloaded signer sets into its store on `preload`, builds the
 * node of the `start` message's spec, forwards its events, answers `stats` with its own CPU time
 * and peak RSS added, and exits after `stop`.
 */
import { loadBlsBackend } from '../../protocol/crypto/bls/index.ts';
import type { ChildPreparation, ChildRequest, ChildReply } from './child-node.ts';
import { makeRegistrations, writePreload } from './preload.ts';
import { RunningNode, simulatedIdentities } from './sim-node.ts';

/** Peak memory is sampled once a second. */
const RSS_SAMPLE_MS = 1000;
const US_PER_SECOND = 1_000_000;

// After the parent has gone (a run interrupted), events still due are dropped: sending on the
// closed channel would crash the process before its node stops.
const send = (reply: ChildReply): void => {
  if (process.connected) process.send?.(reply);
};

let running: RunningNode | undefined;
let cpuStart: NodeJS.CpuUsage | undefined;
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, RSS_SAMPLE_MS);

async function handle(request: ChildRequest): Promise<void> {
  switch (request.type) {
    case 'start': {
      // CPU from here: module loading (TypeScript transpiling) is the harness's, not the node's.
      cpuStart = process.cpuUsage();
      running = await RunningNode.start(
        request.spec,
        identities,
        bls,
        (name, payload, atMs) => send({ type: 'event', name, payload, atMs }),
        (error) => send({ type: 'failed', message: String(error) }),
      );
      send({ type: 'started', peerId: running.peerId, address: running.address ?? null });
      return;
    }
    case 'preload':
      await writePreload(request.dataDir, request.network, request.preload, prepared.keys);
      send({ type: 'preloaded' });
      return;
    case 'stats': {
      if (running === undefined) throw new Error('stats before start');
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const cpu = process.cpuUsage(cpuStart);
      send({
        type: 'stats',
        id: request.id,
        stats: {
          ...running.stats(request.peers),
          cpuSeconds: (cpu.user + cpu.system) / US_PER_SECOND,
          peakRssBytes: peakRss,
        },
      });
      return;
    }
    case 'stop':
      await running?.stop();
      clearInterval(rssTimer);
      send({ type: 'stopped' });
      process.disconnect?.();
      return;
  }
}

process.on('message', (request: ChildRequest) => {
  handle(request).catch((error: unknown) => {
    send({
      type: 'failed',
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  });
});
// Ready once the BLS backend (WASM) is loaded and the keys are made: starting the node is then all
// that is left, and runs start their clock after every process is ready.
const bls = await loadBlsBackend('mcl');
const preparation = JSON.parse(process.argv[2] ?? 'null') as ChildPreparation;
const identities = simulatedIdentities(preparation.seed, preparation.signers);
const prepared = await makeRegistrations(
  preparation.seed,
  preparation.signers,
  identities,
  bls,
  preparation.preload,
);
send({ type: 'ready', registrations: prepared.registrations });
// The parent went away (its run ended or crashed): nothing is left to report to.
process.on('disconnect', () => {
  clearInterval(rssTimer);
  void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(0));
});
