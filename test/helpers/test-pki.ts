/** A throwaway PKI for the fake API server, made once per test process with the openssl CLI. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here: trusting it must fail TLS verification. */
  readonly otherCaCert: string;
  /** The same PEMs as files: `${dir}/ca.crt`, `client.crt`, `client.key`, … */
  readonly paths: { ca: string; clientCert: string; clientKey: string; otherCa: string };
}

let cached: TestPki | undefined;

export function testPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const key = (name: string) => ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  const ca = (name: string, cn: string) => {
    key(name);
    ssl('req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '36500', '-subj', `/CN=${cn}`, '-out', `${name}.crt`);
  };
  const leaf = (name: string, subject: string, ext: string, serial: string) => {
    key(name);
    ssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serial, '-days', '36500', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  ca('ca', 'fake-kube-ca');
  ca('other-ca', 'unrelated-ca');
  leaf('server', '/CN=fake-kube-apiserver', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n', '2');
  leaf('client', '/O=system:masters/CN=tester', 'extendedKeyUsage=clientAuth\n', '3');
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  cached = {
    dir,
    caCert: read('ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    otherCaCert: read('other-ca.crt'),
    paths: { ca: join(dir, 'ca.crt'), clientCert: join(dir, 'client.crt'), clientKey: join(dir, 'client.key'), otherCa: join(dir, 'other-ca.crt') },
  };
  return cached;
}
