import { describe, expect, it } from 'vitest';
import { dig, startCli, hasDig } from '../helpers/cli.js';
import { questionOf, reply, rr, soa, startFakeUpstream } from '../helpers/fake-upstream.js';


describe.skipIf(!hasDig && !process.env.CI)('the built CLI with a local upstream, driven by dig', () => {
  it('resolves an ExternalName through --upstream: the whole chain, over UDP and TCP', async () => {
    const upstream = await startFakeUpstream((q) => {
      const { name, type } = questionOf(q);
      if (name === 'legacy.example.org' && type === 1) return reply(q, { answer: [rr('legacy.example.org', 1, 300, [192, 0, 2, 10])] });
      return reply(q, { rcode: 3, authority: [soa('example.org', 3600, 30)] });
    });
    const { port } = await startCli(['--zones', 'test/fixtures/external-names.yaml', '--upstream', `127.0.0.1:${upstream.port}`]);
    const expected = 'legacy.shop.svc.cluster.local. 5 IN CNAME legacy.example.org.\nlegacy.example.org. 300 IN A 192.0.2.10\n';
    const udp = await dig(port, '+noall', '+answer', 'legacy.shop.svc.cluster.local');
    expect(udp.replace(/[ \t]+/g, ' ')).toBe(expected);
    const tcp = await dig(port, '+tcp', '+noall', '+answer', 'legacy.shop.svc.cluster.local');
    // Served from the composed-answer cache, TTLs may have counted down since the UDP query.
    expect(tcp.replace(/[ \t]+/g, ' ')).toMatch(/^legacy\.shop\.svc\.cluster\.local\. [0-5] IN CNAME legacy\.example\.org\.\nlegacy\.example\.org\. (29\d|300) IN A 192\.0\.2\.10\n$/);
    expect(await dig(port, '+short', 'legacy.shop')).toBe('legacy.shop.svc.cluster.local.\nlegacy.example.org.\n192.0.2.10\n');
    const gone = await dig(port, 'gone.shop.svc.cluster.local');
    expect(gone).toMatch(/status: NXDOMAIN/);
    expect(gone).toMatch(/flags: qr aa rd ra;/);
    expect(await dig(port, 'loop-a.shop.svc.cluster.local')).toMatch(/status: SERVFAIL/);
    // Reverse names in the default --service-cidr are ours: NXDOMAIN, not a forward.
    const reverse = await dig(port, '-x', '10.96.7.7');
    expect(reverse).toMatch(/status: NXDOMAIN/);
    expect(reverse).toMatch(/96\.10\.in-addr\.arpa\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./);
    expect(upstream.queries.map((q) => q.name).filter((n) => n.endsWith('.arpa'))).toEqual([]);
  });
});
