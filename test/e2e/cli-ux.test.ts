/**
 * The built CLI as a person meets it: exit codes and the first stderr line for each class of error,
 * pretty logs on a terminal and JSON otherwise, Ctrl-C versus SIGTERM as an order of events, help,
 * probe and `records --output hosts`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dig, execFileAsync, startCli } from '../helpers/cli.js';
import { pollUntil } from '../helpers/poll.js';

const main = resolve('dist/main.js');
const has = (cmd: string, ...args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const hasScript = has('script', '--version');
const hasDig = has('dig', '-v');

/** Runs the CLI to its end; resolves with the exit code and output, whatever the code. */
async function run(args: string[], cwd = process.cwd()): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [main, ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The JSON log lines' messages, in order. */
const messages = (stderr: string) =>
  stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; signal?: string; lameDuck?: boolean });

describe('errors that say what to do: exit code and first stderr line', () => {
  const busy = createServer();
  it.each<[string, string[], number, RegExp]>([
    ['an unknown flag', ['--prot', '1054'], 2, /^cluster-dns: unknown option --prot \(did you mean --port\?\)$/],
    ['a flag without its value', ['--port'], 2, /^cluster-dns: --port needs a value$/],
    ['a bad value', ['--ttl', 'soon'], 2, /^cluster-dns: --ttl: "soon" is not a whole number$/],
    ['a value the library rejects', ['--cluster-domain', 'bad..domain'], 2, /^cluster-dns: --cluster-domain: expected a domain name or a list of them, got "bad\.\.domain"$/],
    ['an unknown command', ['serv'], 2, /^cluster-dns: unknown command "serv" \(did you mean serve\?\)$/],
    ['a zones path with a typo', ['--zones', './zonez'], 2, /^cluster-dns: --zones: "\.\/zonez" does not exist \(did you mean \.\/zones\?\)$/],
    ['registry errors with --strict', ['--port', '0', '--http', 'off', '--strict', '--zones', 'test/fixtures/broken/bad-ip.yaml', '--log-level', 'silent'], 2, /^cluster-dns: registry has errors \(--strict\): test\/fixtures\/broken\/bad-ip\.yaml:8: /],
    ['check with registry errors', ['check', '--zones', 'test/fixtures/broken/bad-ip.yaml'], 1, /^$/],
    ['explain with an unknown type', ['explain', 'web.shop', 'AAA'], 2, /^cluster-dns: explain: unknown record type "AAA" \(did you mean AAAA or A\?\)$/],
    ['explain without a name', ['explain'], 2, /^cluster-dns: explain: which name\? \(cluster-dns explain NAME \[TYPE\]\)$/],
  ])('%s', async (_what, args, code, firstLine) => {
    const result = await run(args);
    expect(result.code).toBe(code);
    expect(result.stderr.split('\n')[0]).toMatch(firstLine);
    expect(result.stderr).not.toMatch(/undefined|\[object Object\]|TypeError|ERR_PARSE_ARGS|\n {4}at /);
  });

  it('the default ./zones missing: one line with a hint about --zones and --kubeconfig', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'cluster-dns-cwd-'));
    const result = await run(['--port', '0'], empty);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`cluster-dns: no registry: ./zones does not exist here (${empty}); pass --zones DIR_OR_FILE (or --kubeconfig FILE to read a cluster)\n`);
  });

  it('a port already taken: one line, exit 1', async () => {
    busy.listen(0, '127.0.0.1');
    await once(busy, 'listening');
    const port = (busy.address() as { port: number }).port;
    const result = await run(['--port', String(port), '--http', 'off', '--upstream', 'none', '--zones', 'zones', '--log-level', 'silent']);
    busy.close();
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`cluster-dns: cannot listen on 127.0.0.1:${port}: address already in use\n`);
  });
});

describe('check and records leave out only the object with the bad field, as the server does', () => {
  it('a typo in one service of a native document: did-you-mean, and its neighbour still counts and answers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-dns-check-'));
    const file = join(dir, 'dev.yaml');
    writeFileSync(file, 'namespace: dev\nservices:\n  api:\n    clusterIP: 10.96.9.9\n    prots: [http:80]\n  web:\n    clusterIP: 10.96.9.10\n');
    const check = await run(['check', '--zones', file]);
    expect(check).toEqual({
      code: 1,
      stdout: `${file}:5: services.api.prots: unknown field (did you mean ports?)\n1 file(s): 5 namespaces, 1 services, 0 ready endpoint addresses, 0 pods; 1 error(s), 0 warning(s)\n`,
      stderr: '',
    });
    const records = await run(['records', '--output', 'hosts', '--zones', file]);
    expect(records.stdout.split('\n').filter((l) => l.includes('.dev.'))).toEqual(['10.96.9.10\tweb.dev.svc.cluster.local']);
  });
});

