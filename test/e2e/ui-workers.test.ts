/** /ui with --workers: the page and explain work from the primary; the live view says the query log is off there instead of showing nothing. */
import { describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.js';

describe('/ui with --workers 2', () => {
  it('serves the page, explains names and shows the sources; the query log and upstream health are said to be in the workers', async () => {
    const cli = await startCli(['--workers', '2', '--upstream', '127.0.0.1:9']); // never asked: the primary forwards nothing
    const line = cli.stderr().split('\n').find((l) => l.includes('"msg":"listening"'))!;
    const base = `http://127.0.0.1:${(JSON.parse(line) as { http: { port: number } }).http.port}`;
    expect((await fetch(`${base}/ui`)).status).toBe(200);
    const trace = (await (await fetch(`${base}/v1/explain?name=web.shop&namespace=default`)).json()) as { status: string; settled: number };
    expect(trace).toMatchObject({ status: 'NOERROR', settled: 1 });
    // The primary forwards nothing itself, so it does not pretend to know the upstream's answer.
    const forwarded = (await (await fetch(`${base}/v1/explain?name=example.org`)).json()) as { status: string };
    expect(forwarded.status).toBe('FORWARDED');
    const sources = (await (await fetch(`${base}/v1/ui/sources`)).json()) as { workers: number; ready: boolean };
    expect(sources).toMatchObject({ workers: 2, ready: true });
    const queries = await fetch(`${base}/v1/ui/queries`);
    expect([queries.status, await queries.json()]).toEqual([404, { error: 'the query log is off (--query-log-size 0, or --workers: queries are answered in the workers)' }]);
  });
});
