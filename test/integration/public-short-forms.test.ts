/**
 * Registrations cannot capture public names through short forms: service `github` registered in
 * namespace `com` answers `github.com.svc.cluster.local`, but the short form `github.com` goes to the
 * upstream as if the registration were not there, unless --public-short-forms; real queries over UDP.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns-client.js';
import { reply, rr, startFakeUpstream } from '../helpers/fake-upstream.js';
import { startServer } from '../helpers/start-server.js';

const GITHUB = 'namespace: com\nservices:\n  github: { clusterIP: 10.96.7.7 }\n';

async function forwardingServer(extra: Parameters<typeof startServer>[0] = {}) {
  const upstream = await startFakeUpstream((q) => reply(q, { answer: [rr('github.com', 1, 60, [140, 82, 112, 3])] }));
  const started = await startServer({ upstream: [{ address: '127.0.0.1', port: upstream.port }], upstreamTimeoutMs: 10_000, ...extra });
  return { ...started, upstream };
}

describe('short forms of registered services that look like public names', () => {
  it('are not answered by default: github.com goes upstream, the cluster name still answers', async () => {
    const { server, port, upstream } = await forwardingServer();
    await server.apply(GITHUB);
    const short = await queryUdp(port, 'github.com', 'A');
    expect([short.rcode, short.answer]).toEqual(['NOERROR', ['github.com. 60 IN A 140.82.112.3']]);
    expect(upstream.queries.map((q) => q.name)).toEqual(['github.com']);
    expect((await queryUdp(port, 'github.com.svc.cluster.local', 'A')).answer).toEqual(['github.com.svc.cluster.local. 5 IN A 10.96.7.7']);
    // Ending in `svc` it is no public name: the short form answers.
    expect((await queryUdp(port, 'github.com.svc', 'A')).answer).toEqual([
      'github.com.svc. 5 IN CNAME github.com.svc.cluster.local.',
      'github.com.svc.cluster.local. 5 IN A 10.96.7.7',
    ]);
  });

  it('are REFUSED with forwarding off, like any other name the server does not own, and explain says why', async () => {
    const { server, port } = await startServer({ http: '127.0.0.1:0' });
    await server.apply(GITHUB);
    const short = await queryUdp(port, 'github.com', 'A');
    expect([short.rcode, short.answer]).toEqual(['REFUSED', []]);
    const explained = (await (await fetch(`http://127.0.0.1:${server.httpAddress!.port}/v1/explain?name=github.com&type=A`)).json()) as { rule: string; hints: unknown[] };
    expect([explained.rule, explained.hints[0]]).toEqual([
      'refused',
      {
        kind: 'public-short-form',
        text: 'github.com.svc.cluster.local. is a registered service\'s name, but a registration does not answer a short form ending in the public top-level domain "com" (--public-short-forms to allow): ask for github.com.svc.cluster.local.',
        name: 'github.com.svc.cluster.local.',
      },
    ]);
  });

  it('are answered with --public-short-forms', async () => {
    const { server, port, upstream } = await forwardingServer({ publicShortForms: true });
    await server.apply(GITHUB);
    expect((await queryUdp(port, 'github.com', 'A')).answer).toEqual(['github.com. 5 IN CNAME github.com.svc.cluster.local.', 'github.com.svc.cluster.local. 5 IN A 10.96.7.7']);
    expect(upstream.queries).toEqual([]);
  });

  it('of services in the user\'s own files keep answering', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'public-short-forms-'));
    writeFileSync(join(dir, 'com.yaml'), GITHUB);
    const { port, upstream } = await forwardingServer({ zones: [dir] });
    expect((await queryUdp(port, 'github.com', 'A')).answer).toEqual(['github.com. 5 IN CNAME github.com.svc.cluster.local.', 'github.com.svc.cluster.local. 5 IN A 10.96.7.7']);
    expect(upstream.queries).toEqual([]);
  });

  it('a registered short form whose last label is no TLD answers as before', async () => {
    const { server, port } = await forwardingServer();
    await server.apply('namespace: staging\nservices:\n  api: { clusterIP: 10.96.7.8 }\n');
    expect((await queryUdp(port, 'api.staging', 'A')).answer).toEqual(['api.staging. 5 IN CNAME api.staging.svc.cluster.local.', 'api.staging.svc.cluster.local. 5 IN A 10.96.7.8']);
  });
});
