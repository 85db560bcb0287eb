/**
 * The `mithril-mesh` command line. `main` never throws: every failure becomes a message on
 * stderr and an exit status (0 ok, 1 the command's check failed, 2 bad usage or input).
 */
import type { CliIo, Command } from './commands/command.ts';
import { CliUsageError, EXIT_FAILED, EXIT_USAGE } from './commands/command.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { devnetCommand } from './commands/devnet.ts';
import { genesisCommand } from './commands/genesis.ts';
import { keygenCommand } from './commands/keygen.ts';
import { simulateCommand } from './commands/simulate.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { verifyChainCommand } from './commands/verify-chain.ts';

const COMMANDS: Command[] = [
  startCommand,
  devnetCommand,
  verifyChainCommand,
  statusCommand,
  genesisCommand,
  keygenCommand,
  simulateCommand,
];

const consoleIo: CliIo = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: mithril-mesh <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'mithril-mesh <command> --help' for a command's options.",
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = consoleIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(helpText());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`mithril-mesh: unknown command '${name}'\n\n${helpText()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    // node:util parseArgs reports unknown or malformed flags with ERR_PARSE_ARGS_* codes.
    const parseArgsError = String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    if (e instanceof CliUsageError || parseArgsError) {
      io.err(`mithril-mesh ${name}: ${(e as Error).message}\n\n${command.usage}`);
      return EXIT_USAGE;
    }
    if (e instanceof ProtocolError) {
      io.err(`mithril-mesh ${name}: ${e.message} [${e.code}]`);
      return EXIT_USAGE;
    }
    io.err(`mithril-mesh ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILED;
  }
}
