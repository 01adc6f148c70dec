/**
 * Registry fuzz: random and mutated YAML/JSON registry texts through the pure converter, a running
 * server's apply(), and a watched zones directory. Never a throw or crash, every diagnostic has a file,
 * a line and a message, and a good registry is never replaced by a broken one.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { hasErrors } from '../../src/registry/diagnostics.js';
import { convertKeyedDocuments } from '../../src/sources/keyed-objects.js';
import { convertRegistryText } from '../../src/sources/registry-documents.js';
import { parseRegistryText } from '../../src/sources/yaml-documents.js';
import { queryUdp } from '../helpers/dns-client.js';
import { pollUntil } from '../helpers/poll.js';
import { startServer } from '../helpers/start-server.js';

/** Whether the files source must keep serving the last good `web` after `text` is saved. */
function keepsLastGoodWeb(file: string, text: string): boolean {
  const parsed = parseRegistryText(file, text);
  if (hasErrors(parsed.diagnostics)) return true;
  const keyed = convertKeyedDocuments(parsed.documents);
  if (keyed.structural || keyed.unidentified) return true;
  const web = keyed.objects.find((o) => o.key === 'service/shop/web');
  return web !== undefined && web.input === undefined;
}

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);
const GOOD = 'namespace: shop\nservices:\n  web: { clusterIP: 10.96.0.10, ports: [http:80] }\n';
const WEB = ['web.shop.svc.cluster.local. 5 IN A 10.96.0.10'];
const DIAGNOSTIC_TEXT = /^(.+):(\d+): (warning: )?\S.*$/s;
/**
 * JavaScript leaking into a message meant for people (#13): undefined, null, [object Object], NaN.
 * Quoted, the word is what the user wrote (`"null"` as a scalar) and is fine.
 */
const JS_INTERNALS = /(?<!")\b(undefined|null|NaN)\b(?!")|\[object \w+\]/;

/** Values of the wrong type, invalid IPs and names, and plausible ones. */
const scalar = fc.oneof(
  fc.constantFrom('10.96.0.10', '10.96.0.300', 'fd00::10', '::ffff:1.2.3.4', 'not-an-ip', '', 'Web_Bad', 'a'.repeat(70), '-x', 'http:80', 'dns:53/udp', 'x:99999', '1.2.3', null, true, 0, -1, 65536, 1.5),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('name', 'ip', 'ports', 'clusterIP', 'headless', 'endpoints', 'hostname', 'ready', 'x'), tie('v'), { maxKeys: 3 })),
})).v;

/** Registry-shaped documents of both formats with random fields wrong, missing or duplicated. */
const nativeDoc = fc.record(
  {
    namespace: fc.oneof(fc.constantFrom('shop', 'dev', 'Bad NS', ''), scalar),
    services: fc.oneof(
      fc.dictionary(fc.constantFrom('web', 'db', 'api', 'WEB', 'x_y'), fc.oneof(value, fc.record({ clusterIP: scalar, ports: value, headless: scalar, endpoints: value, externalName: scalar }, { requiredKeys: [] })), { maxKeys: 4 }),
      value,
    ),
    pods: value,
  },
  { requiredKeys: [] },
);
const kubeDoc = fc.record(
  {
    apiVersion: fc.constantFrom('v1', 'discovery.k8s.io/v1', 'apps/v1', 7),
    kind: fc.oneof(fc.constantFrom('Service', 'Namespace', 'EndpointSlice', 'Endpoints', 'Pod', 'List', 'Deployment'), scalar),
    metadata: fc.oneof(fc.record({ name: scalar, namespace: scalar }, { requiredKeys: [] }), value),
    spec: fc.oneof(fc.record({ clusterIP: scalar, clusterIPs: value, ports: value, type: scalar, externalName: scalar }, { requiredKeys: [] }), value),
    endpoints: value,
    items: value,
  },
  { requiredKeys: ['kind'] },
);

const documentsText = fc.tuple(fc.array(fc.oneof(nativeDoc, kubeDoc, value), { minLength: 1, maxLength: 4 }), fc.boolean()).map(([docs, asJson]) =>
  asJson ? JSON.stringify(docs.length === 1 ? docs[0] : { apiVersion: 'v1', kind: 'List', items: docs }, null, 1) : docs.map((d) => stringify(d)).join('---\n'),
);

