#!/usr/bin/env node
/** CLI entry: argv/env → options → server; SIGTERM/SIGINT stop, SIGHUP reloads. */
import { readFileSync } from 'node:fs';
import { parseCommandLine, helpText, parseResolvConf, type CommandLine } from './cli-args.js';
import { ClusterDnsError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { upstreamIsSelf } from './upstream/self-address.js';
import { resolveOptions, type DnsServerOptions } from './options.js';
import { createDnsServer, type DnsServer } from './server.js';
import { runCheck } from './commands/check.js';
import { runRecords } from './commands/records.js';
import { runProbe } from './commands/probe.js';

const EXIT_USAGE = 2;
let activeLogger: Logger | undefined;

async function main(argv: readonly string[]): Promise<number> {
  let line: CommandLine;
  try {
    line = parseCommandLine(argv, process.env);
    if (line.command === 'help') {
      process.stdout.write(`${helpText()}\n`);
      return 0;
    }
    if (line.command === 'version') {
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    }
    // Validate everything up front so a bad value is one line on stderr, exit 2.
    resolveOptions(line.command === 'serve' ? line.options : { ...line.options, http: 'off' });
  } catch (error) {
    return usageError(error);
  }

  switch (line.command) {
    case 'check':
      return runCheck(resolveOptions({ ...line.options, http: 'off' }), process.stdout);
    case 'probe':
      return runProbe(resolveOptions({ ...line.options, http: 'off' }), process.stderr);
    case 'records':
      return runRecords(resolveOptions({ ...line.options, http: 'off' }), line.output, process.stdout, process.stderr);
    default:
      return serve(line);
  }
}

async function serve(line: CommandLine): Promise<number> {
  let options: DnsServerOptions = line.options;
  if (line.upstreamFromSystem) {
    const resolved = resolveOptions(options);
    options = { ...options, upstream: systemUpstreams(resolved.host, resolved.port) };
  }
  const logger = createLogger(resolveOptions(options).logLevel as never);
  activeLogger = logger;
  let server: DnsServer;
  try {
    server = createDnsServer({ ...options, logger });
  } catch (error) {
    return failure(error);
  }
  const running = server;
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    // Handlers go in before start() so a signal during start-up is handled, not fatal.
    const stop = (signal: string) => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'stopping');
      running.stop().then(
        () => resolve(0),
        (error: unknown) => {
          logger.error({ err: error }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      running.reload().catch((error: unknown) => logger.error({ err: error }, 'reload failed; still serving the last good registry'));
    });
  });
  try {
    await running.start();
  } catch (error) {
    if (stopping) return stopped;
    return failure(error);
  }
  return stopped;
}

function failure(error: unknown): number {
  if (error instanceof ClusterDnsError) {
    process.stderr.write(`cluster-dns: ${error.message}\n`);
    return error.code === 'CONFIG_INVALID' || error.code === 'REGISTRY_INVALID' ? EXIT_USAGE : 1;
  }
  throw error;
}

/** The nameservers of /etc/resolv.conf, less this server itself; none means forwarding is off. */
function systemUpstreams(host: string, port: number): DnsServerOptions['upstream'] {
  try {
    const servers = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8')).filter((u) => !upstreamIsSelf(u, host, port));
    return servers.length > 0 ? servers : 'none';
  } catch {
    return 'none';
  }
}

function usageError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`cluster-dns: ${message}\n`);
  if (!(error instanceof ClusterDnsError)) process.stderr.write('run "cluster-dns --help" for usage\n');
  return EXIT_USAGE;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Flush the async log destination, then exit explicitly so nothing keeps a stopped server alive.
    const exit = () => process.exit(code);
    if (activeLogger) activeLogger.flush(() => exit());
    else setImmediate(exit);
    setTimeout(exit, 1000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`cluster-dns: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
