/**
 * A simulated node in a child process of its own (`processes: separate`): the child
 * (node-process.ts) is forked with TypeScript and the Node 20 polyfill loaded, and driven over
 * the IPC channel (structured clone, so bigints and byte arrays cross it intact). A failure of
 * the process (it dies, or its node reports one) reaches the run as a `ChildNodeError` CHILD.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ProtocolError } from '../../protocol/errors.ts';
import type { MeshEventName } from '../../node/events.ts';
import type { PreloadEpoch, PreloadedRegistration, SignerSetsPreload } from './preload.ts';
import type { SimEventListener, SimNode, SimNodeSpec, SimNodeStats } from './sim-node.ts';

/**
 * What a process makes while loading (its command-line argument, as JSON): its signers' keys, and
 * their registrations for `preload` (preloaded signer sets).
 */
export interface ChildPreparation {
  seed: number;
  signers: readonly number[];
  preload: readonly PreloadEpoch[];
}

export type ChildRequest =
  | { type: 'preload'; dataDir: string; network: string; preload: SignerSetsPreload }
  | { type: 'start'; spec: SimNodeSpec }
  | { type: 'stats'; id: number; peers: readonly string[] }
  | { type: 'stop' };

export type ChildReply =
  | { type: 'ready'; registrations: PreloadedRegistration[] }
  | { type: 'preloaded' }
  | { type: 'started'; peerId: string; address: string | null }
  | { type: 'event'; name: MeshEventName | 'sim:quorum'; payload: unknown; atMs: number }
  | { type: 'stats'; id: number; stats: SimNodeStats }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

/** Code: CHILD (a node process failed to start, died, or reported a failure). */
export class ChildNodeError extends ProtocolError {}

/** A child that does not exit this long after `stop` is killed. */
const STOP_GRACE_MS = 10_000;

/** Set to a directory, every node process writes a V8 CPU profile there when it exits (`node --cpu-prof`). */
export const CPU_PROFILE_DIR_ENV = 'MITHRIL_MESH_SIMNET_CPU_PROFILE_DIR';

const ENTRY = fileURLToPath(new URL('./node-process.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
const POLYFILL = import.meta.resolve('../../node/runtime/polyfill.ts');

/** A forked node process: its modules load while others start; then `start` builds and starts its node. */
export interface NodeProcess {
  /** Resolves once the process has loaded its modules and made its signers' keys: their preloaded registrations. */
  readonly ready: Promise<PreloadedRegistration[]>;
  /** Writes the preloaded signer sets (with its own signers' keys) into the store of `dataDir`. */
  preload(dataDir: string, network: string, preload: SignerSetsPreload): Promise<void>;
  start(spec: SimNodeSpec, onEvent: SimEventListener, onError: (error: unknown) => void): Promise<SimNode>;
  /** Ends a process that was never started (a run that failed first). */
  kill(): void;
}

/** Forks a node process (one per node incarnation) that prepares `preparation` while it loads. */
export function forkNodeProcess(index: number, preparation: ChildPreparation): NodeProcess {
  const child: ChildProcess = fork(ENTRY, [JSON.stringify(preparation)], {
    execArgv: [
      '--import',
      TSX,
      '--import',
      POLYFILL,
      ...(process.env[CPU_PROFILE_DIR_ENV]
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env[CPU_PROFILE_DIR_ENV]}`]
        : []),
    ],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pendingStats = new Map<number, (stats: SimNodeStats) => void>();
  let nextId = 0;
  let stopping = false;
  let onEvent: SimEventListener = () => undefined;
  let onError: (error: unknown) => void = () => undefined;
  let onReady: ((registrations: PreloadedRegistration[]) => void) | undefined;
  let onPreloaded: (() => void) | undefined;
  let onStarted: ((reply: { peerId: string; address: string | null }) => void) | undefined;
  /** Set while waiting for `ready`, `preloaded` or `started`: a failure then rejects that wait. */
  let onStartFailed: ((error: Error) => void) | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const fail = (message: string): void => {
    const error = new ChildNodeError('CHILD', `node ${index} process: ${message}`);
    if (onStartFailed !== undefined) onStartFailed(error);
    else onError(error);
  };
  child.on('message', (reply: ChildReply) => {
    switch (reply.type) {
      case 'event':
        onEvent(reply.name, reply.payload, reply.atMs);
        return;
      case 'ready':
        onReady?.(reply.registrations);
        return;
      case 'preloaded':
        onPreloaded?.();
        return;
      case 'started':
        onStarted?.(reply);
        return;
      case 'stats':
        pendingStats.get(reply.id)?.(reply.stats);
        pendingStats.delete(reply.id);
        return;
      case 'failed':
        fail(reply.message);
        return;
      case 'stopped':
        return;
    }
  });
  child.once('exit', (code, signal) => {
    if (!stopping) fail(`exited unexpectedly (code ${code}, signal ${signal})`);
  });
  const ready = new Promise<PreloadedRegistration[]>((resolve, reject) => {
    onReady = resolve;
    onStartFailed = reject;
  }).finally(() => {
    onReady = undefined;
    onStartFailed = undefined;
  });
  // A process that fails before anyone awaits `ready` must not be an unhandled rejection.
  ready.catch(() => undefined);

  const stop = async (): Promise<void> => {
    if (stopping) return exited;
    stopping = true;
    if (child.connected) child.send({ type: 'stop' } satisfies ChildRequest);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  return {
    ready,
    kill: () => {
      stopping = true;
      child.kill('SIGKILL');
    },
    async preload(dataDir, network, preload) {
      await ready;
      await new Promise<void>((resolve, reject) => {
        onPreloaded = resolve;
        onStartFailed = reject;
        child.send({ type: 'preload', dataDir, network, preload } satisfies ChildRequest);
      }).finally(() => {
        onPreloaded = undefined;
        onStartFailed = undefined;
      });
    },
    async start(spec, eventListener, errorListener) {
      await ready;
      onEvent = eventListener;
      const started = await new Promise<{ peerId: string; address: string | null }>((resolve, reject) => {
        onStarted = resolve;
        onStartFailed = reject;
        child.send({ type: 'start', spec } satisfies ChildRequest);
      }).finally(() => {
        onStarted = undefined;
        onStartFailed = undefined;
      });
      onError = errorListener;
      return {
        index: spec.index,
        peerId: started.peerId,
        address: started.address ?? undefined,
        stats: (peers) =>
          new Promise<SimNodeStats>((resolve, reject) => {
            if (child.exitCode !== null || !child.connected) {
              reject(new ChildNodeError('CHILD', `node ${index} process is gone`));
              return;
            }
            const id = nextId++;
            pendingStats.set(id, resolve);
            child.send({ type: 'stats', id, peers } satisfies ChildRequest);
          }),
        stop,
      };
    },
  };
}
