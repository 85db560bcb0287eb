/**
 * `mithril-mesh devnet`: a local network of node processes on loopback. Creates (or resumes)
 * keys, a stake distribution and configurations under --data-dir, starts node 1, then the others
 * with node 1 as their only bootstrap peer (they find each other through the DHT), shows progress
 * per epoch, and stops every node cleanly on Ctrl-C (or after --epochs epochs).
 */
import { parseArgs } from 'node:util';
import type { Command } from './command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_OK } from './command.ts';
import { DevnetProgress } from '../devnet/progress.ts';
import type { DevnetPlan } from '../devnet/plan.ts';
import { GENESIS_EPOCH, createOrLoadDevnet, recordStop, writeNodeConfig } from '../devnet/plan.ts';
import { verifyDevnetChains } from '../devnet/verify.ts';
import type { NodeProcess } from '../devnet/supervisor.ts';
import { startNodeProcess, stopNodeProcesses } from '../devnet/supervisor.ts';
import type { EventLine } from '../devnet/event-lines.ts';

const DEFAULT_NODES = 5;
/** Certified epochs before the devnet stops by itself (0: run until Ctrl-C). */
const DEFAULT_EPOCHS = 3;
/** 20 s epochs: registration, closing and signing fit with room for gossip on 2 cores. */
const DEFAULT_EPOCH_SECONDS = 20;
/** A node that has not said where it listens by then did not start. */
const LISTEN_TIMEOUT_MS = 30_000;
const DEFAULT_DATA_DIR = '.devnet';
/** Agreement must hold for a fifth of an epoch (two certificate anti-entropy rounds) before stopping. */
const SETTLE_EPOCH_FRACTION = 5;

function positiveInt(
  value: string | undefined,
  flag: string,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (!/^[1-9]\d*$/.test(value)) throw new CliUsageError(`${flag} must be a positive integer`);
  return Number(value);
}

function firstLoopbackAddress(multiaddrs: string[], peerId: string): string | undefined {
  const address = multiaddrs.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/')) ?? multiaddrs[0];
  if (address === undefined) return undefined;
  return address.includes('/p2p/') ? address : `${address}/p2p/${peerId}`;
}

