/** The node configuration: schema, loading (file, environment, overrides) and summary. */
export type { ConfigProblem } from './errors.ts';
export { ConfigError, formatProblem } from './errors.ts';
export type {
  ChainSettings,
  GenesisSettings,
  LogLevel,
  NodeConfig,
  NodeConfigInput,
  P2pSettings,
  RegistrationSettings,
} from './types.ts';
export { LOG_LEVELS } from './types.ts';
export { validateNodeConfig } from './schema.ts';
export { CONFIG_FILE_ENV, ENV_PREFIX, envName } from './env.ts';
export type { LoadNodeConfigOptions } from './load.ts';
export { loadNodeConfig } from './load.ts';
export { describeConfig } from './describe.ts';
