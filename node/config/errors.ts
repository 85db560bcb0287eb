/**
 * Configuration problems. A config is checked as a whole and every problem is reported at once,
 * each with the path of the offending value (`chain.epochLengthSeconds`, `bootstrap[1]`), so an
 * operator fixes a file in one pass instead of one error per restart.
 */
import { ProtocolError } from '../../protocol/errors.ts';

export interface ConfigProblem {
  /** Dotted path of the value, with `[i]` for list items (`p2p.targetPeers`, `listen[0]`). */
  path: string;
  message: string;
  /** Where the value came from: the config file, an environment variable or `overrides`. */
  source?: string;
}

/**
 * Codes: INVALID_CONFIG (values fail the schema), CONFIG_UNREADABLE (the file cannot be read),
 * CONFIG_SYNTAX (the file is not valid JSON / YAML).
 */
export class ConfigError extends ProtocolError {
  readonly problems: readonly ConfigProblem[];

  constructor(code: string, problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super(code, formatProblems(problems), options);
    this.problems = problems;
  }
}

export function formatProblem(problem: ConfigProblem): string {
  const from = problem.source === undefined ? '' : ` (from ${problem.source})`;
  return `${problem.path}: ${problem.message}${from}`;
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return [
    `invalid configuration, ${problems.length} ${noun}:`,
    ...problems.map((p) => `  ${formatProblem(p)}`),
  ].join('\n');
}