async function runDevnet(
  plan: DevnetPlan,
  epochs: number | undefined,
  io: { out(line: string): void; err(line: string): void },
): Promise<number> {
  const { manifest } = plan;
  const progress = new DevnetProgress(manifest.nodes);
  const processes: NodeProcess[] = [];
  const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const started = Date.now();
  const say = (line: string): void => io.out(`${stamp()} ${line}`);
  let listening: ((event: EventLine) => void) | undefined;
  const onEvent = (index: number, event: EventLine): void => {
    if (index === 1 && event.event === 'node:listening') listening?.(event);
    const line = progress.record(index, event);
    if (line) say(line);
    // Stop once every node has held the same last certificates for a while: a candidate still in
    // flight may displace one (anti-entropy rounds run every tenth of an epoch).
    if (lastEpoch !== undefined && !stopping && event.event === 'certificate:stored') {
      clearTimeout(settleTimer);
      if (progress.allHold(lastBeacons)) {
        settleTimer = setTimeout(
          () => {
            if (stopping || !progress.allHold(lastBeacons)) return;
            for (const summary of progress.epochSummary(lastEpoch)) say(summary);
            stop(`every node holds the same certificates of epoch ${lastEpoch}`, EXIT_OK);
          },
          (manifest.epochSeconds * 1000) / SETTLE_EPOCH_FRACTION,
        );
      }
    }
  };
  const onOutput = (index: number, line: string): void => io.err(`node ${index}: ${line}`);

  let stopping = false;
  let settleTimer: NodeJS.Timeout | undefined;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const epochMs = manifest.epochSeconds * 1000;
  const epochAt = (t: number): number => Math.max(0, Math.floor((t - manifest.genesisTimeMs) / epochMs));
  // The last certified epoch: the genesis carries the set recorded at GENESIS_EPOCH and certificates
  // start in the next epoch; a resumed devnet goes on from the epoch it stopped in.
  const firstEpoch = Math.max(GENESIS_EPOCH, manifest.stoppedInEpoch ?? 0);
  const lastEpoch = epochs === undefined ? undefined : firstEpoch + epochs;
  const lastBeacons =
    lastEpoch === undefined
      ? []
      : [`MithrilStakeDistribution(${lastEpoch})`, `CardanoStakeDistribution(${lastEpoch - 1})`];
  const stop = (why: string, code: number): void => {
    if (stopping) return;
    stopping = true;
    say(`${why}: stopping ${processes.length} nodes ...`);
    void stopNodeProcesses(processes).then(() => finish(code));
  };
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = true;
    stop(`${signal} received`, EXIT_OK);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let epochTimer: NodeJS.Timeout | undefined;
  const scheduleEpochEnd = (): void => {
    const epoch = epochAt(Date.now());
    const endsAt = manifest.genesisTimeMs + (epoch + 1) * epochMs;
    epochTimer = setTimeout(
      () => {
        for (const line of progress.epochSummary(epoch)) say(line);
        // A fallback: one more epoch than needed, then stop whatever the certificates.
        if (lastEpoch !== undefined && epoch >= lastEpoch + 1) {
          stop(
            `epoch ${epoch} ended without every certificate of epoch ${lastEpoch} on every node`,
            EXIT_FAILED,
          );
        } else scheduleEpochEnd();
      },
      Math.max(0, endsAt - Date.now()),
    );
  };

  try {
    say(
      `${plan.resumed ? 'resuming' : 'created'} devnet of ${manifest.nodes} nodes in ${plan.dir} ` +
        `(epochs of ${manifest.epochSeconds} s, k=${manifest.parameters.k} m=${manifest.parameters.m} phi_f=${manifest.parameters.phiF})`,
    );
    const firstListening = new Promise<EventLine>((resolve, reject) => {
      listening = resolve;
      setTimeout(
        () => reject(new Error(`node 1 did not start within ${LISTEN_TIMEOUT_MS} ms`)),
        LISTEN_TIMEOUT_MS,
      ).unref();
    });
    processes.push(startNodeProcess(1, writeNodeConfig(plan, 1, []), { onEvent, onOutput }));
    const first = (await firstListening).data as { peerId: string; multiaddrs: string[] };
    const bootstrap = firstLoopbackAddress(first.multiaddrs, first.peerId);
    if (bootstrap === undefined) throw new Error('node 1 reported no listening address');
    say(`bootstrap address: ${bootstrap}`);
    for (let i = 2; i <= manifest.nodes; i++) {
      processes.push(startNodeProcess(i, writeNodeConfig(plan, i, [bootstrap]), { onEvent, onOutput }));
    }
    for (const p of processes) {
      void p.exited.then((code) => {
        if (!stopping) say(`node ${p.index} exited unexpectedly (${code})`);
      });
    }
    scheduleEpochEnd();
    const code = await finished;
    recordStop(plan, epochAt(Date.now()));
    say(`all nodes stopped; data in ${plan.dir}`);
    if (lastEpoch === undefined) return code;
    // Interrupted (Ctrl-C) before the end: verify what there is, an empty chain is no failure.
    const verified = await verifyDevnetChains(plan, { allowEmpty: interrupted });
    for (const line of verified.lines) say(line);
    return code === EXIT_OK && verified.ok ? EXIT_OK : EXIT_FAILED;
  } catch (e) {
    stop(`devnet failed: ${(e as Error).message}`, EXIT_FAILED);
    return finished;
  } finally {
    clearTimeout(epochTimer);
    clearTimeout(settleTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const devnetCommand: Command = {
  name: 'devnet',
  summary: 'run a local devnet of node processes on loopback',
  usage: [
    'usage: mithril-mesh devnet [--nodes N] [--epochs E] [--epoch-seconds S] [--data-dir DIR]',
    '',
    `Defaults: ${DEFAULT_NODES} nodes, ${DEFAULT_EPOCHS} certified epochs, epochs of ${DEFAULT_EPOCH_SECONDS} s, data in ${DEFAULT_DATA_DIR}.`,
    'Stops once every node holds the certificates of the last epoch (--epochs 0: run until Ctrl-C),',
    "then verifies each node's stored chain. Re-running with the same data dir resumes it.",
  ].join('\n'),
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        nodes: { type: 'string' },
        epochs: { type: 'string' },
        'epoch-seconds': { type: 'string' },
        'data-dir': { type: 'string' },
      },
      strict: true,
    });
    const nodes = positiveInt(values.nodes, '--nodes', DEFAULT_NODES)!;
    const plan = createOrLoadDevnet({
      dir: values['data-dir'] ?? DEFAULT_DATA_DIR,
      nodes,
      epochSeconds: positiveInt(values['epoch-seconds'], '--epoch-seconds', DEFAULT_EPOCH_SECONDS)!,
      now: Date.now(),
    });
    const epochs = values.epochs === '0' ? undefined : positiveInt(values.epochs, '--epochs', DEFAULT_EPOCHS);
    return runDevnet(plan, epochs, io);
  },
};
