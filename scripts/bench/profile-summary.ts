/**
 * `npm run -s profile:summary -- DIR [--top N] [--from S] [--to S] [--json FILE]`: where the CPU
 * time of a set of V8 CPU profiles went (the `.cpuprofile` files that `node --cpu-prof` writes, e.g.
 * a simnet run with MITHRIL_MESH_SIMNET_CPU_PROFILE_DIR set). Prints the busy time by component
 * (npm package or project folder, by self time), the hottest functions by self time, and the
 * project's functions by inclusive time (their callees included), summed over the profiles of
 * main threads (other threads, such as tsx's module loader, are left out). `--from`/`--to` keep the
 * samples of that span, in seconds since each profile started.
 *
 * A sample lasts until the next one on the wall clock: on a machine with more busy processes than
 * cores it includes time spent waiting for a core, so compare shares, not seconds, across runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeResults } from './harness.ts';

/** The parts of V8's `Profiler.Profile` (Chrome DevTools protocol) this summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  timeDeltas: number[];
}

interface CallFrame {
  functionName: string;
  url: string;
}

/** V8's pseudo-frame for time the isolate spent waiting for work. */
const IDLE = '(idle)';
/** Node names profiles `CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile`; thread 0 is the main one. */
const MAIN_THREAD_PROFILE = /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/;

interface Totals {
  busyMs: number;
  idleMs: number;
  byComponent: Map<string, number>;
  selfByFunction: Map<string, number>;
  inclusiveByOwnFunction: Map<string, number>;
}

/** The npm package or project folder (two levels: `node/gossip`, `protocol/stm`) a frame belongs to. */
function componentOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  const own = /\/(node|protocol|scripts)\/([^/]+)\//.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

/** A project source file (tsx loads them by file URL), not a dependency. */
const isOwn = (url: string): boolean => url.startsWith('file://') && !url.includes('/node_modules/');

/** Function and file; no line: tsx's transpiled project files all report line 1. */
function frameLabel(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/(node_modules|node|protocol|scripts)\//, '$1/');
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  return file === '' ? name : `${name} ${file}`;
}

const add = (map: Map<string, number>, key: string, ms: number): void => {
  map.set(key, (map.get(key) ?? 0) + ms);
};

/** Adds one profile's samples between `fromMs` and `toMs` (since its start) to `totals`. */
function addProfile(profile: CpuProfile, totals: Totals, fromMs: number, toMs: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Labels once per call-tree node, not once per sample and stack frame.
  const labels = new Map(profile.nodes.map((node) => [node.id, frameLabel(node.callFrame)]));
  let elapsedUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    elapsedUs += profile.timeDeltas[i] ?? 0;
    // A sample lasts until the next one: the last sample's length is unknown and dropped.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    if (elapsedUs / 1000 < fromMs || elapsedUs / 1000 >= toMs) continue;
    const node = byId.get(profile.samples[i]!)!;
    if (node.callFrame.functionName === IDLE) {
      totals.idleMs += ms;
      continue;
    }
    totals.busyMs += ms;
    add(totals.byComponent, componentOf(node.callFrame.url, node.callFrame.functionName), ms);
    add(totals.selfByFunction, labels.get(node.id)!, ms);
    // Each own function on the stack counts once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      if (!isOwn(byId.get(id)!.callFrame.url)) continue;
      const label = labels.get(id)!;
      if (!seen.has(label)) add(totals.inclusiveByOwnFunction, label, ms);
      seen.add(label);
    }
  }
}

function top(
  map: Map<string, number>,
  n: number,
  busyMs: number,
): { name: string; ms: number; share: number }[] {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / busyMs }));
}

function printTop(title: string, rows: { name: string; ms: number; share: number }[]): void {
  console.log(`\n${title}`);
  for (const row of rows) {
    console.log(
      `${(row.share * 100).toFixed(1).padStart(6)} %  ${(row.ms / 1000).toFixed(1).padStart(8)} s  ${row.name}`,
    );
  }
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      from: { type: 'string', default: '0' },
      to: { type: 'string', default: 'Infinity' },
      json: { type: 'string' },
    },
  });
  const dir = positionals[0];
  const n = Number(values.top);
  const fromMs = Number(values.from) * 1000;
  const toMs = Number(values.to) * 1000;
  if (dir === undefined || !(n > 0) || !(fromMs >= 0) || !(toMs > fromMs)) {
    console.error('usage: profile:summary DIR [--top N] [--from SECONDS] [--to SECONDS] [--json FILE]');
    process.exit(2);
  }
  const files = readdirSync(dir).filter((f) => MAIN_THREAD_PROFILE.test(f));
  if (files.length === 0) {
    console.error(`no main-thread .cpuprofile files in ${dir}`);
    process.exit(1);
  }
  const totals: Totals = {
    busyMs: 0,
    idleMs: 0,
    byComponent: new Map(),
    selfByFunction: new Map(),
    inclusiveByOwnFunction: new Map(),
  };
  for (const file of files) {
    addProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, totals, fromMs, toMs);
  }
  const summary = {
    profiles: files.length,
    span: { fromSeconds: fromMs / 1000, toSeconds: toMs / 1000 },
    busySeconds: totals.busyMs / 1000,
    idleSeconds: totals.idleMs / 1000,
    components: top(totals.byComponent, n, totals.busyMs),
    selfTime: top(totals.selfByFunction, n, totals.busyMs),
    ownInclusiveTime: top(totals.inclusiveByOwnFunction, n, totals.busyMs),
  };
  console.log(
    `${files.length} profiles: ${summary.busySeconds.toFixed(1)} s sampled busy, ` +
      `${summary.idleSeconds.toFixed(1)} s idle (shares below are of the busy time)`,
  );
  printTop('by component (self time)', summary.components);
  printTop('hottest functions (self time)', summary.selfTime);
  printTop('project functions (inclusive time)', summary.ownInclusiveTime);
  if (values.json !== undefined) writeResults(values.json, summary);
}

main();
