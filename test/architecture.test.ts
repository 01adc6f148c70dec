/**
 * Keeps docs/architecture.md's "Who may import what" true: every import of every file under src/
 * is read and held against the rules the document states, plus the naming conventions.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

interface Edge {
  /** Importing file, relative to src/: `resolver/cluster-stage.ts`. */
  readonly from: string;
  /** A src/-relative `.ts` path, or a package / `node:` specifier. */
  readonly to: string;
  readonly typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));

const edges: Edge[] = files.flatMap((from) => {
  const text = readFileSync(join(SRC, from), 'utf8');
  const found: Edge[] = [];
  const pattern = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = (m[2] ?? m[3])!;
    const to = spec.startsWith('.') ? relative(SRC, resolve(dirname(join(SRC, from)), spec)).replace(/\.js$/, '.ts') : spec;
    // `import { type A, type B }` is erased like `import type`.
    const names = /\{([^}]*)\}/.exec(m[0])?.[1];
    const allTypes = names !== undefined && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '));
    found.push({ from, to, typeOnly: m[1] !== undefined || allTypes });
  }
  return found;
});

const ours = (e: Edge) => e.to.endsWith('.ts');
/** server.ts and the files it composes the server from: the only ones that cross layers. */
const isCompositionRoot = (path: string) => path === 'server.ts' || path.startsWith('compose/');
const layer = (path: string) => (path.includes('/') ? path.slice(0, path.indexOf('/') + 1) : path);
const violations = (list: Edge[]) => list.map((e) => `${e.from} → ${e.to}${e.typeOnly ? ' (type)' : ''}`);

/** Node modules that open sockets, files, processes or threads: never in the pure layers. */
const IO_MODULES = /^node:(dgram|net|dns|fs|fs\/promises|http|https|child_process|worker_threads|os)$/;
/** `dns/ip.ts` uses node:net's pure isIP helpers only (documented exception). */
const PURE_NET_USERS = new Set(['dns/ip.ts']);
/** The parsers in sources/ that turn text or objects into registry inputs: pure. */
const PURE_SOURCES = [
  'sources/field-checks.ts',
  'sources/host-manifests.ts',
  'sources/json-outline.ts',
  'sources/keyed-objects.ts',
  'sources/kind-suggestion.ts',
  'sources/kubernetes-manifests.ts',
  'sources/merged-objects.ts',
  'sources/native-format.ts',
  'sources/registry-documents.ts',
  'sources/source-document.ts',
  'sources/yaml-documents.ts',
];

