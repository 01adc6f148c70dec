/**
 * The API server through an http:// proxy, as kubectl reaches it: a real CONNECT proxy on loopback
 * in front of the fake HTTPS API server; basic credentials from the proxy URL; a refusal named by
 * its status without the password; which proxy the environment picks (HTTPS_PROXY, NO_PROXY).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/kubernetes/api-client.js';
import { createCredentialSource } from '../../src/kubernetes/credentials.js';
import { parseKubeconfig, type ClusterConnection } from '../../src/kubernetes/kubeconfig.js';
import { proxyFromEnvironment } from '../../src/kubernetes/proxy-settings.js';
import { tunnelingAgent } from '../../src/kubernetes/proxy-tunnel.js';
import { request as httpsRequest } from 'node:https';
import { startFakeKubeApi, type FakeKubeApi } from '../helpers/fake-kube-api.js';
import { manualTimers } from '../helpers/manual-timers.js';
import { namespace } from '../helpers/kube-objects.js';

const TOKEN = 'proxy-test-token-5d2b';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A CONNECT proxy: records each request line and Proxy-Authorization; answers 407 without the expected one. */
async function startProxy(expectedAuthorization?: string, silent = false): Promise<{ url: string; seen: { authority: string; authorization: string | undefined }[] }> {
  const seen: { authority: string; authorization: string | undefined }[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    sockets.add(client);
    seen.push({ authority: req.url ?? '', authorization: req.headers['proxy-authorization'] });
    if (silent) return; // accepts the connection, never answers CONNECT
    if (expectedAuthorization && req.headers['proxy-authorization'] !== expectedAuthorization) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    const upstream = connect({ host: host.replace(/^\[|\]$/g, ''), port }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, seen };
}

function connectionThrough(api: FakeKubeApi, proxyUrl: string): ClusterConnection {
  return { server: api.url, description: 'test', certificateAuthority: { data: Buffer.from(api.caCert) }, insecureSkipTlsVerify: false, tlsServerName: undefined, clientCertificate: undefined, clientKey: undefined, credentials: { kind: 'token', token: TOKEN }, namespace: undefined, proxyUrl };
}

async function fakeApi(): Promise<FakeKubeApi> {
  const api = await startFakeKubeApi({ tokens: [TOKEN] });
  cleanup.push(() => api.close());
  api.put('namespaces', namespace('shop'));
  return api;
}

describe('the API server through an http:// proxy', () => {
  it('lists through a CONNECT tunnel with TLS to the API server inside it, sending the proxy credentials of the URL', async () => {
    const api = await fakeApi();
    const proxy = await startProxy(`Basic ${Buffer.from('dns:p@ss word').toString('base64')}`);
    const conn = connectionThrough(api, proxy.url.replace('http://', 'http://dns:p%40ss%20word@'));
    const timers = manualTimers();
    const client = createApiClient(conn, { credentials: createCredentialSource(conn, { timers }), timers });
    cleanup.push(() => client.close());
    const list = (await client.getJson('/api/v1/namespaces', {}, new AbortController().signal)) as { items: { metadata: { name: string } }[] };
    expect(list.items.map((n) => n.metadata.name)).toEqual(['shop']);
    expect(proxy.seen).toEqual([{ authority: `127.0.0.1:${api.port}`, authorization: `Basic ${Buffer.from('dns:p@ss word').toString('base64')}` }]);
    // The API server saw the bearer token inside the tunnel (the proxy only sees CONNECT).
    expect(api.requests.map((r) => [r.path, r.status])).toEqual([['/api/v1/namespaces', 200]]);
  });

  it('names the proxy and its refusal, never the password', async () => {
    const api = await fakeApi();
    const proxy = await startProxy('Basic something-else');
    const conn = connectionThrough(api, proxy.url.replace('http://', 'http://dns:hunter2@'));
    const timers = manualTimers();
    const client = createApiClient(conn, { credentials: createCredentialSource(conn, { timers }), timers });
    cleanup.push(() => client.close());
    const failure = await client.getJson('/api/v1/namespaces', {}, new AbortController().signal).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(failure).toBe(`proxy ${proxy.url} refused CONNECT 127.0.0.1:${api.port}: HTTP 407`);
    expect(api.requests).toEqual([]);
  });
});

describe('a proxy that never answers CONNECT', () => {
  it('fails the connection after the CONNECT timeout, naming the proxy and the target', async () => {
    const proxy = await startProxy(undefined, true);
    const agent = tunnelingAgent(proxy.url, true, {}, 200);
    cleanup.push(() => agent.destroy());
    const failure = await new Promise<string>((resolve) => {
      const req = httpsRequest({ host: '127.0.0.1', port: 9, path: '/', agent }, () => resolve('answered'));
      req.on('error', (error) => resolve(error.message));
      req.end();
    });
    expect(failure).toBe(`proxy ${proxy.url}: no answer to CONNECT 127.0.0.1:9 within 200 ms`);
    expect(proxy.seen.map((s) => s.authority)).toEqual(['127.0.0.1:9']);
  });
});

describe('which proxy', () => {
  const server = 'https://api.prod.example.com:6443';
  it.each([
    ['HTTPS_PROXY', { HTTPS_PROXY: 'http://proxy:3128' }, 'http://proxy:3128'],
    ['https_proxy, and a bare host:port as http://', { https_proxy: 'proxy:3128' }, 'http://proxy:3128'],
    ['HTTP_PROXY does not apply to an https server', { HTTP_PROXY: 'http://proxy:3128' }, undefined],
    ['NO_PROXY by domain suffix', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'internal,example.com' }, undefined],
    ['NO_PROXY with a leading dot', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.example.com' }, undefined],
    ['NO_PROXY with another port', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'api.prod.example.com:443' }, 'http://proxy:3128'],
    ['NO_PROXY with this port', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'api.prod.example.com:6443' }, undefined],
    ['NO_PROXY *', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '*' }, undefined],
    ['NO_PROXY that only looks alike', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'ample.com' }, 'http://proxy:3128'],
  ])('%s', (_, env, expected) => {
    expect(proxyFromEnvironment(server, env)).toBe(expected);
  });

  it('never proxies loopback', () => {
    for (const host of ['https://127.0.0.1:6443', 'https://[::1]:6443', 'https://localhost:6443']) expect(proxyFromEnvironment(host, { HTTPS_PROXY: 'http://proxy:3128' })).toBeUndefined();
  });

  it('takes proxy-url from the kubeconfig and refuses schemes it cannot speak, naming the field', () => {
    const kubeconfig = (proxy: string) => [{ path: '/k/config', text: `apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: x\n  cluster:\n    server: https://api.example.com\n    proxy-url: ${proxy}\ncontexts:\n- name: c\n  context:\n    cluster: x\nusers: []\n` }];
    expect(parseKubeconfig(kubeconfig('http://proxy.corp:3128')).proxyUrl).toBe('http://proxy.corp:3128');
    expect(() => parseKubeconfig(kubeconfig('socks5://proxy.corp:1080'))).toThrow('kubeconfig /k/config: clusters[0].cluster.proxy-url: socks5:// proxies are not supported (an http:// proxy, reached with CONNECT, is)');
  });
});
