import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dig, execFileAsync, startCli, hasDig } from '../helpers/cli.js';


describe.skipIf(!hasDig && !process.env.CI)('the built CLI, driven by dig', () => {
  it('serves zones/ over UDP and TCP', async () => {
    const { port } = await startCli(['--upstream', 'none']);
    expect(await dig(port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    expect(await dig(port, '+short', '+tcp', 'api.default.svc.cluster.local', 'AAAA')).toBe('fd00:10:96::20\n');
    expect(await dig(port, '+short', 'web.shop')).toBe('web.shop.svc.cluster.local.\n10.96.0.10\n');
    expect(await dig(port, '+short', '-x', '10.96.0.1')).toBe('kubernetes.default.svc.cluster.local.\n');
    expect(await dig(port, '+short', '_redis._tcp.cache.default.svc.cluster.local', 'SRV')).toBe(
      '0 50 6379 cache-0.cache.default.svc.cluster.local.\n0 50 6379 cache-1.cache.default.svc.cluster.local.\n',
    );
    const nx = await dig(port, 'nope.shop.svc.cluster.local');
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toMatch(/flags: qr aa rd;/);
    expect(nx).toMatch(/cluster\.local\.\s+5\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\./);
  });

  it('sets TC over UDP for a large answer and dig retries over TCP', async () => {
    const { port } = await startCli(['--zones', 'test/fixtures/large-headless.yaml', '--upstream', 'none']);
    const truncated = await dig(port, '+noedns', '+ignore', 'big.shop.svc.cluster.local');
    expect(truncated).toMatch(/flags: qr aa tc rd;/);
    expect(truncated).toMatch(/ANSWER: 0,/);
    const retried = await dig(port, '+noedns', 'big.shop.svc.cluster.local');
    expect(retried).toMatch(/Truncated, retrying in TCP mode/);
    expect(retried).toMatch(/ANSWER: 60,/);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    const { child } = await startCli(['--upstream', 'none']);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('rejects a bad flag with one line on stderr and exit 2', async () => {
    const run = execFileAsync(process.execPath, ['dist/main.js', '--port', 'lots']);
    await expect(run).rejects.toMatchObject({ code: 2, stderr: 'cluster-dns: --port: "lots" is not a whole number\n' });
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--pods', 'maybe'])).rejects.toMatchObject({
      code: 2,
      stderr: 'cluster-dns: --pods: expected one of disabled, insecure, verified, got "maybe"\n',
    });
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--service-cidr', '10.96.0.0/40'])).rejects.toMatchObject({
      code: 2,
      stderr: 'cluster-dns: service-cidr: "10.96.0.0/40" is not a CIDR (like 10.96.0.0/12 or fd00:10:96::/108)\n',
    });
  });

  it('check validates, prints diagnostics and a summary, exit 1 on errors', async () => {
    const ok = await execFileAsync(process.execPath, ['dist/main.js', 'check']);
    expect(ok.stdout).toBe(
      '3 file(s): 5 namespaces, 8 services, 10 ready endpoint addresses, 7 pods; 0 error(s), 0 warning(s)\n' +
        'derived as the control plane would: 1 allocated ClusterIP(s), 4 simulated pod(s)\n',
    );
    await expect(execFileAsync(process.execPath, ['dist/main.js', 'check', '--zones', 'test/fixtures/broken/bad-ip.yaml'])).rejects.toMatchObject({
      code: 1,
      stdout: 'test/fixtures/broken/bad-ip.yaml:8: spec.clusterIP: "10.96.0.300" is not an IP address\n1 file(s): 4 namespaces, 0 services, 0 ready endpoint addresses, 0 pods; 1 error(s), 0 warning(s)\n',
    });
  });

  it('--strict makes a registry error fatal at start-up', async () => {
    await expect(execFileAsync(process.execPath, ['dist/main.js', '--port', '0', '--strict', '--zones', 'test/fixtures/broken/bad-ip.yaml', '--log-level', 'silent'])).rejects.toMatchObject({
      code: 2,
      stderr: 'cluster-dns: registry has errors (--strict): test/fixtures/broken/bad-ip.yaml:8: spec.clusterIP: "10.96.0.300" is not an IP address\n',
    });
  });

  it('serves the good files when one file is broken', async () => {
    const { port, stderr } = await startCli(['--zones', 'zones', '--zones', 'test/fixtures/broken/bad-ip.yaml', '--upstream', 'none']);
    expect(await dig(port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    expect(stderr()).toMatch(/test\/fixtures\/broken\/bad-ip.yaml:8: spec.clusterIP: \\"10.96.0.300\\" is not an IP address/);
  });
});

describe.skipIf(!hasDig && !process.env.CI)('the CLI as the Docker image runs it', () => {
  it('starts with the image environment, answers, and its probe subcommand passes; fails once stopped', async () => {
    // The environment and command line come from the Dockerfile itself; only what must differ on a
    // shared test machine is overridden: loopback instead of 0.0.0.0, a free port instead of 53,
    // ./zones instead of /zones, and no upstream (tests never leave the machine).
    const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, ' ');
    const envLine = /^ENV (.+)$/m.exec(dockerfile)![1]!;
    const imageEnv = Object.fromEntries([...envLine.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    expect(imageEnv).toMatchObject({ CLUSTER_DNS_HOST: '0.0.0.0', CLUSTER_DNS_PORT: '53', CLUSTER_DNS_ZONES: '/zones' });
    expect(/^ENTRYPOINT \["node", "dist\/main.js"\]$/m.test(dockerfile)).toBe(true);
    expect(/^CMD \["serve"\]$/m.test(dockerfile)).toBe(true);
    expect(/HEALTHCHECK .*CMD \["node", "dist\/main.js", "probe"\]/.test(dockerfile)).toBe(true);
    const env = { ...imageEnv, CLUSTER_DNS_ZONES: 'zones', CLUSTER_DNS_UPSTREAM: 'none' };
    const { child, port } = await startCli(['serve'], env);
    expect(await dig(port, '+short', 'dns-version.cluster.local', 'TXT')).toBe('"1.1.0"\n');
    const probe = await execFileAsync(process.execPath, ['dist/main.js', 'probe', '--host', '127.0.0.1', '--port', String(port)]);
    expect(probe.stderr).toBe('');
    child.kill('SIGTERM');
    await once(child, 'exit');
    await expect(execFileAsync(process.execPath, ['dist/main.js', 'probe', '--host', '127.0.0.1', '--port', String(port)])).rejects.toMatchObject({
      code: 1,
      stderr: `cluster-dns probe: no answer from 127.0.0.1:${port} within 2000 ms\n`,
    });
  });
});

describe('cluster-dns records', () => {
  it('lists every name the registry answers, as a table and as JSON', async () => {
    const table = await execFileAsync(process.execPath, ['dist/main.js', 'records', '--zones', 'test/fixtures/equivalence/native.yaml']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+TYPE\s+TTL\s+DATA$/);
    expect(lines).toContainEqual(expect.stringMatching(/^web\.shop\.svc\.cluster\.local\.\s+A\s+5\s+10\.96\.0\.10$/));
    expect(lines).toContainEqual(expect.stringMatching(/^_http\._tcp\.web\.shop\.svc\.cluster\.local\.\s+SRV\s+5\s+0 100 80 web\.shop\.svc\.cluster\.local\.$/));
    const json = JSON.parse((await execFileAsync(process.execPath, ['dist/main.js', 'records', '--output', 'json', '--zones', 'test/fixtures/equivalence/native.yaml'])).stdout) as { name: string; type: string; ttl: number; data: string }[];
    expect(json).toContainEqual({ name: 'db-3.db.shop.svc.cluster.local.', type: 'AAAA', ttl: 5, data: 'fd00::1:13' });
    expect(json).toContainEqual({ name: '10.0.96.10.in-addr.arpa.', type: 'PTR', ttl: 5, data: 'web.shop.svc.cluster.local.' });
    expect(json).toContainEqual({ name: 'payments.shop.svc.cluster.local.', type: 'CNAME', ttl: 5, data: 'payments.example.org.' });
    expect(json).toContainEqual({ name: '10-244-1-10.shop.pod.cluster.local.', type: 'A', ttl: 5, data: '10.244.1.10' });
    expect(json.some((r) => r.name.startsWith('db-2.'))).toBe(false);
  });
});

describe('large kubectl Lists', () => {
  it('load through the parse workers with exact line numbers in diagnostics', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-large-'));
    try {
      const items: string[] = [];
      for (let i = 0; i < 6000; i++) {
        items.push(`- apiVersion: v1\n  kind: Service\n  metadata:\n    name: svc-${i}\n    namespace: ns-${i % 7}\n  spec:\n    clusterIP: ${i === 4321 ? '10.96.300.1' : `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`}\n    ports:\n    - name: http\n      port: 80\n      protocol: TCP`);
      }
      const text = `apiVersion: v1\nitems:\n${items.join('\n')}\nkind: List\nmetadata:\n  resourceVersion: ""\n`;
      expect(text.length).toBeGreaterThan(1_000_000);
      const file = join(dir, 'cluster.yaml');
      writeFileSync(file, text);
      const badLine = text.split('\n').findIndex((l) => l.includes('10.96.300.1')) + 1;
      // The one bad Service is left out; its 5999 neighbours count, as the server serves them.
      await expect(execFileAsync(process.execPath, ['dist/main.js', 'check', '--zones', file])).rejects.toMatchObject({
        code: 1,
        stdout: `${file}:${badLine}: spec.clusterIP: "10.96.300.1" is not an IP address\n1 file(s): 11 namespaces, 5999 services, 0 ready endpoint addresses, 0 pods; 1 error(s), 0 warning(s)\n`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the default HTTP port', () => {
  it('is optional: when 127.0.0.1:9153 is taken the server still starts, says so, and answers', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => {
      blocker.once('error', () => resolve()); // already taken by someone else: just as good
      blocker.listen(9153, '127.0.0.1', () => resolve());
    });
    try {
      const { port, stderr } = await startCli(['--upstream', 'none'], {}, []);
      expect(await dig(port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
      expect(stderr()).toMatch(/"http":"127\.0\.0\.1:9153","reason":"address already in use","msg":"HTTP listener not started: metrics, probes and the \/v1 API are off"/);
    } finally {
      blocker.close();
    }
  });
});
