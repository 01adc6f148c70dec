#!/usr/bin/env node
// Builds the optional native UDP engine (native/udp-engine.c) at install. It never fails the
// install: without a compiler, off Linux, or with no Node headers, it says so in one line and
// cluster-dns serves UDP on node:dgram (as ws treats bufferutil). docs/udp-engine.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => process.stderr.write(`cluster-dns: ${text}\n`);

if (process.platform !== 'linux') {
  say(`native UDP engine skipped (Linux only; this is ${process.platform}): UDP runs on node:dgram`);
  process.exit(0);
}
if (process.env.CLUSTER_DNS_SKIP_NATIVE === '1') {
  say('native UDP engine skipped (CLUSTER_DNS_SKIP_NATIVE=1): UDP runs on node:dgram');
  process.exit(0);
}

// npm sets npm_config_node_gyp to the node-gyp it ships; outside npm, look beside this node.
const nodeGyp = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => p && existsSync(p));
if (!nodeGyp) {
  say('native UDP engine not built (node-gyp not found): UDP runs on node:dgram');
  process.exit(0);
}

// Node's own headers where they are installed (Debian's nodejs, a tarball install), so no
// download is needed; else node-gyp fetches them for this Node. N-API is ABI-stable, so headers
// of any Node 20+ build an addon every later Node loads.
const nodedir = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..'), '/usr'].find(
  (d) => d && existsSync(join(d, 'include/node/node_api.h')),
);
const args = [nodeGyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (result.status === 0 && existsSync(join(root, 'build/Release/udp_engine.node'))) {
  say('native UDP engine built (build/Release/udp_engine.node)');
} else {
  const why = (result.stderr || result.error?.message || '').split('\n').map((l) => l.replace(/^gyp ERR! (stack )?/, '')).find((l) => /^Error: |not found|Could not find/.test(l)) ?? `node-gyp exited with ${result.status}`;
  say(`native UDP engine not built (${why.trim()}); UDP runs on node:dgram. It needs g++, make and python3.`);
}
process.exit(0);
