/**
 * `loadNodeConfig`: the config file (JSON or YAML), then `MITHRIL_MESH_*` environment variables,
 * then overrides (CLI flags), each layer replacing the values it sets (lists are replaced, not
 * appended). Relative paths are resolved against the config file's directory for values from the
 * file, and against the working directory for values from the environment or overrides.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseJson } from '../../protocol/codec/json.ts';
import type { ConfigProblem } from './errors.ts';
import { ConfigError } from './errors.ts';
import { CONFIG_FILE_ENV, configFromEnv } from './env.ts';
import { isPlainObject, schemaFields, validateNodeConfig } from './schema.ts';
import type { NodeConfig, NodeConfigInput } from './types.ts';

export interface LoadNodeConfigOptions {
  /** JSON (`.json`) or YAML (`.yaml`, `.yml`); other names are sniffed. Default: `$MITHRIL_MESH_CONFIG`. */
  file?: string;
  /** Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  overrides?: NodeConfigInput;
  /** Base of relative paths from the environment and overrides. Default: `process.cwd()`. */
  cwd?: string;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Sets an own property, so a `__proto__` key stays a (rejected) key instead of a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** JSON integers arrive as bigint; config numbers are plain numbers (unsafe ones stay bigint and fail validation). */
function toPlainNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(toPlainNumbers);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) setOwn(out, key, toPlainNumbers(child));
    return out;
  }
  return value;
}

function parseConfigText(file: string, text: string): unknown {
  const ext = extname(file).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && text.trimStart().startsWith('{'));
  if (json) {
    try {
      return toPlainNumbers(parseJson(text));
    } catch (e) {
      throw new ConfigError('CONFIG_SYNTAX', [{ path: file, message: `invalid JSON: ${errorMessage(e)}` }], {
        cause: e,
      });
    }
  }
  // YAML 1.2 core schema: no `yes`/`no` booleans and no timestamps, so times stay text.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      'CONFIG_SYNTAX',
      doc.errors.map((e) => ({ path: file, message: `invalid YAML: ${e.message}` })),
    );
  }
  return doc.toJS() ?? {};
}

/** Resolves the path fields a layer sets against `base`; other values are left for validation. */
function resolvePaths(layer: unknown, base: string): void {
  for (const [path, field] of schemaFields()) {
    if (!field.options.isPath) continue;
    let parent: unknown = layer;
    for (const key of path.slice(0, -1)) parent = isPlainObject(parent) ? parent[key] : undefined;
    if (!isPlainObject(parent)) continue;
    const key = path[path.length - 1]!;
    const absolute = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? resolve(base, v) : v);
    const value = parent[key];
    parent[key] = Array.isArray(value) ? value.map(absolute) : absolute(value);
  }
}

/** Merges `layer` into `target` (objects key by key, anything else replaced), noting each value's source. */
function merge(
  target: Record<string, unknown>,
  layer: Record<string, unknown>,
  sourceOf: (path: string) => string,
  sources: Map<string, string>,
  at = '',
): void {
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    const path = at ? `${at}.${key}` : key;
    const current = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (isPlainObject(value)) {
      const next = isPlainObject(current) ? current : {};
      setOwn(target, key, next);
      merge(next, value, sourceOf, sources, path);
    } else {
      setOwn(target, key, value);
      sources.set(path, sourceOf(path));
    }
  }
}

/** The source of the value at `path` or of the closest enclosing value (`listen[2]` → `listen`). */
function lookupSource(sources: ReadonlyMap<string, string>, path: string): string | undefined {
  let at = path.replace(/\[\d+\]/g, '');
  for (;;) {
    const source = sources.get(at);
    if (source !== undefined || !at.includes('.')) return source;
    at = at.slice(0, at.lastIndexOf('.'));
  }
}

async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError('CONFIG_UNREADABLE', [{ path: file, message: `cannot read: ${errorMessage(e)}` }], {
      cause: e,
    });
  }
  const input = parseConfigText(file, text);
  resolvePaths(input, dirname(file));
  return input;
}

/**
 * Throws `ConfigError`: CONFIG_UNREADABLE, CONFIG_SYNTAX, or INVALID_CONFIG listing every
 * problem of every layer.
 */
export async function loadNodeConfig(options: LoadNodeConfigOptions = {}): Promise<NodeConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fileOption = options.file ?? (env[CONFIG_FILE_ENV]?.trim() || undefined);
  const file = fileOption === undefined ? undefined : resolve(cwd, fileOption);

  const merged: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  const topLevelProblems: ConfigProblem[] = [];
  if (file !== undefined) {
    const input = await readConfigFile(file);
    if (isPlainObject(input)) merge(merged, input, () => file, sources);
    else
      topLevelProblems.push({
        path: '(top level)',
        message: 'must be a mapping of keys to values',
        source: file,
      });
  }
  const fromEnv = configFromEnv(env);
  resolvePaths(fromEnv.input, cwd);
  merge(merged, fromEnv.input, (path) => fromEnv.sources.get(path) ?? 'environment', sources);
  if (options.overrides !== undefined) {
    const overrides = structuredClone(options.overrides) as Record<string, unknown>;
    resolvePaths(overrides, cwd);
    merge(merged, overrides, () => 'overrides', sources);
  }

  const problems = [...topLevelProblems, ...fromEnv.problems];
  try {
    const config = validateNodeConfig(merged, (path) => lookupSource(sources, path));
    if (problems.length === 0) return config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  throw new ConfigError('INVALID_CONFIG', problems);
}