describe('explain exit codes: a script can test a name', () => {
  it.each<[string, string[], number, string]>([
    ['a name with records', ['web.shop.svc.cluster.local'], 0, 'web.shop.svc.cluster.local. A: NOERROR'],
    ['a short form', ['web.shop'], 0, 'web.shop. A: NOERROR'],
    ['NXDOMAIN', ['web.shopp.svc.cluster.local'], 1, 'web.shopp.svc.cluster.local. A: NXDOMAIN'],
    ['NODATA', ['web.shop.svc.cluster.local', 'AAAA'], 1, 'web.shop.svc.cluster.local. AAAA: NOERROR'],
    ['REFUSED (forwarding off)', ['example.org'], 1, 'example.org. A: REFUSED'],
    ['an address, as its PTR name', ['10.96.0.10'], 0, '10.0.96.10.in-addr.arpa. PTR: NOERROR'],
  ])('%s', async (_what, args, code, firstLine) => {
    const result = await run(['explain', ...args, '--zones', 'zones', '--upstream', 'none']);
    expect({ code: result.code, first: result.stdout.split('\n')[0] }).toEqual({ code, first: firstLine });
  });

  it('forwarded names exit 0: the upstream decides', async () => {
    const result = await run(['explain', 'example.org', '--zones', 'zones', '--upstream', '192.0.2.53']);
    expect({ code: result.code, first: result.stdout.split('\n')[0] }).toEqual({ code: 0, first: 'example.org. A: FORWARDED' });
  });
});