/** Text mutations: cut, insert, delete, duplicate and swap lines, YAML metacharacters. */
const mutate = (text: string) =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('cut', 'insert', 'delete', 'dupline', 'swap'), fc.constantFrom(':', '- ', '&a ', '*a', '{', ']', '"', "'", '\t', '\n  ', '---\n', '!!binary ', '%YAML 1.1\n', '? ', '|', '\u0000', '\uFEFF', '#')), { maxLength: 4 }).map((ops) => {
    let t = text;
    for (const [at, op, piece] of ops) {
      const i = t.length ? at % t.length : 0;
      if (op === 'cut') t = t.slice(0, i);
      else if (op === 'insert') t = t.slice(0, i) + piece + t.slice(i);
      else if (op === 'delete') t = t.slice(0, i) + t.slice(i + 1 + (at % 7));
      else {
        const lines = t.split('\n');
        const j = at % lines.length;
        if (op === 'dupline') lines.splice(j, 0, lines[j]!);
        else [lines[0], lines[j]] = [lines[j]!, lines[0]!];
        t = lines.join('\n');
      }
    }
    return t;
  });

/** Alias bombs ("billion laughs") of random width and depth, in YAML and as a merge-key flood. */
const bomb = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 12 }), fc.boolean()).map(([width, depth, merge]) => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let d = 1; d < depth; d++) {
    const prev = String.fromCharCode(96 + d);
    const name = String.fromCharCode(97 + d);
    lines.push(merge ? `${name}: &${name}\n${Array.from({ length: width }, (_, i) => `  k${i}: *${prev}`).join('\n')}` : `${name}: &${name} [${Array(width).fill(`*${prev}`).join(',')}]`);
  }
  lines.push(`namespace: shop\nservices: { web: { clusterIP: *${String.fromCharCode(96 + depth)} } }`);
  return lines.join('\n');
});

/** Deeply nested and very large documents. */
const huge = fc.oneof(
  fc.integer({ min: 1000, max: 20_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1000, max: 5000 }).map((n) => `${'- '.repeat(n)}x`),
  fc.integer({ min: 1000, max: 20_000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 500, max: 3000 }).map((n) => `namespace: big\nservices:\n${Array.from({ length: n }, (_, i) => `  s${i}: { clusterIP: 10.96.${i >> 8}.${i & 255} }\n  s${i}: { clusterIP: 10.96.0.300 }`).join('\n')}\n`),
);

const registryText = fc.oneof(
  { weight: 4, arbitrary: documentsText },
  { weight: 4, arbitrary: documentsText.chain(mutate) },
  { weight: 1, arbitrary: fc.constant(GOOD).chain(mutate) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: bomb },
);

function checkDiagnostics(file: string, diagnostics: readonly { file: string; line: number; message: string }[]): void {
  for (const d of diagnostics) {
    expect(d.file).toBe(file);
    expect(Number.isInteger(d.line) && d.line >= 0).toBe(true);
    expect(typeof d.message === 'string' && d.message.length > 0).toBe(true);
    expect(d.message, d.message).not.toMatch(JS_INTERNALS);
  }
}

function checkDiagnosticTexts(texts: readonly string[]): void {
  for (const t of texts) {
    const m = DIAGNOSTIC_TEXT.exec(t);
    expect(m, t).not.toBeNull();
    expect(t, t).not.toMatch(JS_INTERNALS);
  }
}

/**
 * Writes a file whole (a new file renamed over the old): the watcher runs beside the explicit reloads,
 * and on a loaded machine it could otherwise read the file between writeFile's truncate and its
 * write, and keep that empty (valid) content as the file's last good one.
 */
