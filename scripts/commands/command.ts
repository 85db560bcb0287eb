/** One CLI sub-command: `mithril-mesh <name> [options]`. `run` resolves to the exit status. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Where a command writes; injected so tests capture output instead of touching the console. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Wrong flags or unreadable inputs: printed with the usage, exit status 2. */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** Exit statuses shared by every command. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
