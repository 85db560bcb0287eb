/**
 * Environment variables: `MITHRIL_MESH_<PATH>`, the schema path in upper snake case
 * (`p2p.targetPeers` → `MITHRIL_MESH_P2P_TARGET_PEERS`). Lists are comma-separated; an empty
 * variable clears a list and is ignored otherwise. Numbers and booleans are converted when they
 * look like one, else passed on as text for the schema to reject with the variable's name.
 * `MITHRIL_MESH_CONFIG` names the config file; any other unknown `MITHRIL_MESH_*` variable is an
 * error (a typo would otherwise be silently ignored).
 */
import type { ConfigProblem } from './errors.ts';
import type { EnvKind } from './schema.ts';
import { schemaFields } from './schema.ts';
import { unknownName } from './suggest.ts';

export const ENV_PREFIX = 'MITHRIL_MESH_';
export const CONFIG_FILE_ENV = `${ENV_PREFIX}CONFIG`;

export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.map((key) => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

const NUMBER_RE = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/;
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

function convert(text: string, kind: EnvKind): unknown {
  const trimmed = text.trim();
  switch (kind) {
    case 'list':
      return trimmed === '' ? [] : trimmed.split(',').map((item) => item.trim());
    case 'number':
      return NUMBER_RE.test(trimmed) ? Number(trimmed) : text;
    case 'boolean':
      return BOOLEANS[trimmed.toLowerCase()] ?? text;
    case 'time':
      return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
    case 'string':
      return trimmed;
  }
}

export interface EnvLayer {
  /** The input the variables describe, shaped like a config file. */
  input: Record<string, unknown>;
  /** Input path (dotted) → variable name. */
  sources: Map<string, string>;
  problems: ConfigProblem[];
}

export function configFromEnv(env: Readonly<Record<string, string | undefined>>): EnvLayer {
  const fields = new Map(schemaFields().map(([path, field]) => [envName(path), { path, field }]));
  const layer: EnvLayer = { input: {}, sources: new Map(), problems: [] };
  for (const [name, text] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || text === undefined) continue;
    const known = fields.get(name);
    if (known === undefined) {
      layer.problems.push({
        path: name,
        message: unknownName('environment variable', name, [...fields.keys()]),
      });
      continue;
    }
    const { path, field } = known;
    if (text.trim() === '' && field.env !== 'list') continue;
    let target = layer.input;
    for (const key of path.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[path[path.length - 1]!] = convert(text, field.env);
    layer.sources.set(path.join('.'), name);
  }
  return layer;
}
