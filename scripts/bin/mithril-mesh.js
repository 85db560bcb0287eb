#!/usr/bin/env node
// The `mithril-mesh` command: runs the TypeScript CLI through tsx so that it works right
// after `npm ci`, without a build step. The polyfill must load before any libp2p module.
import { register } from 'tsx/esm/api';

register();
await import('../../node/runtime/polyfill.ts');
const { main } = await import('../cli.ts');
process.exitCode = await main(process.argv.slice(2));
