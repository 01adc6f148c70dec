/** GET /v1/explain on a running server: the same explanation as the CLI, for registrations too. */
import { describe, expect, it } from 'vitest';
import { startServer } from '../helpers/start-server.js';

describe('GET /v1/explain', () => {
  it('explains a registered service, a near miss, and rejects bad questions with 400', async () => {
    const { server } = await startServer({ zones: ['zones'], http: '127.0.0.1:0' });
    await server.apply('namespace: lab\nservices:\n  cache: { clusterIP: 10.96.5.5 }\n');
    const base = `http://127.0.0.1:${server.httpAddress!.port}/v1/explain`;

    const hit = await fetch(`${base}?name=cache.lab.svc.cluster.local&type=a`);
    expect(hit.status).toBe(200);
    const body = (await hit.json()) as { rcode: string; rule: string; answer: string[]; objects: { kind: string; origin: string }[] };
    expect(body).toMatchObject({ rcode: 'NOERROR', rule: 'service', answer: ['cache.lab.svc.cluster.local. 5 IN A 10.96.5.5'] });
    expect(body.objects[0]).toMatchObject({ kind: 'Service', origin: expect.stringMatching(/^registration native\/lab:3$/) });

    const miss = (await (await fetch(`${base}?name=web.shopp`)).json()) as { rcode: string; hints: { text: string }[] };
    expect(miss.rcode).toBe('REFUSED');
    expect(miss.hints.map((h) => h.text)).toContain('namespace "shop" exists: did you mean web.shop?');

    expect((await fetch(base)).status).toBe(400);
    const badType = await fetch(`${base}?name=web.shop&type=AAA`);
    expect(badType.status).toBe(400);
    expect(await badType.json()).toEqual({ error: 'type: "AAA" is not one of A, AAAA, SRV, PTR, CNAME, TXT, SOA, NS, ANY' });
  });
});
