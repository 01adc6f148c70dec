// --probes: GET /health and /ready on a listener of their own, as CoreDNS's health and ready
// plugins have, so kubelet's probes keep working with --http off and expose nothing else.
import { describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/raw-http.js';
import { startServer } from '../helpers/start-server.js';

const zones = ['test/fixtures/equivalence/native.yaml'];

describe('the probe listener', () => {
  it('answers /health and /ready with --http off, and nothing else', async () => {
    const { server } = await startServer({ zones, http: 'off', probes: '127.0.0.1:0' });
    expect(server.httpAddress).toBeUndefined();
    const port = server.probesAddress!.port;
    expect(await rawRequest(port, { path: '/health' })).toMatchObject({ status: 200, body: 'OK\n' });
    expect(await rawRequest(port, { path: '/ready' })).toMatchObject({ status: 200, body: 'OK\n' });
    for (const path of ['/metrics', '/v1/registrations', '/v1/records', '/']) {
      const res = await rawRequest(port, { path });
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 404, body: `no route for GET ${path}: this listener serves GET /health and GET /ready\n` });
    }
    expect((await rawRequest(port, { method: 'POST', path: '/ready', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(405);
    // On loopback the same Host rule as the HTTP API: a rebound page learns nothing.
    expect((await rawRequest(port, { path: '/ready', headers: { host: `attacker.example:${port}` } })).status).toBe(403);
  });

  it('turns /ready to 503 at once on stop while /health stays 200 through the grace (lame duck)', async () => {
    const { server } = await startServer({ zones, probes: '127.0.0.1:0' });
    const port = server.probesAddress!.port;
    const stopping = server.stop({ graceMs: 2000 });
    expect((await rawRequest(port, { path: '/ready' })).status).toBe(503);
    expect((await rawRequest(port, { path: '/health' })).status).toBe(200);
    await stopping;
    await expect(rawRequest(port, { path: '/health' })).rejects.toThrow();
  });

  it('fails start-up naming the probes address when it cannot be bound', async () => {
    const { server } = await startServer({ zones, probes: '127.0.0.1:0' });
    const taken = server.probesAddress!.port;
    await expect(startServer({ zones, probes: `127.0.0.1:${taken}` })).rejects.toThrow(`cannot listen on probes 127.0.0.1:${taken}: address already in use`);
  });
});