async function replaceFile(file: string, text: string): Promise<void> {
  const staging = join(tmpdir(), `cluster-dns-fuzz-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await writeFile(staging, text);
  await rename(staging, file);
}

describe('registry fuzz', () => {
  it('convertRegistryText never throws and every diagnostic has a file, a line and a message', () => {
    fc.assert(
      fc.property(registryText, fc.constantFrom('zones/fuzz.yaml', 'zones/fuzz.json', 'body'), (text, file) => {
        const { diagnostics } = convertRegistryText(file, text);
        checkDiagnostics(file, diagnostics);
      }),
      { numRuns: 1500, seed: SEED + 10 },
    );
  }, 300_000); // a hang guard: 1,500 parses take a minute or more with every core busy

  it('survives deeply nested, very large and alias-bomb documents', () => {
    fc.assert(
      fc.property(fc.oneof(huge, bomb), fc.constantFrom('zones/deep.yaml', 'zones/deep.json'), (text, file) => {
        const { diagnostics } = convertRegistryText(file, text);
        checkDiagnostics(file, diagnostics);
      }),
      { numRuns: 25, seed: SEED + 11 },
    );
    // The classic bomb is an error with a line, not an outage.
    const { diagnostics } = convertRegistryText('zones/bomb.yaml', `a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n${'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`).join('\n')}\nnamespace: *i\n`);
    expect(diagnostics.some((d) => d.severity === 'error')).toBe(true);
  }, 300_000); // a hang guard, not a speed bound

  it('apply() resolves or rejects with diagnostics, and a rejected apply changes nothing', async () => {
    const { server, port } = await startServer({ zones: [] });
    await server.apply(GOOD);
    await fc.assert(
      fc.asyncProperty(registryText, async (text) => {
        const before = JSON.stringify(server.registrations());
        try {
          await server.apply(text);
        } catch (error) {
          expect((error as { code?: string }).code).toBe('REGISTRY_INVALID');
          checkDiagnosticTexts((error as { diagnostics: string[] }).diagnostics);
          expect(JSON.stringify(server.registrations())).toBe(before);
        }
        // Put the good registration back (a valid random text may have replaced it) and check it answers.
        await server.replace(GOOD);
        expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
      }),
      { numRuns: 120, seed: SEED + 12 },
    );
  });

  // Found by this fuzz: a parsed body whose object was not a registry document, or whose object-level
  // check failed, was reported without a line ("body: not a registry document").
  it('reports a body object that is not a registry document with its line', async () => {
    const { server } = await startServer({ zones: [] });
    await expect(server.apply('namespace: shop\n---\nkind: 10.96.0.10\n')).rejects.toMatchObject({
      code: 'REGISTRY_INVALID',
      diagnostics: ['body:3: not a registry document: expected a Kubernetes object (apiVersion, kind, metadata.name) or a native document (namespace, services, pods)'],
    });
  });

  describe('watched zones directory', () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    });

    it('keeps serving the last good content of a file that turns bad, and picks up a good save', async () => {
      dir = await mkdtemp(join(tmpdir(), 'cluster-dns-fuzz-'));
      const file = join(dir, 'shop.yaml');
      await writeFile(file, GOOD);
      const { server, port } = await startServer({ zones: [dir], watch: true });
      expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
      await fc.assert(
        fc.asyncProperty(registryText, async (text) => {
          await replaceFile(file, text);
          const report = await server.reload();
          checkDiagnosticTexts(report.diagnostics);
          // Per object: a syntax error (or an object that cannot be told apart) keeps the whole file's
          // last good content; an invalid web keeps its own last good version.
          const broken = report.diagnostics.some((d) => d.includes('shop.yaml') && !d.includes(': warning: '));
          if (broken && keepsLastGoodWeb(file, text)) expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
          await replaceFile(file, GOOD);
          await server.reload();
          expect((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer).toEqual(WEB);
        }),
        { numRuns: 60, seed: SEED + 13 },
      );
      // The watcher is still alive: a good change is seen without an explicit reload.
      await writeFile(file, GOOD.replace('10.96.0.10', '10.96.0.11'));
      await pollUntil(async () => ((await queryUdp(port, 'web.shop.svc.cluster.local', 'A')).answer[0]?.endsWith('10.96.0.11') ? true : undefined), undefined, 50);
      // Each reload waits for the file to hold still for a debounce (never read mid-write).
    }, 120_000);
  });
});