describe('help, version, records --output hosts', () => {
  it('--help lists every command', async () => {
    const { stdout } = await run(['--help']);
    for (const command of ['serve', 'check', 'records', 'explain', 'probe', 'help', 'version']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
    expect(stdout).toContain('--log-format');
  });

  it('--version prints the package version', async () => {
    expect((await run(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('records --output hosts prints /etc/hosts lines', async () => {
    const { stdout, code } = await run(['records', '--output', 'hosts', '--zones', 'test/fixtures/equivalence/native.yaml']);
    expect(code).toBe(0);
    const lines = stdout.split('\n').filter((l) => l && !l.startsWith('#'));
    for (const line of lines) expect(line).toMatch(/^[0-9a-f.:]+\t[a-z0-9.-]+( [a-z0-9.-]+)*$/);
    expect(lines.some((l) => /\tweb\.shop\.svc\.cluster\.local( |$)/.test(l))).toBe(true);
  });
});

describe('logs for people and machines', () => {
  const failing = ['--strict', '--zones', 'test/fixtures/broken/bad-ip.yaml', '--port', '0', '--http', 'off', '--upstream', 'none'];

  it('JSON lines with ISO times when stderr is not a terminal', async () => {
    const { stderr } = await run(failing);
    // The log is flushed before the closing plain line, so the JSON lines come first and it comes last.
    const lines = stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('cluster-dns: registry has errors (--strict): test/fixtures/broken/bad-ip.yaml:8: spec.clusterIP: "10.96.0.300" is not an IP address');
    const first = JSON.parse(lines[0]!) as { time: string; level: number; msg: string };
    expect(first.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(first).toMatchObject({ level: 50, msg: 'test/fixtures/broken/bad-ip.yaml:8: spec.clusterIP: "10.96.0.300" is not an IP address' });
  });

  it('--log-format pretty without a terminal', async () => {
    const { stderr } = await run([...failing, '--log-format', 'pretty']);
    // eslint-disable-next-line no-control-regex
    expect(stderr.replace(/\u001b\[\d+m/g, '').split('\n')[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: registry: test\/fixtures\/broken\/bad-ip\.yaml:8: spec\.clusterIP: /);
  });

  it.skipIf(!hasScript && !process.env.CI)('pretty lines on a terminal (a pseudo-terminal from script(1)), JSON when asked', async () => {
    const inPty = async (extra: string) => {
      const command = [process.execPath, main, ...failing, extra].filter(Boolean).map((a) => `'${a}'`).join(' ');
      const { stdout } = await execFileAsync('script', ['-qec', command, '/dev/null']).catch((e: { stdout: string }) => e);
      // eslint-disable-next-line no-control-regex
      return stdout.replace(/\u001b\[\d+m/g, '').replace(/\r/g, '');
    };
    expect((await inPty('')).split('\n')[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: registry: test\/fixtures\/broken\/bad-ip\.yaml:8: /);
    expect((await inPty('--log-format=json')).split('\n')[0]).toMatch(/^\{"level":50,"time":"\d{4}-/);
  });
});

describe('pretty lines are short; debug shows the diff', () => {
  /** Serves zones/ with pretty logs until "listening", then Ctrl-C; the log without colours. */
  async function prettyRun(extra: string[]): Promise<string> {
    const child = spawn(process.execPath, [main, '--zones', 'zones', '--port', '0', '--http', 'off', '--upstream', 'none', '--log-format', 'pretty', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    await pollUntil(() => (stderr.includes('server: listening') ? true : undefined));
    child.kill('SIGINT');
    await once(child, 'exit');
    // eslint-disable-next-line no-control-regex
    return stderr.replace(/\u001b\[\d+m/g, '');
  }

  it('info: one key=value line per event, lists as counts, addresses as host:port', async () => {
    const log = await prettyRun([]);
    const loaded = log.split('\n').find((l) => l.includes('registry: registry loaded'))!;
    expect(loaded).toMatch(/ servicesAdded=\d+ /);
    expect(loaded.replace(/^\[[^\]]*\]/, '')).not.toMatch(/[[{]/);
    expect(log).toMatch(/server: listening udp=127\.0\.0\.1:\d+ tcp=127\.0\.0\.1:\d+ udpEngine=(native|dgram) zone=cluster\.local upstreams=none /);
  });

  it('debug: every field on its own line, the added services listed', async () => {
    const log = await prettyRun(['--log-level', 'debug']);
    expect(log).toMatch(/registry loaded\n {4}reason: "load"\n/);
    expect(log).toMatch(/servicesAdded: \[\n {6}"/);
  });
});

describe('the library logs with logLevel and no logger', () => {
  it('writes JSON lines to stderr', async () => {
    const script = `import('${resolve('dist/index.js')}').then(async ({ createDnsServer }) => { const s = createDnsServer({ port: 0, zones: 'zones', logLevel: 'info' }); await s.start(); await s.stop(); })`;
    const { stderr } = await execFileAsync(process.execPath, ['-e', script]);
    expect(messages(stderr).map((m) => m.msg)).toEqual(expect.arrayContaining(['registry loaded', 'listening', 'stopped']));
  });
});

describe('signals, as an order of events', () => {
  it('SIGINT stops at once: no lame-duck draining', async () => {
    const cli = await startCli(['--zones', 'zones', '--upstream', 'none', '--shutdown-grace', '600000']);
    cli.child.kill('SIGINT');
    const [code] = (await once(cli.child, 'exit')) as [number];
    expect(code).toBe(0);
    const events = messages(cli.stderr()).map((m) => m.msg);
    expect(events.slice(events.indexOf('listening'))).toEqual(['listening', 'stopping', 'stopped']);
    expect(messages(cli.stderr()).find((m) => m.msg === 'stopping')).toMatchObject({ signal: 'SIGINT', lameDuck: false });
  });

  it.skipIf(!hasDig && !process.env.CI)('SIGTERM keeps the grace (not ready, still answering); a second signal exits now', async () => {
    const cli = await startCli(['--zones', 'zones', '--upstream', 'none', '--shutdown-grace', '600000']);
    const http = Number(/"http":\{[^}]*"port":(\d+)/.exec(cli.stderr())![1]);
    cli.child.kill('SIGTERM');
    await pollUntil(() => (cli.stderr().includes('draining: not ready, still answering') ? true : undefined));
    expect((await fetch(`http://127.0.0.1:${http}/ready`)).status).toBe(503);
    expect(await dig(cli.port, '+short', 'web.shop.svc.cluster.local')).toBe('10.96.0.10\n');
    cli.child.kill('SIGTERM');
    const [code] = (await once(cli.child, 'exit')) as [number];
    expect(code).toBe(143);
    const events = messages(cli.stderr()).map((m) => m.msg);
    expect(events.slice(events.indexOf('listening'))).toEqual(['listening', 'stopping', 'draining: not ready, still answering', 'second signal: exiting now']);
  });

  it('probe prints one line with what it saw', async () => {
    const cli = await startCli(['--zones', 'zones', '--upstream', 'none']);
    const { stdout, stderr } = await execFileAsync(process.execPath, [main, 'probe', '--port', String(cli.port)]);
    expect(stderr).toBe('');
    expect(stdout).toMatch(new RegExp(`^cluster-dns probe: 127\\.0\\.0\\.1:${cli.port} answered dns-version\\.cluster\\.local TXT "1\\.1\\.0" \\(schema version\\) in \\d+ ms\\n$`));
    cli.child.kill('SIGINT');
    await once(cli.child, 'exit');
    const down = await run(['probe', '--port', String(cli.port)]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^cluster-dns probe: no answer from 127\.0\.0\.1:\d+ within 2000 ms\n$/);
  });
});