describe('architecture: who may import what (docs/architecture.md)', () => {
  it('reads the imports of every file (the parser itself works)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(edges).toContainEqual({ from: 'compose/registry-sources.ts', to: 'registry/publisher.ts', typeOnly: false });
    expect(edges).toContainEqual({ from: 'sources/yaml-documents.ts', to: 'yaml', typeOnly: false });
  });

  it('dns/ imports nothing of ours', () => {
    expect(violations(edges.filter((e) => e.from.startsWith('dns/') && ours(e) && !e.to.startsWith('dns/')))).toEqual([]);
  });

  it('registry/ imports only dns/ and registry/', () => {
    expect(violations(edges.filter((e) => e.from.startsWith('registry/') && ours(e) && !/^(dns|registry)\//.test(e.to)))).toEqual([]);
  });

  it('resolver/ imports dns/, registry/, the pure wire readers and upstream types only', () => {
    const allowed = (e: Edge) =>
      /^(dns|registry|resolver)\//.test(e.to) ||
      ['wire/reply-inspector.ts', 'wire/reply-records.ts', 'wire/upstream-query.ts', 'did-you-mean.ts'].includes(e.to) ||
      (e.to.startsWith('upstream/') && e.typeOnly);
    expect(violations(edges.filter((e) => e.from.startsWith('resolver/') && ours(e) && !allowed(e)))).toEqual([]);
  });

  it('dns/, registry/, resolver/ and the pure parsers in sources/ do no I/O and import no dns2, pino or yaml (but the one owner)', () => {
    const pure = (f: string) => /^(dns|registry|resolver)\//.test(f) || PURE_SOURCES.includes(f);
    const bad = edges.filter(
      (e) =>
        pure(e.from) &&
        !e.typeOnly &&
        ((IO_MODULES.test(e.to) && !(e.to === 'node:net' && PURE_NET_USERS.has(e.from))) ||
          /^(dns2|pino|pino-pretty|prom-client)$/.test(e.to) ||
          (e.to === 'yaml' && e.from !== 'sources/yaml-documents.ts')),
    );
    expect(violations(bad)).toEqual([]);
  });

  it('transport/ knows nothing of the registry or the resolver', () => {
    const allowed = (e: Edge) => e.to.startsWith('transport/') || e.to === 'wire/tcp-framing.ts';
    expect(violations(edges.filter((e) => e.from.startsWith('transport/') && ours(e) && !allowed(e)))).toEqual([]);
  });

  it('kubernetes/ imports the registry model and contract, the pure converters and errors; only compose/registry-sources.ts, commands/command-registry.ts, options.ts and cli-args.ts (types) import it', () => {
    const allowedIn = (e: Edge) =>
      /^(kubernetes|registry)\//.test(e.to) ||
      ['sources/kubernetes-manifests.ts', 'sources/field-checks.ts', 'sources/yaml-documents.ts', 'sources/source-document.ts', 'errors.ts'].includes(e.to) ||
      (e.to === 'log.ts' && e.typeOnly);
    expect(violations(edges.filter((e) => e.from.startsWith('kubernetes/') && ours(e) && !allowedIn(e)))).toEqual([]);
    const importers = edges.filter((e) => e.to.startsWith('kubernetes/') && !e.from.startsWith('kubernetes/'));
    const allowedOut = (e: Edge) => e.from === 'compose/registry-sources.ts' || e.from === 'commands/command-registry.ts' || ((e.from === 'options.ts' || e.from === 'cli-args.ts') && e.typeOnly);
    expect(violations(importers.filter((e) => !allowedOut(e)))).toEqual([]);
  });

  it('workers/ (the --workers process plumbing) builds on server.ts and is used by main.ts alone', () => {
    const allowedIn = (e: Edge) =>
      e.to.startsWith('workers/') ||
      ['server.ts', 'options.ts', 'errors.ts', 'log.ts', 'registry/registry-ref.ts', 'registry/registry.ts', 'registry/registry-delta.ts', 'http/metrics.ts', 'transport/dns-listeners.ts', 'transport/native-addon.ts'].includes(e.to) ||
      !ours(e);
    expect(violations(edges.filter((e) => e.from.startsWith('workers/') && !allowedIn(e)))).toEqual([]);
    // Only the primary (and its worker entry) use node:cluster; transports stay process-agnostic.
    expect(violations(edges.filter((e) => e.to === 'node:cluster' && e.from !== 'workers/primary.ts'))).toEqual([]);
    expect(violations(edges.filter((e) => e.to.startsWith('workers/') && !e.from.startsWith('workers/') && e.from !== 'main.ts'))).toEqual([]);
  });

  it('each third-party package is imported by one file', () => {
    const byPackage = new Map<string, Set<string>>();
    for (const e of edges) {
      if (ours(e) || e.to.startsWith('node:')) continue;
      const name = e.to.startsWith('@') ? e.to.split('/').slice(0, 2).join('/') : e.to.split('/')[0]!;
      if (!byPackage.has(name)) byPackage.set(name, new Set());
      byPackage.get(name)!.add(e.from);
    }
    const shared = [...byPackage].filter(([, importers]) => importers.size > 1).map(([name, importers]) => `${name}: ${[...importers].join(', ')}`);
    expect(shared).toEqual([]);
  });

  it('only the composition root (server.ts and compose/) wires transports, HTTP, sources and the publisher together', () => {
    const edgeLayers = ['transport/', 'http/'];
    const crossing = edges.filter(
      (e) =>
        ours(e) &&
        !e.typeOnly &&
        edgeLayers.includes(layer(e.to)) &&
        layer(e.from) !== layer(e.to) &&
        !isCompositionRoot(e.from) &&
        // A --workers worker counts queries into its own metrics for the primary to add up.
        !(e.from === 'workers/worker-process.ts' && e.to === 'http/metrics.ts') &&
        // The primary asks which UDP engine its workers will run (they bind their own sockets with the native one).
        !(e.from === 'workers/primary.ts' && e.to === 'transport/native-addon.ts'),
    );
    expect(violations(crossing)).toEqual([]);
    const publisherUsers = edges.filter((e) => e.to === 'registry/publisher.ts' && !e.typeOnly && !e.from.startsWith('registry/'));
    expect(violations(publisherUsers.filter((e) => e.from !== 'compose/registry-sources.ts'))).toEqual([]);
  });

  it('compose/ is the composition root\'s own: only server.ts and compose/ import it, and it never imports server.ts (no cycle)', () => {
    expect(files.filter((f) => f.startsWith('compose/')).length).toBeGreaterThan(3);
    expect(violations(edges.filter((e) => e.to.startsWith('compose/') && !isCompositionRoot(e.from)))).toEqual([]);
    expect(violations(edges.filter((e) => e.from.startsWith('compose/') && e.to === 'server.ts'))).toEqual([]);
  });
});

describe('conventions', () => {
  it('file names are kebab-case', () => {
    expect(files.filter((f) => !/^[a-z0-9]+(-[a-z0-9]+)*(\/[a-z0-9]+(-[a-z0-9]+)*)*\.ts$/.test(f))).toEqual([]);
  });

  it('every file opens with a comment saying what it is for', () => {
    expect(files.filter((f) => !/^(#!.*\n)?\s*\/(\*\*|\/)/.test(readFileSync(join(SRC, f), 'utf8')))).toEqual([]);
  });
});
