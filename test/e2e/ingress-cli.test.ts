// The README's Ingress example through the built CLI: dig answers, `explain` names the object, `records` marks --ingress-address, `check` warns.
import { describe, expect, it } from 'vitest';
import { dig, execFileAsync, hasDig, startCli } from '../helpers/cli.js';

const FIXTURE = 'test/fixtures/ingress/hosts.yaml';
const flags = ['--zones', FIXTURE, '--ingress-zones', 'example.test'];

describe.skipIf(!hasDig && !process.env.CI)('Ingress hostnames through the built CLI', () => {
  it('dig gets status addresses, wildcards, CNAMEs and an authoritative NXDOMAIN; outside the zones nothing', async () => {
    const { port } = await startCli([...flags, '--upstream', 'none']);
    expect(await dig(port, '+short', 'shop.example.test')).toBe('192.0.2.10\n');
    expect(await dig(port, '+short', '+tcp', 'pr-3.preview.example.test', 'AAAA')).toBe('2001:db8::10\n');
    expect(await dig(port, '+short', 'lb.example.test')).toBe('elb-123.elb.example.net.\n');
    expect(await dig(port, '+short', 'admin.example.test')).toBe('127.0.0.1\n');
    const nx = await dig(port, 'nope.example.test');
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toMatch(/flags: qr aa rd;/);
    expect(nx).toMatch(/example\.test\.\s+5\s+IN\s+SOA\s+ns\.dns\.example\.test\. hostmaster\.example\.test\./);
    expect(await dig(port, 'outside.example.org')).toMatch(/status: REFUSED/);
  });

  it('explain says which object gave a host; records marks the --ingress-address rows; check lists what is not served', async () => {
    const explained = await execFileAsync(process.execPath, ['dist/main.js', 'explain', 'admin.example.test', ...flags, '--upstream', 'none']);
    expect(explained.stdout).toBe([
      'admin.example.test. A: NOERROR',
      '  rule:   ingress-host: host published by Ingress shop/admin; the object has no address in its status (written without one, or no controller yet), so it answers --ingress-address',
      `  from:   Ingress shop/admin at ${FIXTURE}:34 (admin.example.test → --ingress-address (no status))`,
      '  answer:',
      '    admin.example.test. 5 IN A 127.0.0.1',
      '',
    ].join('\n'));
    const records = await execFileAsync(process.execPath, ['dist/main.js', 'records', ...flags]);
    expect(records.stdout.split('\n').filter((l) => l.startsWith('admin.example.test.'))).toEqual([
      expect.stringMatching(/^admin\.example\.test\.\s+A\s+5\s+127\.0\.0\.1 {2}; ingress-address$/),
    ]);
    const check = await execFileAsync(process.execPath, ['dist/main.js', 'check', ...flags]);
    expect(check.stdout + check.stderr).toContain(`${FIXTURE}:34: warning: Ingress shop/admin: host "outside.example.org" is outside --ingress-zones (example.test); not served`);
  });
});
