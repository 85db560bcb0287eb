/**
 * Whether this machine can shape links with network namespaces and `tc netem` (root, iproute2,
 * and a kernel with the netem queueing discipline), probed in a throwaway namespace.
 */
import { execFileSync } from 'node:child_process';

/** Undefined when netem works here, else why not (the failing command's message). */
export function netemUnavailableReason(): string | undefined {
  const namespace = `mithril-mesh-probe-${process.pid}`;
  const run = (command: string, args: string[]): void => {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5000 });
  };
  try {
    run('ip', ['netns', 'add', namespace]);
  } catch (error) {
    return `cannot create a network namespace (ip netns add): ${stderrOf(error)}`;
  }
  try {
    run('ip', [
      'netns',
      'exec',
      namespace,
      'tc',
      'qdisc',
      'add',
      'dev',
      'lo',
      'root',
      'netem',
      'delay',
      '1ms',
    ]);
    return undefined;
  } catch (error) {
    return `tc netem does not work in a network namespace: ${stderrOf(error)}`;
  } finally {
    try {
      run('ip', ['netns', 'delete', namespace]);
    } catch {
      // The probe namespace is gone or was never made: nothing to clean.
    }
  }
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr !== undefined && stderr !== '' ? stderr : String(error);
}
