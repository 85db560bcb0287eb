/**
 * Runs node processes (`mithril-mesh start --events json`), reads their event lines, and stops
 * them all on request: SIGTERM, then SIGKILL for any still alive after a grace period.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { EventLine } from './event-lines.ts';
import { parseEventLine } from './event-lines.ts';

const CLI = fileURLToPath(new URL('../bin/mithril-mesh.js', import.meta.url));
/** Time a node gets to close LevelDB and libp2p after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface NodeProcess {
  index: number;
  child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<number | string>;
}

export interface SuperviseOptions {
  onEvent(index: number, event: EventLine): void;
  /** Non-event output lines (stderr and stray stdout), for logs. */
  onOutput(index: number, line: string): void;
}

export function startNodeProcess(index: number, configFile: string, options: SuperviseOptions): NodeProcess {
  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile, '--events', 'json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const event = parseEventLine(line);
    if (event) options.onEvent(index, event);
    else options.onOutput(index, line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => options.onOutput(index, line));
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
  });
  return { index, child, exited };
}

/** Stops every process that is still running; resolves when all have exited. */
export async function stopNodeProcesses(processes: NodeProcess[]): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), STOP_GRACE_MS);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}
